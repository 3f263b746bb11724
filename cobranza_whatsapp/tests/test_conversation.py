import datetime

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestConversation(CobranzaCommon):
    """A customer's reply on one screen: the conversation, its status, what a collector does
    next (reported in issue #17: the reply form showed the outbound statuses and no way on)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.move = cls._invoice(cls.customer, 300.0, days_overdue=4)
        cls.env["cobranza.cadence"]._run(cls.company, today=NOW.date(), now=NOW)
        cls.env["cobranza.message"]._process_queue(now=NOW)
        cls.reminder = cls.env["cobranza.message"].search(
            [("partner_id", "=", cls.customer.id), ("direction", "=", "out")])

    def _reply(self, text, partner=None, wamid="wamid.IN1"):
        """The customer's WhatsApp message, as the webhook stores it."""
        partner = partner or self.customer
        return self.env["cobranza.message"]._receive(self.wa_account, {
            "from": partner.phone.replace("+", "").replace(" ", ""), "text": text,
            "message_id": wamid, "context_id": self.reminder.wamid or False})

    def _as_collector(self, message):
        return message.with_user(self.collector)

    def test_the_conversation_shows_what_we_sent_and_what_they_answered_in_order(self):
        self.assertEqual(len(self.reminder), 1)
        self.assertIn(self.reminder.state, ("sent", "delivered", "read"))
        other = self._customer("Otro Cliente", "+51 911 222 333", self.pe)
        self.env["cobranza.message"].create({
            "direction": "in", "state": "received", "partner_id": other.id,
            "company_id": self.company.id, "body": "Mensaje de otro cliente"})
        reply = self._reply("<b>No entiendo</b> esta factura, ¿me llaman?")
        html = str(self._as_collector(reply).conversation)
        sent_at, answered_at = (html.index(self.reminder.template_id.name),
                                html.index("No entiendo"))
        self.assertLess(sent_at, answered_at, "what we sent comes first")
        self.assertIn(self.reminder.body.splitlines()[0][:20], html)
        status = dict(self.reminder._fields["state"]._description_selection(self.env))
        self.assertIn(status[self.reminder.state], html)
        self.assertIn("&lt;b&gt;No entiendo&lt;/b&gt;", html, "the customer's text is escaped")
        self.assertNotIn("<b>No entiendo", html)
        self.assertIn(reply.action_taken, html, "what the automation did")
        self.assertNotIn("Mensaje de otro cliente", html, "only this customer's messages")
        self.assertIn("o_cobranza_current", html)

    def test_a_reply_has_its_own_status_and_done_closes_it(self):
        reply = self._reply("Quiero hablar con una persona")
        self.assertTrue(reply.needs_person)
        self.assertTrue(self.customer.cobranza_handoff)
        mine = self._as_collector(reply)
        self.assertEqual(mine.reply_state, "waiting")
        self.assertEqual(mine.work_item_id.message_id, reply)
        self.assertFalse(self.reminder.reply_state, "ours keep the outbound statuses")
        action = mine.action_mark_done()
        self.assertEqual(action["res_model"], "cobranza.work.item.close")
        wizard = Form(self.env[action["res_model"]].with_user(self.collector).with_context(
            **action["context"]))
        wizard.outcome = "follow_up"
        wizard.save().action_close()
        reply.invalidate_recordset()
        self.assertFalse(reply.needs_person)
        self.assertFalse(self.customer.cobranza_handoff, "the reminders resume")
        self.assertEqual(mine.reply_state, "handled")
        self.assertFalse(mine.work_item_id)
        with self.assertRaises(UserError):
            mine.action_mark_done()

    def test_record_promise_and_offer_plan_from_the_reply(self):
        reply = self._reply("Le pago la próxima semana, ¿puede ser?")
        mine = self._as_collector(reply)
        action = mine.action_record_promise()
        self.assertEqual(action["res_model"], "cobranza.promise")
        form = Form(self.env["cobranza.promise"].with_user(self.collector).with_context(
            **action["context"]))
        form.date = fields.Date.today() + datetime.timedelta(days=5)
        promise = form.save()
        self.assertEqual(promise.partner_id, self.customer)
        self.assertEqual(promise.move_ids, self.move)
        self.assertEqual(promise.company_id, self.company)
        self.assertEqual(promise.source_message_id, reply)
        plan = mine.action_offer_plan()
        self.assertEqual(plan["res_model"], "cobranza.payment.plan")
        self.assertEqual(plan["context"]["default_move_ids"], [Command.set(self.move.ids)])
        self.assertEqual(plan["context"]["default_partner_id"], self.customer.id)

    def test_a_reply_on_whatsapp_clears_needs_a_person(self):
        reply = self._reply("Quiero hablar con una persona")
        self.assertTrue(reply.needs_person)
        action = self.env["cobranza.message.reply"].with_user(self.collector).with_context(
            active_model="cobranza.message", active_id=reply.id).create(
            {"body": "Hola María, la llamo en un momento."}).action_send()
        self.assertEqual(action["params"]["title"], "Reply queued")
        self.assertFalse(reply.needs_person)

    def test_an_answered_reply_stays_in_the_queue_while_the_customer_is_handed_off(self):
        """Once a person answered, the queue dropped the reply and the customer's hand-off
        had nothing left to close it: reminders stopped for good."""
        reply = self._reply("Quiero hablar con una persona")
        self.assertTrue(self.customer.cobranza_handoff)
        self.env["cobranza.message.reply"].with_user(self.collector).with_context(
            active_model="cobranza.message", active_id=reply.id).create(
            {"body": "Hola María, la llamo en un momento."}).action_send()
        items = self.env["cobranza.work.item"].search([("message_id", "=", reply.id)])
        self.assertEqual(items.kind, "reply", "still the collector's to close")
        items._close("follow_up")
        self.assertFalse(self.customer.cobranza_handoff)
        self.assertFalse(self.env["cobranza.work.item"].search([("message_id", "=", reply.id)]))

    def test_a_hand_off_item_says_its_level_and_amount(self):
        level = self.levels.sorted("offset_days")[-1]
        self.move.sudo().write({"cobranza_handoff": True, "cobranza_level_id": level.id})
        item = self.env["cobranza.work.item"].with_user(self.collector).search(
            [("kind", "=", "handoff"), ("move_id", "=", self.move.id)])
        self.assertEqual(len(item), 1)
        symbol = self.move.currency_id.symbol
        self.assertIn(level.name, item.summary)
        self.assertIn("300.00", item.summary)
        self.assertIn(symbol, item.summary)
