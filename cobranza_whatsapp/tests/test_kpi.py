"""The KPI formulas and the A/B test, without a database."""

import math

from odoo.tests import BaseCase, tagged

from ..tools import cadence, kpi


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
    def test_textbook_example(self):
        # 30/100 against 50/100: pooled p 0.4, z = 0.2 / sqrt(0.4 * 0.6 * 0.02) = 2.887.
        result = kpi.two_proportion_test(30, 100, 50, 100)
        self.assertAlmostEqual(result.z, 0.2 / math.sqrt(0.0048), places=6)
        self.assertAlmostEqual(result.p_value, 0.00389, places=4)
        self.assertEqual(result.winner, "b")

    def test_no_winner_when_not_significant_or_too_small(self):
        self.assertIsNone(kpi.two_proportion_test(30, 100, 33, 100).winner)
        # A big difference on a handful of messages is not evidence.
        small = kpi.two_proportion_test(1, 10, 8, 10)
        self.assertLess(small.p_value, 0.05)
        self.assertIsNone(small.winner)

    def test_a_can_win_and_degenerate_cases(self):
        self.assertEqual(kpi.two_proportion_test(60, 100, 35, 100).winner, "a")
        same = kpi.two_proportion_test(0, 50, 0, 50)
        self.assertEqual((same.p_value, same.winner), (1.0, None))
        self.assertIsNone(kpi.two_proportion_test(0, 0, 3, 40).p_value)


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
