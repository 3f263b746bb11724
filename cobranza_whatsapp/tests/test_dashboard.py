import datetime

from odoo import Command
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CobranzaCommon

D = datetime.date
T = datetime.datetime
PERIOD = (D(2026, 11, 1), D(2026, 11, 30))


@tagged("post_install", "-at_install")
class TestDashboard(CobranzaCommon):
    """Every KPI on a dataset small enough to compute by hand (figures in the comments)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.cobranza_price_utility = 0.05
        cls.buyer = cls._customer("Rosa Huamán", "+51 987 000 111", cls.pe)
        # inv1 1000, due 1 Oct: 400 paid 15 Oct, 600 paid 10 Nov -> 600 overdue at start, all
        # collected in the period; 70 days from invoice to last payment.
        cls.inv1 = cls._dated_invoice(1000, D(2026, 9, 1), D(2026, 10, 1), partner=cls.buyer)
        cls._pay(cls.inv1, 400, D(2026, 10, 15))
        cls._pay(cls.inv1, 600, D(2026, 11, 10))
        # inv2 500, due 15 Oct, unpaid -> 500 overdue at start, nothing collected.
        cls.inv2 = cls._dated_invoice(500, D(2026, 9, 15), D(2026, 10, 15), partner=cls.buyer)
        # inv3 300 invoiced in the period, paid 20 Nov -> 15 days to collect, not overdue.
        cls.inv3 = cls._dated_invoice(300, D(2026, 11, 5), D(2026, 12, 5), partner=cls.buyer)
        cls._pay(cls.inv3, 300, D(2026, 11, 20))
        # inv4 200, due 19 Nov: not overdue at the start, open at the end.
        cls.inv4 = cls._dated_invoice(200, D(2026, 10, 20), D(2026, 11, 19), partner=cls.buyer)

    def _message(self, move, sent_at, state, **values):
        vals = {"direction": "out", "channel": "whatsapp", "state": state,
                "partner_id": self.buyer.id, "company_id": self.company.id,
                "move_ids": [Command.set(move.ids)], "sent_at": sent_at,
                "level_id": self.level_by_offset[3].id}
        vals.update(values)
        message = self.env["cobranza.message"].create(vals)
        self.env.cr.execute("UPDATE cobranza_message SET create_date = %s WHERE id = %s",
                            (sent_at or values.get("failed_at"), message.id))
        return message

    def _kpis(self, **filters):
        return self.env["cobranza.dashboard"]._kpis(self.company, *PERIOD, **filters)

    def test_invoice_kpis(self):
        figures = self._kpis()
        self.assertAlmostEqual(figures["overdue_at_start"], 1100.0)  # 600 + 500
        self.assertAlmostEqual(figures["collected_on_overdue"], 600.0)
        self.assertAlmostEqual(figures["recovery_rate"], 600 / 1100 * 100)
        self.assertAlmostEqual(figures["avg_days_to_collect"], 42.5)  # (70 + 15) / 2
        self.assertAlmostEqual(figures["receivable_at_end"], 700.0)  # inv2 500 + inv4 200
        self.assertAlmostEqual(figures["credit_sales"], 300.0)  # inv3
        self.assertAlmostEqual(figures["dso"], 70.0)  # 700 / 300 * 30 days
        # Another segment has none of it: no data, not zero.
        self.assertIsNone(self._kpis(risk="high")["recovery_rate"])

    def test_dso_on_net_receivables_and_net_credit_sales(self):
        """Reported: DSO ignored credit notes. A credit note of 50 on inv4 in the period:
        receivables 650, net credit sales 250, DSO 650 / 250 x 30 = 78 days."""
        refund = self.inv4._reverse_moves([{"invoice_date": D(2026, 11, 25),
                                            "date": D(2026, 11, 25)}])
        refund.invoice_line_ids.price_unit = 50
        refund.action_post()
        (refund.line_ids | self.inv4.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable").reconcile()
        figures = self._kpis()
        self.assertAlmostEqual(figures["receivable_at_end"], 650.0)
        self.assertAlmostEqual(figures["credit_sales"], 250.0)
        self.assertAlmostEqual(figures["dso"], 78.0)

    def test_promise_and_handoff_rates(self):
        promise = self.env["cobranza.promise"]
        for date, state in ((D(2026, 11, 10), "kept"), (D(2026, 11, 12), "broken"),
                            (D(2026, 11, 12), "kept"), (D(2026, 10, 30), "broken")):
            promise.create({"partner_id": self.buyer.id, "date": date, "state": state,
                            "company_id": self.company.id})
        step = self.env["cobranza.step"]
        handoff_level = self.levels.filtered("handoff")[:1]
        for move, level, when in ((self.inv1, self.level_by_offset[3], T(2026, 11, 5, 15)),
                                  (self.inv2, handoff_level, T(2026, 11, 14, 15)),
                                  (self.inv4, self.level_by_offset[-3], T(2026, 11, 16, 15)),
                                  (self.inv4, self.level_by_offset[0], T(2026, 12, 2, 15))):
            step.create({"move_id": move.id, "level_id": level.id, "partner_id": self.buyer.id,
                         "company_id": self.company.id, "date": when})
        figures = self._kpis()
        self.assertAlmostEqual(figures["promise_kept_rate"], 2 / 3 * 100)  # 10/30 is outside
        self.assertAlmostEqual(figures["handoff_rate"], 1 / 3 * 100)  # inv2 of inv1, 2, 4

    def test_message_kpis_and_costs(self):
        m1 = self._message(self.inv1, T(2026, 11, 8, 15), "read", delivered_at=T(2026, 11, 8, 15),
                           read_at=T(2026, 11, 8, 16), billable=True, pricing_category="utility")
        self._message(self.inv2, T(2026, 11, 14, 15), "delivered",
                      delivered_at=T(2026, 11, 14, 15))
        self._message(self.inv4, False, "failed", failed_at=T(2026, 11, 16, 15))
        self._message(self.inv3, T(2026, 11, 25, 15), "read", read_at=T(2026, 11, 25, 16),
                      billable=True, pricing_category="utility",
                      level_id=self.level_by_offset[-3].id)
        reply = self.env["cobranza.message"].create({
            "direction": "in", "state": "received", "partner_id": self.buyer.id,
            "company_id": self.company.id, "body": "ya pagué"})
        self.env.cr.execute("UPDATE cobranza_message SET create_date = %s WHERE id = %s",
                            (T(2026, 11, 8, 18), reply.id))
        self.env.invalidate_all()
        figures = self._kpis()
        self.assertEqual(figures["messages"], 4)
        self.assertAlmostEqual(figures["delivery_rate"], 75.0)  # m1, m2, m4 of 4
        # Of the two messages read (m1, m4), m1 was followed by a payment.
        self.assertAlmostEqual(figures["read_to_paid_rate"], 50.0)
        # No SMS or e-mail in the period: no data, not 0 % delivered.
        self.assertIsNone(figures["sms_delivery_rate"])
        self.assertIsNone(figures["email_sent_rate"])
        self.assertAlmostEqual(figures["read_rate"], 50.0)  # m1, m4
        self.assertAlmostEqual(figures["reply_rate"], 25.0)  # m1, answered 3 hours later
        # m1 is followed by the 600 of 10 Nov; m4 came after inv3 was paid.
        self.assertAlmostEqual(figures["conversion_rate"], 25.0)
        self.assertAlmostEqual(figures["collected_after_messages"], 600.0)
        self.assertAlmostEqual(figures["message_cost"], 0.10)  # two billable utility
        by_level = self._kpis(level=self.level_by_offset[3])
        self.assertEqual(by_level["messages"], 3)
        self.assertAlmostEqual(by_level["conversion_rate"], 100 / 3)
        self.assertEqual(
            self.env["cobranza.message.report"].search([("message_id", "=", m1.id)]).replied, 1)

    def test_collected_after_each_level(self):
        self.env["cobranza.step"].create({
            "move_id": self.inv1.id, "level_id": self.level_by_offset[7].id,
            "partner_id": self.buyer.id, "company_id": self.company.id,
            "date": T(2026, 10, 8, 15)})
        rows = self.env["cobranza.collection.report"].search([("move_id", "=", self.inv1.id)])
        after = {row.amount: row.level_id for row in rows}
        self.assertEqual(after[400.0], self.level_by_offset[7])  # paid 15 Oct, after +7
        self.assertEqual(after[600.0], self.level_by_offset[7])
        self.assertFalse(self.env["cobranza.collection.report"].search(
            [("move_id", "=", self.inv2.id)]))

    def test_dashboard_form_and_access(self):
        board = self.env["cobranza.dashboard"].with_user(self.manager).create(
            {"date_from": PERIOD[0], "date_to": PERIOD[1]})
        self.assertAlmostEqual(board.dso, 70.0)
        self.assertIn("WhatsApp Delivered", board.no_data)  # no message in this test
        self.assertIn(",delivery_rate,", board.no_data_keys)
        action = board.action_open_messages()
        self.assertEqual(action["res_model"], "cobranza.message.report")
        with self.assertRaises(AccessError):
            self.env["cobranza.dashboard"].with_user(self.collector).create({})
        with self.assertRaises(AccessError):
            self.env["cobranza.message.report"].with_user(self.salesman).search([])

    def test_dashboard_keeps_to_the_users_companies(self):
        other = self.setup_other_company(name="Other Collections Co")["company"]
        # Company B's receivables are no part of company A's figures.
        before = self._kpis()
        move = self.env["account.move"].with_company(other).create({
            "move_type": "out_invoice", "partner_id": self.buyer.id, "company_id": other.id,
            "invoice_date": D(2026, 9, 1), "invoice_date_due": D(2026, 10, 1),
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1,
                                                 "price_unit": 9000, "tax_ids": []})]})
        move.action_post()
        self.assertEqual(self._kpis(), before)
        Board = self.env["cobranza.dashboard"].with_user(self.manager)  # company A only
        dates = {"date_from": PERIOD[0], "date_to": PERIOD[1]}
        with self.assertRaises(AccessError):
            Board.create(dict(dates, company_id=other.id))
        with self.assertRaises(AccessError):
            Board._kpis(other, *PERIOD)
        board = Board.create(dates)
        with self.assertRaises(AccessError):
            board.write({"company_id": other.id})
        # A manager of both companies, with only company A enabled, reads only A.
        both = new_test_user(
            self.env, login="both_managers", groups="cobranza_whatsapp.group_cobranza_manager",
            company_id=self.company.id, company_ids=[Command.set((self.company | other).ids)])
        only_a = self.env["cobranza.dashboard"].with_user(both).with_context(
            allowed_company_ids=self.company.ids)
        with self.assertRaises(AccessError):
            only_a.create(dict(dates, company_id=other.id))
        board_b = only_a.with_context(allowed_company_ids=(other | self.company).ids).create(
            dict(dates, company_id=other.id))
        self.assertEqual(board_b.receivable_at_end, 9000.0)
        with self.assertRaises(AccessError):
            board_b.with_context(allowed_company_ids=self.company.ids).read(
                ["receivable_at_end"])
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            board_b.sudo().with_user(both).with_context(
                allowed_company_ids=self.company.ids)._kpis(other, *PERIOD)

    def test_kpi_alert_notifies_on_a_drop(self):
        alert = self.env["cobranza.kpi.alert"].create({
            "kpi": "conversion_rate", "threshold": 10, "user_ids": [Command.set(self.manager.ids)]})
        # Previous week (8-14 Nov): 1 of 2 messages converted; last week (15-21): 0 of 1.
        self._message(self.inv1, T(2026, 11, 8, 15), "delivered")
        self._message(self.inv2, T(2026, 11, 9, 15), "delivered")
        self._message(self.inv4, T(2026, 11, 16, 15), "delivered")
        self.env.invalidate_all()
        alert._check(today=D(2026, 11, 22))
        self.assertTrue(alert.triggered)
        self.assertEqual((alert.previous_value, alert.last_value), (50.0, 0.0))
        notified = alert.message_ids.filtered(lambda m: self.manager.partner_id in m.partner_ids)
        self.assertIn("50.0", notified.body)
        quiet = self.env["cobranza.kpi.alert"].create({"kpi": "dso", "threshold": 10})
        quiet._check(today=D(2026, 11, 22))
        self.assertFalse(quiet.triggered)
