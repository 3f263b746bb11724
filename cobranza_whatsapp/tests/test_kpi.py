"""The KPI formulas and the A/B test, without a database."""

import datetime
import math
import random

from odoo.tests import BaseCase, tagged

from ..tools import ab_test, cadence, kpi


@tagged("post_install", "-at_install")
class TestKpiFormulas(BaseCase):
    def test_ratio_without_denominator_is_no_data(self):
        self.assertIsNone(kpi.ratio(5, 0))
        self.assertIsNone(kpi.recovery_rate(0, 0))
        self.assertEqual(kpi.ratio(1, 4), 0.25)

    def test_recovery_rate(self):
        self.assertAlmostEqual(kpi.recovery_rate(600, 1100), 0.545454, places=5)

    def test_dso(self):
        # 700 owed at the end, 300 invoiced over 30 days: 70 days of sales outstanding.
        self.assertAlmostEqual(kpi.dso(700, 300, 30), 70.0)
        self.assertIsNone(kpi.dso(700, 0, 30))

    def test_average_ignores_missing(self):
        self.assertEqual(kpi.average([70, 15, None]), 42.5)
        self.assertIsNone(kpi.average([]))

    def test_alert_on_a_drop_for_rates_and_a_rise_for_days(self):
        rates = kpi.AlertRule(higher_is_better=True, threshold=10)
        self.assertTrue(kpi.alert_triggered(rates, 45.0, 50.0))  # -10 %
        self.assertFalse(kpi.alert_triggered(rates, 45.5, 50.0))  # -9 %
        self.assertFalse(kpi.alert_triggered(rates, 60.0, 50.0))  # better
        days = kpi.AlertRule(higher_is_better=False, threshold=10)
        self.assertTrue(kpi.alert_triggered(days, 66.0, 60.0))  # +10 % DSO
        self.assertFalse(kpi.alert_triggered(days, 50.0, 60.0))
        self.assertFalse(kpi.alert_triggered(rates, None, 50.0))
        self.assertFalse(kpi.alert_triggered(rates, 10.0, 0.0))


@tagged("post_install", "-at_install")
class TestABTest(BaseCase):
    DESIGN = ab_test.Design(min_sample=200, horizon_days=28)
    START = datetime.datetime(2026, 11, 18, 15)

    def test_textbook_example(self):
        # 30/100 against 50/100: pooled p 0.4, z = 0.2 / sqrt(0.4 * 0.6 * 0.02) = 2.887.
        result = ab_test.two_proportion_test(30, 100, 50, 100)
        self.assertAlmostEqual(result.z, 0.2 / math.sqrt(0.0048), places=6)
        self.assertAlmostEqual(result.p_value, 0.00389, places=4)
        self.assertEqual(result.winner, "b")

    def test_no_winner_when_not_significant_or_too_small(self):
        self.assertIsNone(ab_test.two_proportion_test(30, 100, 33, 100).winner)
        # A big difference on a handful of customers is not evidence.
        small = ab_test.two_proportion_test(1, 10, 8, 10)
        self.assertLess(small.p_value, 0.05)
        self.assertIsNone(small.winner)

    def test_a_can_win_and_degenerate_cases(self):
        self.assertEqual(ab_test.two_proportion_test(60, 100, 35, 100).winner, "a")
        same = ab_test.two_proportion_test(0, 50, 0, 50)
        self.assertEqual((same.p_value, same.winner), (1.0, None))
        self.assertIsNone(ab_test.two_proportion_test(0, 0, 3, 40).p_value)

    def test_due_only_at_the_horizon_with_the_sample(self):
        strong = ab_test.Counts(customers_a=250, customers_b=250, paid_a=50, paid_b=100)
        self.assertLess(ab_test.two_proportion_test(50, 250, 100, 250).p_value, 0.001)
        day_27 = self.START + datetime.timedelta(days=27, hours=23)
        day_28 = self.START + datetime.timedelta(days=28)
        self.assertEqual(ab_test.decision_date(self.START, self.DESIGN), day_28)
        self.assertFalse(ab_test.is_due(self.DESIGN, self.START, day_27, strong))
        self.assertTrue(ab_test.is_due(self.DESIGN, self.START, day_28, strong))
        short = ab_test.Counts(customers_a=250, customers_b=199, paid_a=50, paid_b=100)
        self.assertFalse(ab_test.is_due(self.DESIGN, self.START, day_28, short))

    def test_payments_decide_replies_never(self):
        replies_only = ab_test.Counts(customers_a=200, customers_b=200, paid_a=40, paid_b=42,
                                      replied_a=20, replied_b=90)
        decision = ab_test.decide(self.DESIGN, replies_only)
        self.assertEqual(decision.replies.winner, "b")
        self.assertEqual(decision.result, ab_test.NO_DIFFERENCE)
        paid = ab_test.Counts(customers_a=200, customers_b=200, paid_a=40, paid_b=80)
        self.assertEqual(ab_test.decide(self.DESIGN, paid).result, "b")

    def test_no_decision_below_the_sample(self):
        with self.assertRaises(ValueError):
            ab_test.decide(self.DESIGN, ab_test.Counts(customers_a=199, customers_b=400))

    def test_peeking_every_day_finds_false_winners_the_fixed_test_does_not(self):
        """Why the test is read once: with no true difference, stopping at the first daily
        p < 0.05 names a winner far more often than 5 % of the time."""
        rng = random.Random(16)
        peeked = fixed = 0
        runs = 200
        for _run in range(runs):
            counts = [0, 0, 0, 0]  # customers a, b, paid a, paid b
            found = False
            for _day in range(28):
                for _customer in range(10):
                    arm = rng.random() < 0.5
                    counts[arm] += 1
                    counts[2 + arm] += rng.random() < 0.2
                result = ab_test.two_proportion_test(counts[2], counts[0], counts[3],
                                                     counts[1])
                found = found or result.winner is not None
            peeked += found
            fixed += result.winner is not None
        self.assertGreater(peeked / runs, 0.15)
        self.assertLess(fixed / runs, 0.10)


@tagged("post_install", "-at_install")
class TestProbabilityGate(BaseCase):
    def _plan(self, probability):
        preventive = cadence.Level(id=1, offset_days=-3, channel="whatsapp",
                                   fallback_channel="email",
                                   segments=frozenset({("low", "new")}), max_pay_probability=60)
        invoice = cadence.Invoice(id=10, partner_id=5, days_overdue=-2, residual=100.0,
                                  reached_offset=None)
        customer = cadence.Customer(id=5, risk="low", customer_type="new", consent="optin",
                                    has_whatsapp_number=True, has_phone=True, has_email=True,
                                    pay_probability=probability)
        steps, _deferred = cadence.plan([preventive], [invoice], {5: customer})
        return steps

    def test_gated_level_only_for_likely_late_payers(self):
        self.assertEqual(len(self._plan(0.45)), 1)
        self.assertEqual(len(self._plan(0.60)), 1)
        self.assertEqual(self._plan(0.85), [])
        # Not scored yet: reminded rather than forgotten.
        self.assertEqual(len(self._plan(None)), 1)
