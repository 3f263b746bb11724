import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestPaymentPlan(CobranzaCommon):
    def _plan(self, moves, count=3, first_amount=None):
        plan = self.env["cobranza.payment.plan"]._create_plan(
            self.customer, moves, count, NOW.date() + datetime.timedelta(days=5),
            interval="weekly", first_amount=first_amount)
        return plan

    def pay(self, move, amount, date=None):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"amount": amount, "payment_date": date or NOW.date(),
                  "payment_difference_handling": "open"})._create_payments()

    def test_plan_pauses_cadence_and_reminds_before_each_instalment(self):
        move = self._invoice(self.customer, 900.0, days_overdue=10)
        plan = self._plan(move)
        self.assertEqual(plan.line_ids.mapped("amount"), [300.0, 300.0, 300.0])
        plan.action_activate()
        self.assertEqual(move.cobranza_state, "negotiation")
        self.assertEqual(self.run_cadence()["steps"], 0, "the plan's dates take over")
        self.env["cobranza.payment.plan"]._cron_follow(today=NOW.date() + datetime.timedelta(
            days=3))
        reminders = self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "plan_instalment")
        self.assertEqual(len(reminders), 1)
        self.assertTrue(plan.line_ids[0].reminded)
        self.env["cobranza.payment.plan"]._cron_follow(today=NOW.date() + datetime.timedelta(
            days=4))
        self.assertEqual(len(self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "plan_instalment")), 1, "one reminder each")

    def test_payments_settle_instalments_and_complete(self):
        move = self._invoice(self.customer, 900.0, days_overdue=10)
        plan = self._plan(move)
        plan.action_activate()
        self.pay(move, 300.0)
        self.env["cobranza.payment.plan"]._cron_follow(today=NOW.date() + datetime.timedelta(
            days=6))
        self.assertEqual(plan.line_ids.mapped("state"), ["paid", "pending", "pending"])
        self.pay(move, 600.0)
        self.env["cobranza.payment.plan"]._cron_follow(today=NOW.date() + datetime.timedelta(
            days=7))
        self.assertEqual(plan.state, "completed")

    def test_missed_instalment_breaks_plan_and_resumes_cadence(self):
        move = self._invoice(self.customer, 900.0, days_overdue=10)
        plan = self._plan(move)
        plan.action_activate()
        self.env["cobranza.payment.plan"]._cron_follow(today=NOW.date() + datetime.timedelta(
            days=9))
        self.assertEqual(plan.state, "broken")
        self.assertFalse(move.cobranza_paused_until)
        self.assertEqual(self.customer.cobranza_broken_promises, 1)
        self.assertEqual(self.run_cadence(now=NOW + datetime.timedelta(days=9))["steps"], 1)

    def test_limits_from_settings(self):
        move = self._invoice(self.customer, 900.0, days_overdue=10)
        self.company.cobranza_plan_max_instalments = 2
        with self.assertRaises(UserError):
            self._plan(move, count=3).action_activate()
        self.company.cobranza_plan_max_instalments = 6
        with self.assertRaises(UserError):
            self._plan(move, count=3, first_amount=50).action_activate()
        self.customer.cobranza_risk_manual = "high"
        with self.assertRaises(UserError):
            self._plan(move, count=3).action_activate()
