import datetime

from odoo import Command
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

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


@tagged("post_install", "-at_install")
class TestPaymentPlanForm(CobranzaCommon):
    """A collector with the collections group alone lays out a plan by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.only_collector = new_test_user(
            cls.env, login="plan_collector",
            groups="base.group_user,cobranza_whatsapp.group_cobranza_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Pia Plan")
        cls.mxn = cls.setup_other_currency("MXN")

    def test_a_plan_from_the_menu_takes_the_invoices_currency_and_amount(self):
        move = self._invoice(self.customer, 1234.56, days_overdue=10, currency=self.mxn)
        Plan = self.env["cobranza.payment.plan"].with_user(self.only_collector)
        with Form(Plan) as form:  # Collections › Payment Plans › New
            form.partner_id = self.customer
            form.move_ids.add(move)
            form.instalment_count = 2
            self.assertEqual(form.currency_id, self.mxn)
            self.assertAlmostEqual(form.amount_total, 1234.56)
        plan = form.record
        plan.action_compute_lines()  # Compute Instalments
        self.assertEqual((plan.currency_id, plan.amount_total), (self.mxn, 1234.56))
        self.assertEqual(plan.line_ids.mapped("amount"), [617.28, 617.28])
        self.assertEqual(plan.line_ids.currency_id, self.mxn)
        self.assertEqual(plan.display_name, "Plan María Quispe")
        plan.action_activate()  # Customer Accepted
        self.assertEqual(move.cobranza_state, "negotiation")
        self.assertTrue(move.cobranza_paused_until)
        self.run_cadence()
        self.assertFalse(self.steps_for(move), "the plan's dates take over from the cadence")

    def test_customer_accepted_lays_out_the_instalments_if_not_done(self):
        move = self._invoice(self.customer, 900.0, days_overdue=10)
        with Form(self.env["cobranza.payment.plan"].with_user(self.only_collector)) as form:
            form.move_ids.add(move)  # the customer follows from the invoice
        plan = form.record
        self.assertEqual(plan.partner_id, self.customer)
        plan.action_activate()
        self.assertEqual((plan.state, plan.line_ids.mapped("amount")),
                         ("active", [300.0, 300.0, 300.0]))

    def test_offer_plan_from_the_invoice_and_the_customer(self):
        local = self._invoice(self.customer, 600.0, days_overdue=10)
        pesos = self._invoice(self.customer, 800.0, days_overdue=12, currency=self.mxn)
        for source, moves in ((pesos, pesos), (self.customer, local)):
            with self.subTest(source=source._name):
                action = source.with_user(self.only_collector).action_cobranza_offer_plan()
                self.assertEqual((action["res_model"], action["view_mode"]),
                                 ("cobranza.payment.plan", "form"))
                Plan = self.env[action["res_model"]].with_user(self.only_collector)
                with Form(Plan.with_context(**action["context"])) as form:
                    self.assertEqual(form.partner_id, self.customer)
                    # From the customer: its invoices in the company's currency only.
                    self.assertEqual({move.id for move in form.move_ids}, set(moves.ids))
                    self.assertEqual(form.currency_id, moves.currency_id)
                    self.assertEqual(form.amount_total, moves.amount_residual)

    def test_a_plan_covers_one_currency(self):
        local = self._invoice(self.customer, 600.0, days_overdue=10)
        pesos = self._invoice(self.customer, 800.0, days_overdue=12, currency=self.mxn)
        with self.assertRaises(ValidationError):
            self.env["cobranza.payment.plan"].with_user(self.only_collector).create({
                "partner_id": self.customer.id, "move_ids": [Command.set((local | pesos).ids)]})
