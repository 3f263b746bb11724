import datetime

from odoo import Command
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import CobranzaCommon


def close(items, user=None, outcome="solved", note=None):
    """Done in the queue: the collector picks an outcome in the wizard it opens."""
    items = items.with_user(user) if user else items
    action = items.action_done()
    wizard = Form(items.env[action["res_model"]].with_context(**action["context"]))
    wizard.outcome = outcome
    if note:
        wizard.note = note
    wizard.save().action_close()


@tagged("post_install", "-at_install")
class TestWorkQueue(CobranzaCommon):
    """What needs a person shows up, most money at risk first, and leaves when handled."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late = cls._customer("Jorge Late", "+51 987 000 222", cls.pe,
                                 cobranza_collector_id=cls.collector.id)
        cls.good = cls._customer("Ana Good", "+51 987 000 333", cls.pe)

    def _items(self, **domain):
        return self.env["cobranza.work.item"].search(
            [(key, "=", value) for key, value in domain.items()])


    def test_items_of_every_kind_by_amount_at_risk(self):
        big = self._invoice(self.late, 1000.0, days_overdue=20)
        small = self._invoice(self.good, 1500.0, days_overdue=2)
        big.cobranza_handoff = True
        small.write({"cobranza_disputed": True, "cobranza_exclusion_reason": "Wrong quantity"})
        self.late.sudo().cobranza_pay_probability = 20  # 1000 x 0.8 = 800 at risk
        self.good.sudo().cobranza_pay_probability = 90  # 1500 x 0.1 = 150 at risk
        reply = self.env["cobranza.message"].create({
            "direction": "in", "state": "received", "partner_id": self.good.id,
            "company_id": self.company.id, "body": "no entiendo esta factura",
            "intent": "unknown"})
        failed = self.env["cobranza.message"].create({
            "direction": "out", "state": "failed", "partner_id": self.late.id,
            "company_id": self.company.id, "move_ids": [Command.set(big.ids)],
            "error_message": "Number not on WhatsApp", "failed_at": datetime.datetime.now()})
        promise = self.env["cobranza.promise"].create({
            "partner_id": self.late.id, "company_id": self.company.id,
            "move_ids": [Command.set(big.ids)], "amount": 1000.0, "state": "broken",
            "date": datetime.date.today() - datetime.timedelta(days=2)})
        items = self.env["cobranza.work.item"].search([])
        self.assertEqual(set(items.mapped("kind")),
                         {"handoff", "dispute", "reply", "failed", "broken_promise"})
        self.assertEqual(items[0].partner_id, self.late)  # 800 at risk before 150
        self.assertAlmostEqual(items[0].amount_at_risk, 800.0)
        self.assertEqual(items[0].collector_id, self.collector)
        self.assertEqual(items.filtered(lambda i: i.kind == "dispute").summary, "Wrong quantity")
        self.assertEqual(items.filtered(lambda i: i.kind == "reply").message_id, reply)
        self.assertEqual(items.filtered(lambda i: i.kind == "failed").message_id, failed)
        self.assertEqual(items.filtered(lambda i: i.kind == "broken_promise").promise_id, promise)
        # The collector's own items, grouped the way the queue offers.
        mine = self.env["cobranza.work.item"].with_user(self.collector).search(
            [("collector_id", "=", self.collector.id)])
        self.assertEqual(set(mine.mapped("kind")), {"handoff", "failed", "broken_promise"})

    def test_done_on_a_reply_handed_to_a_person_ends_the_hand_off(self):
        """Reported: marking the work item Done left the customer handed off and reminders
        stopped for good."""
        move = self._invoice(self.late, 400.0, days_overdue=4)
        reply = self.env["cobranza.message"].create({
            "direction": "in", "state": "received", "partner_id": self.late.id,
            "company_id": self.company.id, "body": "Quiero hablar con una persona"})
        reply._understand({})
        self.assertTrue(self.late.cobranza_handoff)
        self.assertEqual(self.run_cadence()["messages"], 0, "a person owns the case")
        self.assertTrue(self.late.activity_ids)
        (item,) = self._items(partner_id=self.late.id, kind="reply")
        close(item, self.collector, outcome="follow_up", note="Paga el viernes")
        self.assertFalse(self.late.cobranza_handoff)
        self.assertFalse(self._items(partner_id=self.late.id))
        self.assertFalse(self.late.activity_ids, "the collection call is done")
        notes = " ".join(self.late.message_ids.mapped("body"))
        self.assertIn("Talked to the customer: reminders resume", notes)
        self.assertIn("Paga el viernes", notes)
        self.assertIn("Carla Collector", notes)
        # The cadence takes the customer back.
        self.assertEqual(self.run_cadence()["messages"], 1)
        self.assertEqual(self.messages_for(self.late).filtered(
            lambda m: m.direction == "out").move_ids, move)

    def test_items_leave_the_queue_when_handled(self):
        move = self._invoice(self.late, 400.0, days_overdue=10)
        move.cobranza_handoff = True
        reply = self.env["cobranza.message"].create({
            "direction": "in", "state": "received", "partner_id": self.late.id,
            "company_id": self.company.id, "body": "?", "needs_person": True})
        items = self._items(partner_id=self.late.id)
        self.assertEqual(sorted(items.mapped("kind")), ["handoff", "reply"])
        # Done on a hand-off gives the invoice back to the automation.
        close(items.filtered(lambda i: i.kind == "handoff"), self.collector)
        self.assertFalse(move.cobranza_handoff)
        # A reply leaves when a collector marks it done, once even if two do.
        item = self._items(kind="reply")
        close(item, self.collector)
        item.with_user(self.collector)._close("solved")
        self.assertFalse(self._items(partner_id=self.late.id))
        self.assertEqual(self.env["cobranza.work.done"].search_count(
            [("res_id", "=", reply.id)]), 1)
        # Sales reps do not work the queue.
        with self.assertRaises(AccessError):
            self.env["cobranza.work.item"].with_user(self.salesman).search([])

    def test_answering_or_paying_clears_the_item(self):
        move = self._invoice(self.good, 300.0, days_overdue=5)
        self.env["cobranza.message"].create({
            "direction": "in", "state": "received", "partner_id": self.good.id,
            "company_id": self.company.id, "body": "?", "needs_person": True})
        self.assertEqual(len(self._items(partner_id=self.good.id)), 1)
        self.env["cobranza.message"].create({
            "direction": "out", "channel": "whatsapp", "state": "sent",
            "partner_id": self.good.id, "company_id": self.company.id, "body": "Hola Ana"})
        self.assertFalse(self._items(partner_id=self.good.id))
        move.cobranza_disputed = True
        self.assertEqual(len(self._items(partner_id=self.good.id)), 1)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids).create({})._create_payments()
        self.assertFalse(self._items(partner_id=self.good.id))


@tagged("post_install", "-at_install")
class TestCollectorsOwnPlace(CobranzaCommon):
    """A collector with the collections group alone: an app, the queue first, and the
    invoice rights the work needs (read, close items), no more."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.only_collector = new_test_user(
            cls.env, login="queue_collector",
            groups="base.group_user,cobranza_whatsapp.group_cobranza_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Quique Queue")
        cls.accountant = new_test_user(
            cls.env, login="queue_accountant", groups="account.group_account_invoice",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Alba Accountant")
        cls.late = cls._customer("Jorge Late", "+51 987 000 222", cls.pe)
        cls.good = cls._customer("Ana Good", "+51 987 000 333", cls.pe)

    def menus(self, user):
        return self.env["ir.ui.menu"].with_user(user).load_web_menus(debug=False)

    def test_the_collections_app_opens_on_the_work_queue(self):
        app = self.env.ref("cobranza_whatsapp.menu_cobranza_app")
        queue = self.env.ref("cobranza_whatsapp.cobranza_work_item_action")
        menus = self.menus(self.only_collector)
        self.assertIn(app.id, menus["root"]["children"], "the app is on the collector's menu")
        self.assertEqual(menus[app.id]["name"], "Collections")
        first = menus[menus[app.id]["children"][0]]
        self.assertEqual((first["name"], first["actionID"]), ("Work Queue", queue.id))
        self.assertEqual(menus[app.id]["actionID"], queue.id, "the app opens on the queue")
        # The accountants keep Invoicing › Collections and do not get the collectors' app.
        menus = self.menus(self.accountant)
        self.assertNotIn(app.id, menus["root"]["children"])
        invoicing = self.env.ref("cobranza_whatsapp.menu_cobranza_root")
        notifications = self.env.ref("cobranza_whatsapp.menu_cobranza_payment_notifications")
        self.assertIn(notifications.id, menus[invoicing.id]["children"])

    def test_a_collector_without_accounting_closes_handoffs_and_disputes(self):
        handed = self._invoice(self.late, 400.0, days_overdue=10)
        disputed = self._invoice(self.good, 300.0, days_overdue=5)
        handed.cobranza_handoff = True
        disputed.write({"cobranza_disputed": True, "cobranza_exclusion_reason": "Wrong price"})
        Item = self.env["cobranza.work.item"].with_user(self.only_collector)
        items = Item.search([("kind", "in", ("handoff", "dispute"))])
        self.assertEqual(set(items.mapped("move_id")), {handed, disputed})
        # Go to record: the collector reads the invoice, as the form shows it.
        action = items.filtered(lambda i: i.kind == "handoff").action_open()
        invoice = Form(self.env[action["res_model"]].with_user(self.only_collector).browse(
            action["res_id"]))
        self.assertEqual((invoice.name, invoice.cobranza_state), (handed.name, "handoff"))
        close(items)
        self.assertFalse(handed.cobranza_handoff, "the automation takes the invoice back")
        self.assertFalse(disputed.cobranza_disputed)
        self.assertFalse(Item.search([("kind", "in", ("handoff", "dispute"))]))
        # Nothing more: the collector edits no invoice and reads no other journal entry.
        with self.assertRaises(AccessError):
            handed.with_user(self.only_collector).write({"ref": "edited"})
        revenue = self.company_data["default_account_revenue"]
        expense = self.company_data["default_account_expense"]
        entry = self.env["account.move"].create({
            "move_type": "entry", "company_id": self.company.id,
            "line_ids": [Command.create({"name": "a", "debit": 10.0, "account_id": revenue.id}),
                         Command.create({"name": "b", "credit": 10.0, "account_id": expense.id})],
        })
        with self.assertRaises(AccessError):
            entry.with_user(self.only_collector).read(["name"])


@tagged("post_install", "-at_install")
class TestPaymentProbability(CobranzaCommon):
    def test_cadence_scores_and_explains(self):
        reliable = self._customer("Lucía Puntual", "+51 987 000 444", self.pe)
        shaky = self._customer("Pedro Moroso", "+51 987 000 555", self.pe)
        shaky.sudo().cobranza_broken_promises = 3
        self._invoice(reliable, 100.0, days_overdue=1)
        self._invoice(shaky, 9000.0, days_overdue=45)
        self.run_cadence()
        self.assertGreater(reliable.cobranza_pay_probability, shaky.cobranza_pay_probability)
        reasons = shaky.cobranza_pay_probability_reason.split("\n")
        # In plain words, strongest first: three broken promises (-0.9 x ln 4 = -1.2) weigh
        # more than 45 days overdue (-1.2 x ln 2.5 = -1.1); no log-odds, no decimal point.
        self.assertEqual(reasons[:2], ["Strongly against: Broke promises to pay",
                                       "Strongly against: Has invoices overdue"])
        self.assertNotIn(".", shaky.cobranza_pay_probability_reason)
        move = self._invoice(shaky, 10.0, days_overdue=1)
        self.assertEqual(move.cobranza_pay_probability, shaky.cobranza_pay_probability)

    def test_gated_level_reminds_only_likely_late_payers(self):
        # Nothing overdue: a clean customer scores 82 %, three broken promises bring 56 %.
        reliable = self._customer("Lucía Puntual", "+51 987 000 444", self.pe)
        shaky = self._customer("Pedro Moroso", "+51 987 000 555", self.pe)
        shaky.sudo().cobranza_broken_promises = 3
        preventive = self.level_by_offset[-3]
        preventive.max_pay_probability = 60
        soon_reliable = self._invoice(reliable, 200.0, days_overdue=-2)
        soon_shaky = self._invoice(shaky, 200.0, days_overdue=-2)
        self.run_cadence()
        self.assertEqual((reliable.cobranza_pay_probability, shaky.cobranza_pay_probability),
                         (82, 56))
        self.assertFalse(self.steps_for(soon_reliable))
        self.assertEqual(self.steps_for(soon_shaky).level_id, preventive)
