"""A/B tests as a collections manager runs them: one experiment per variant B, customers
counted once, payments deciding once at the horizon."""

import datetime

import freezegun

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..tools import cadence
from .common import NOW, CobranzaCommon

SENT = NOW + datetime.timedelta(days=1)
BEFORE_HORIZON = NOW + datetime.timedelta(days=12)  # the customers' 7 days have elapsed
AFTER_HORIZON = NOW + datetime.timedelta(days=29)  # 28 days after the test started


@tagged("post_install", "-at_install")
class TestAbExperiment(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level = cls.level_by_offset[3]
        cls.template_a = cls.level.template_id
        cls.variant_b = cls.template_a.copy({"name": "overdue_b_experiment"})
        cls.variant_b.action_submit()
        cls.level.write({"ab_min_sample": 30, "ab_horizon_days": 28})

    def _start(self, variant_b=None, split=50):
        self.level.write({"template_b_id": (variant_b or self.variant_b).id, "ab_split": split})
        return self.level.ab_experiment_id

    def _customers(self, count, prefix):
        return self.env["res.partner"].create(
            [{"name": f"{prefix} {n}", "email": f"{prefix.lower()}{n}@example.com"}
             for n in range(count)])

    def _send(self, partners, variant, sent_at=SENT, template=None):
        """One delivered message of the level per customer, each on a new invoice of theirs."""
        template = template or (self.variant_b if variant == "b" else self.template_a)
        messages = self.env["cobranza.message"]
        for partner in partners:
            move = self._invoice(partner, 100.0, days_overdue=3)
            messages |= messages.create({
                "direction": "out", "channel": "whatsapp", "state": "delivered",
                "partner_id": partner.id, "company_id": self.company.id,
                "level_id": self.level.id, "ab_variant": variant,
                "template_id": template.id, "move_ids": [Command.set(move.ids)],
                "sent_at": sent_at})
        self.env.cr.execute("UPDATE cobranza_message SET create_date = %s WHERE id = ANY(%s)",
                            (sent_at, messages.ids))
        return messages

    def _pay(self, messages, days_after=2):
        moves = messages.move_ids
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids,
        ).create({"payment_date": (SENT + datetime.timedelta(days=days_after)).date(),
                  "group_payment": False})._create_payments()

    def _reply(self, messages):
        replies = self.env["cobranza.message"].create([{
            "direction": "in", "state": "received", "partner_id": message.partner_id.id,
            "company_id": self.company.id, "body": "ok, gracias", "intent": "thanks",
        } for message in messages])
        self.env.cr.execute("UPDATE cobranza_message SET create_date = %s WHERE id = ANY(%s)",
                            (SENT + datetime.timedelta(hours=2), replies.ids))

    def _arms(self, paid_a, paid_b, customers=30):
        """`customers` per variant, of whom paid_a and paid_b paid within 2 days."""
        sent_a = self._send(self._customers(customers, "Ana"), "a")
        sent_b = self._send(self._customers(customers, "Beto"), "b")
        self._pay(sent_a[:paid_a] | sent_b[:paid_b])
        self.env.invalidate_all()
        return sent_a, sent_b

    # === THE USER'S SCENARIOS === #

    def test_a_new_variant_b_starts_from_zero(self):
        first = self._start()
        self._arms(paid_a=5, paid_b=10)
        with freezegun.freeze_time(BEFORE_HORIZON):
            self.assertEqual((self.level.ab_customers_a, self.level.ab_customers_b), (30, 30))
            variant_c = self.template_a.copy({"name": "overdue_c_experiment"})
            self.level.template_b_id = variant_c
            self.env.invalidate_all()
            second = self.level.ab_experiment_id
            self.assertNotEqual(second, first)
            self.assertEqual((second.template_a_id, second.template_b_id),
                             (self.template_a, variant_c))
            self.assertEqual((self.level.ab_customers_a, self.level.ab_customers_b), (0, 0))
            self.assertIn("Running: 0 of 30 customers", self.level.ab_verdict)
            # The old test keeps its own figures and says it was stopped.
            self.assertEqual(first.state, "stopped")
            self.assertEqual((first.customers_a, first.customers_b), (30, 30))
            self.assertAlmostEqual(first.paid_rate_b, 100 / 3)
            self.assertEqual(self.level.ab_experiment_count, 2)
        # A message of the old variant B sent later is not the new test's.
        with freezegun.freeze_time(AFTER_HORIZON):
            self._send(self._customers(3, "Late"), "b", sent_at=BEFORE_HORIZON)
            self.env.invalidate_all()
            self.assertEqual(second.customers_b, 0)

    def test_a_customer_counts_once_however_many_messages(self):
        experiment = self._start()
        ana, beto = self._customers(1, "Ana"), self._customers(1, "Beto")
        first = self._send(ana, "a")
        # Two more reminders for Ana (other invoices), one of them paid: still one customer,
        # judged on her first message, which was not paid.
        later = self._send(ana, "a", sent_at=SENT + datetime.timedelta(hours=5))
        self._send(ana, "a", sent_at=SENT + datetime.timedelta(hours=6))
        self._pay(later)
        self._pay(self._send(beto, "b"))
        self._reply(first)
        self.env.invalidate_all()
        with freezegun.freeze_time(BEFORE_HORIZON):
            self.assertEqual((experiment.customers_a, experiment.customers_b), (1, 1))
            self.assertEqual((experiment.paid_rate_a, experiment.paid_rate_b), (0.0, 100.0))
            self.assertEqual(experiment.reply_rate_a, 100.0)

    def test_a_customer_is_counted_once_their_days_to_pay_have_elapsed(self):
        experiment = self._start()
        self._send(self._customers(2, "Ana"), "a")
        self.env.invalidate_all()
        with freezegun.freeze_time(SENT + datetime.timedelta(days=3)):
            self.assertEqual(experiment.customers_a, 0)
        self.env.invalidate_all()
        with freezegun.freeze_time(BEFORE_HORIZON):
            self.assertEqual(experiment.customers_a, 2)

    def test_replies_alone_never_name_a_winner(self):
        experiment = self._start()
        sent_a, sent_b = self._arms(paid_a=6, paid_b=7)
        # B gets far more replies (25 of 30 against 2 of 30): p < 0.0001 on replies.
        self._reply(sent_a[:2] | sent_b[:25])
        self.env.invalidate_all()
        with freezegun.freeze_time(AFTER_HORIZON):
            self.assertEqual(self.env["cobranza.ab.experiment"]._cron_decide(), 1)
            self.assertEqual((experiment.state, experiment.result), ("decided", "none"))
            self.assertAlmostEqual(experiment.reply_rate_b, 250 / 3)
            self.assertIn("No significant difference in payments", self.level.ab_verdict)
            with self.assertRaises(UserError):
                self.level.with_user(self.manager).action_promote_winner()
        self.assertEqual(self.level.template_b_id, self.variant_b)

    def test_no_winner_before_the_horizon_even_with_p_below_005(self):
        experiment = self._start()
        # 5 of 30 against 20 of 30 paid: z = 3.9, p = 0.0001, already at day 12.
        self._arms(paid_a=5, paid_b=20)
        with freezegun.freeze_time(BEFORE_HORIZON):
            self.assertEqual(self.env["cobranza.ab.experiment"]._cron_decide(), 0)
            self.assertEqual(experiment.state, "running")
            self.assertFalse(experiment.result)
            self.assertIn("Running: 30 of 30 customers per variant, decided on",
                          self.level.ab_verdict)
            with self.assertRaises(UserError):
                experiment.with_user(self.manager).action_decide()
            with self.assertRaises(UserError):
                self.level.with_user(self.manager).action_promote_winner()

    def test_the_winner_after_the_horizon(self):
        experiment = self._start()
        self._arms(paid_a=5, paid_b=20)
        with freezegun.freeze_time(AFTER_HORIZON):
            self.assertEqual(self.env["cobranza.ab.experiment"]._cron_decide(), 1)
            self.assertEqual((experiment.state, experiment.result), ("decided", "b"))
            self.assertLess(experiment.p_value, 0.001)
            self.assertIn("Variant B converts better to payment", self.level.ab_verdict)
            # Decided once: the next run leaves it alone.
            self.assertEqual(self.env["cobranza.ab.experiment"]._cron_decide(), 0)
            self.level.with_user(self.manager).action_promote_winner()
        self.assertEqual(self.level.template_id, self.variant_b)
        self.assertFalse(self.level.template_b_id)
        self.assertEqual(experiment.state, "decided")

    def test_no_decision_at_the_horizon_without_the_sample(self):
        experiment = self._start()
        self._arms(paid_a=1, paid_b=15, customers=20)
        with freezegun.freeze_time(AFTER_HORIZON):
            self.assertEqual(self.env["cobranza.ab.experiment"]._cron_decide(), 0)
            self.assertEqual(experiment.state, "running")
            self.assertIn("Running: 20 of 30 customers", experiment.verdict)

    # === THE DRAW === #

    def test_the_cadence_draws_the_customer_with_the_test(self):
        experiment = self._start()
        self._invoice(self.customer, 500.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)
        expected = cadence.ab_variant(self.customer.id, experiment.id, 50)
        self.assertEqual(message.ab_variant, expected)
        self.assertEqual(self.level._ab_variant_for(self.customer), expected)

    def test_the_design_is_fixed_once_started(self):
        experiment = self._start()
        self.level.ab_min_sample = 500  # for the next test
        self.assertEqual(experiment.min_sample, 30)
        with self.assertRaises(UserError):
            experiment.with_user(self.manager).write({"horizon_days": 7})
        self.level.action_start_ab_test()
        self.assertEqual(experiment.state, "stopped")
        self.assertEqual(self.level.ab_experiment_id.min_sample, 500)

    def test_stop_goes_back_to_template_a(self):
        experiment = self._start()
        self.level.with_user(self.manager).action_stop_ab_test()
        self.assertEqual(experiment.state, "stopped")
        self.assertFalse(self.level.template_b_id)
        self.assertFalse(self.level.ab_experiment_id)

    # === WHO SEES WHAT === #

    def test_collectors_read_managers_run_other_companies_see_nothing(self):
        experiment = self._start()
        self.assertEqual(experiment.with_user(self.collector).state, "running")
        with self.assertRaises(AccessError):
            experiment.with_user(self.collector).action_stop()
        other = self.setup_other_company(name="Other A/B Co")["company"]
        other._cobranza_load_defaults()
        level_b = self.env["cobranza.level"].search(
            [("company_id", "=", other.id), ("template_id", "!=", False)], limit=1)
        level_b.template_b_id = level_b.template_id.copy({"name": "other_b"})
        Experiments = self.env["cobranza.ab.experiment"].with_user(self.manager)
        self.assertEqual(Experiments.search([]), experiment)
        with self.assertRaises(AccessError):
            level_b.ab_experiment_id.with_user(self.manager).read(["state"])
