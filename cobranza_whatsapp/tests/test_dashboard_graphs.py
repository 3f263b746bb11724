import datetime

import freezegun

from odoo import fields
from odoo.tests import tagged

from ..models.cobranza_dashboard import FUNNEL
from .common import CobranzaCommon

D = datetime.date


class DatedInvoices(CobranzaCommon):

    def _board(self, date_from, date_to, user=None, **values):
        return self.env["cobranza.dashboard"].with_user(user or self.env.user).create(
            {"date_from": date_from, "date_to": date_to, **values})


@tagged("post_install", "-at_install")
class TestDashboardPeriods(DatedInvoices):
    """Presets and the previous period, on one invoice paid across two months."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 1000 due 1 Sep: 400 paid 15 Oct, 600 paid 10 Nov.
        # November: 600 overdue at its start, all of it collected -> 100 %.
        # Its previous period (2-31 Oct): 1000 overdue, 400 collected -> 40 %.
        cls.invoice = cls._dated_invoice(1000, D(2026, 8, 1), D(2026, 9, 1))
        cls._pay(cls.invoice, 400, D(2026, 10, 15))
        cls._pay(cls.invoice, 600, D(2026, 11, 10))

    def test_presets_set_the_dates(self):
        board = self._board(D(2026, 1, 1), D(2026, 1, 31))
        with freezegun.freeze_time("2026-11-18 17:00:00"):
            today = fields.Date.context_today(board)
            self.assertEqual(today, D(2026, 11, 18))
            board.action_period_month()
            self.assertEqual((board.date_from, board.date_to), (D(2026, 11, 1), today))
            board.action_period_last_30()
            self.assertEqual((board.date_from, board.date_to), (D(2026, 10, 20), today))
            board.action_period_quarter()
            self.assertEqual((board.date_from, board.date_to), (D(2026, 10, 1), today))
        with freezegun.freeze_time("2026-03-31 17:00:00"):
            board.action_period_quarter()
            self.assertEqual((board.date_from, board.date_to),
                             (D(2026, 1, 1), D(2026, 3, 31)))

    def test_previous_period_values(self):
        board = self._board(D(2026, 11, 1), D(2026, 11, 30))
        self.assertEqual((board.previous_date_from, board.previous_date_to),
                         (D(2026, 10, 2), D(2026, 10, 31)))
        self.assertAlmostEqual(board.recovery_rate, 100.0)
        self.assertAlmostEqual(board.collected_on_overdue, 600.0)
        self.assertAlmostEqual(board.recovery_rate_previous, 40.0)
        self.assertAlmostEqual(board.collected_on_overdue_previous, 400.0)
        # No sales in October, no messages: no data, not 0.
        self.assertIn(",dso_previous,", board.no_data_keys)
        self.assertIn(",conversion_rate_previous,", board.no_data_keys)
        self.assertNotIn(",recovery_rate_previous,", board.no_data_keys)
        # A changed period recomputes the previous one.
        board.date_from = D(2026, 11, 16)
        self.assertEqual((board.previous_date_from, board.previous_date_to),
                         (D(2026, 11, 1), D(2026, 11, 15)))
        self.assertAlmostEqual(board.recovery_rate_previous, 100.0)  # 600 of 600 by 10 Nov


@tagged("post_install", "-at_install")
class TestAgingReport(DatedInvoices):
    """Open receivables by age, computed by hand relative to today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Report = cls.env["cobranza.aging.report"]
        cls.today = today = fields.Date.context_today(Report)

        def ago(days):
            return today - datetime.timedelta(days=days)

        cls._dated_invoice(100, ago(20), ago(-10))  # not due
        partial = cls._dated_invoice(200, ago(40), ago(10))  # 1-30: 150 left
        cls._pay(partial, 50, today)
        cls._dated_invoice(300, ago(75), ago(45))  # 31-60
        cls._dated_invoice(400, ago(105), ago(75))  # 61-90
        cls._dated_invoice(500, ago(150), ago(120))  # over 90
        paid = cls._dated_invoice(600, ago(35), ago(5))  # paid: not open
        cls._pay(paid, 600, today)
        cls.data_b = cls.setup_other_company(name="Aging B")
        cls.move_b = cls._dated_invoice(700, ago(60), ago(30), company_data=cls.data_b)

    def _buckets(self, report):
        return dict(report._read_group(
            [("company_id", "=", self.company.id)], ["bucket"], ["amount_residual:sum"]))

    def test_buckets_sum_to_the_open_receivables(self):
        buckets = self._buckets(self.env["cobranza.aging.report"])
        self.assertEqual(buckets, {"0_not_due": 100.0, "1_30": 150.0, "31_60": 300.0,
                                   "61_90": 400.0, "91_plus": 500.0})
        open_invoices = self.env["account.move"].search([
            ("company_id", "=", self.company.id), ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"), ("amount_residual", ">", 0)])
        self.assertAlmostEqual(sum(buckets.values()), 1450.0)
        self.assertAlmostEqual(sum(open_invoices.mapped("amount_residual_signed")), 1450.0)

    def test_other_company_invoices_are_not_shown(self):
        for user in (self.manager, self.collector):
            report = self.env["cobranza.aging.report"].with_user(user)
            rows = report.search([])
            self.assertTrue(rows)
            self.assertEqual(rows.company_id, self.company, user.login)
            self.assertNotIn(self.move_b, rows.move_id)
            self.assertEqual(sum(self._buckets(report).values()), 1450.0)
        # The superuser sees it, in its bucket (30 days overdue).
        row_b = self.env["cobranza.aging.report"].sudo().search(
            [("move_id", "=", self.move_b.id)])
        self.assertEqual((row_b.bucket, row_b.amount_residual), ("1_30", 700.0))

    def test_actions(self):
        board = self._board(D(2026, 11, 1), D(2026, 11, 30), risk="high", user=self.manager)
        aging = board.action_open_aging()
        self.assertEqual(aging["res_model"], "cobranza.aging.report")
        self.assertEqual(aging["views"][0][1], "graph")
        self.assertEqual(aging["context"]["graph_groupbys"], ["bucket"])
        self.assertEqual(aging["context"]["graph_measure"], "amount_residual")
        self.assertIn(("company_id", "=", self.company.id), aging["domain"])
        self.assertIn(("risk", "=", "high"), aging["domain"])
        weekly = board.action_open_collected_weekly()
        self.assertEqual(weekly["res_model"], "cobranza.collection.report")
        self.assertEqual(weekly["views"][0][1], "graph")
        self.assertEqual(weekly["context"]["graph_mode"], "line")
        self.assertEqual(weekly["context"]["graph_groupbys"], ["date:week"])
        self.assertEqual(weekly["context"]["graph_measure"], "amount")
        self.assertIn(("date", ">=", D(2026, 11, 1)), weekly["domain"])
        funnel = board.action_open_funnel()
        self.assertEqual(funnel["res_model"], "cobranza.message.report")
        self.assertEqual(funnel["views"][0][1], "pivot")
        self.assertEqual(funnel["context"]["pivot_measures"], list(FUNNEL))
        self.assertEqual(funnel["context"]["pivot_row_groupby"], ["channel", "template_label"])
        by_level = board.action_open_collections()
        self.assertEqual(by_level["views"][0][1], "pivot")
        # Every measure and grouping named exists on the report, the aging's views load.
        for action in (aging, weekly, funnel, by_level):
            Report = self.env[action["res_model"]].with_user(self.manager)
            context = action["context"]
            names = [*context.get("graph_groupbys", []), *context.get("pivot_row_groupby", []),
                     *context.get("pivot_measures", []), context.get("graph_measure")]
            for name in filter(None, names):
                self.assertIn(name.split(":")[0], Report._fields, name)
            Report.search(action["domain"])
            for view_id, view_type in action["views"]:
                Report.get_view(view_id, view_type)


@tagged("post_install", "-at_install")
class TestReportDefaults(DatedInvoices):
    """The analyses' first screen shows something: counts, by what the message was for."""

    def _message(self, state, **values):
        vals = {"direction": "out", "channel": "whatsapp", "state": state,
                "partner_id": self.customer.id, "company_id": self.company.id,
                "sent_at": fields.Datetime.now(), "level_id": self.level_by_offset[3].id}
        vals.update(values)
        return self.env["cobranza.message"].create(vals)

    def test_message_report_groups_by_a_human_label(self):
        template = self.templates.filtered("label")[:1]
        self.assertTrue(template)
        level = self.level_by_offset[3]
        self._message("read", template_id=template.id)
        self._message("delivered", template_id=template.id)
        self._message("sent", channel="sms", template_id=False)
        Report = self.env["cobranza.message.report"]
        groups = {label: counts for label, *counts in Report._read_group(
            [("company_id", "=", self.company.id)], ["template_label"],
            [f"{name}:sum" for name in FUNNEL])}
        # sent, delivered, read, clicked, replied, paid
        self.assertEqual(groups, {template.label: [2, 2, 1, 0, 0, 0],
                                  level.name: [1, 0, 0, 0, 0, 0]})
        graph = Report.get_view(view_type="graph")["arch"]
        self.assertIn('name="template_label"', graph)
        self.assertIn('name="message_count" type="measure"', graph)

    def test_collection_report_graph_is_by_week(self):
        arch = self.env["cobranza.collection.report"].get_view(view_type="graph")["arch"]
        self.assertIn('name="date" interval="week"', arch)
        self.assertIn('type="line"', arch)
