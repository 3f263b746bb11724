"""The cadence's messages are queued in bulk; each is the message ``create`` would make."""

import freezegun

from odoo import fields
from odoo.tests import tagged

from .common import NOW, CobranzaCommon

# Columns that differ between any two records, however they were made.
OWN_COLUMNS = {"id", "create_date", "write_date"}


@tagged("post_install", "-at_install")
class TestCadenceQueue(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def _values(self, moves, **values):
        level = self.level_by_offset[3]
        return self.env["cobranza.message"]._outbound_values(
            self.customer, moves, self.company, **{
                "channel": "whatsapp", "level_id": level.id,
                "template_id": level.template_id.id, "ab_variant": False,
                "scheduled_at": fields.Datetime.now(), "kind": "template", "state": "queued",
                "attempts": 0, **values})

    def _row(self, message):
        self.env.flush_all()
        self.env.cr.execute("SELECT * FROM cobranza_message WHERE id = %s", [message.id])
        columns = [column.name for column in self.env.cr.description]
        return {name: value for name, value in zip(columns, self.env.cr.fetchone(),
                                                   strict=True)
                if name not in OWN_COLUMNS}

    def test_a_queued_message_is_the_one_create_makes(self):
        moves = self._invoice(self.customer, 300.0, 4) | self._invoice(self.customer, 90.0, 5)
        made = self.env["cobranza.message"].create([self._values(moves)])
        queued = self.env["cobranza.cadence"]._queue_messages([self._values(moves)])
        self.assertEqual(len(queued), 1)
        self.assertNotEqual(queued, made)
        self.assertEqual(self._row(queued), self._row(made))
        self.assertEqual(queued.move_ids, moves)
        # The column the ORM fills from the field's default, given by no value.
        self.assertEqual(queued.direction, "out")

    def test_the_fields_left_out_take_their_defaults(self):
        move = self._invoice(self.customer, 300.0, 4)
        vals = {"partner_id": self.customer.id, "company_id": self.company.id,
                "kind": "template", "move_ids": [(6, 0, move.ids)]}
        made = self.env["cobranza.message"].create([dict(vals)])
        queued = self.env["cobranza.cadence"]._queue_messages([vals])
        # The clock ticks between the two: the default "now" may fall a second apart.
        queued_row, made_row = self._row(queued), self._row(made)
        self.assertLessEqual(abs(queued_row.pop("scheduled_at") - made_row.pop("scheduled_at")),
                             self.days(1) / 86400 * 5)
        self.assertEqual(queued_row, made_row)
        self.assertEqual((queued.direction, queued.state, queued.attempts, queued.channel),
                         ("out", "queued", 0, "whatsapp"))
        self.assertTrue(queued.scheduled_at)

    def test_what_depends_on_messages_sees_them_at_once(self):
        move = self._invoice(self.customer, 300.0, 4)
        self.assertFalse(move.cobranza_message_ids)
        self.assertFalse(self.customer.cobranza_message_ids)
        queued = self.env["cobranza.cadence"]._queue_messages([self._values(move)] * 3)
        self.assertEqual(len(queued), 3)
        self.assertEqual(move.cobranza_message_ids, queued)
        self.assertEqual(self.customer.cobranza_message_ids, queued)

    def test_a_free_form_text_goes_through_create(self):
        """Its pay links are replaced with tracked ones when it is created."""
        move = self._invoice(self.customer, 300.0, 4)
        url = move._cobranza_pay_url()
        vals = self._values(move, kind="text", template_id=False, body=f"Pague aquí: {url}")
        made = self.env["cobranza.message"].create([dict(vals)])
        queued = self.env["cobranza.cadence"]._queue_messages([vals])
        self.assertNotIn(url, made.sudo().body)
        self.assertEqual(queued.sudo().body.split(": ")[0], "Pague aquí")
        self.assertNotIn(url, queued.sudo().body)

    def test_the_cadence_queues_every_step_of_the_batch(self):
        moves = self.env["account.move"]
        customers = self.customer | self._customer("Otro Cliente", "+51 987 654 322", self.pe)
        for partner in customers:
            moves |= self._invoice(partner, 400.0, days_overdue=4)
        stats = self.run_cadence()
        messages = self.env["cobranza.message"].search([("move_ids", "in", moves.ids)])
        self.assertEqual(stats["messages"], 2)
        self.assertEqual(messages.partner_id, customers)
        self.assertEqual(set(messages.mapped("state")), {"queued"})
        self.assertEqual(messages.company_id, self.company)
        self.assertEqual(messages.create_uid, self.env.user)
