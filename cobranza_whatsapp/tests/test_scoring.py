import math
from dataclasses import replace
from itertools import pairwise

from odoo.addons.cobranza_whatsapp.tools import scoring
from odoo.addons.cobranza_whatsapp.tools.scoring import RiskInput, RiskThresholds
from odoo.tests import BaseCase, tagged

GOOD = RiskInput(
    max_days_overdue=0,
    open_amount=500.0,
    avg_days_late=None,
    broken_promises=0,
    kept_promises=0,
    paid_invoices=0,
    replies=0,
    messages=0,
)


def segment(**changes):
    return scoring.risk_segment(replace(GOOD, **changes), RiskThresholds())


def probability(inp):
    return scoring.payment_probability(inp)[0]


@tagged("post_install", "-at_install")
class TestRiskSegment(BaseCase):
    def test_nothing_overdue_is_low_with_a_reason(self):
        level, reasons = segment()
        self.assertEqual(level, scoring.LOW)
        self.assertEqual(len(reasons), 1)

    def test_days_thresholds(self):
        self.assertEqual(segment(max_days_overdue=6)[0], scoring.LOW)
        self.assertEqual(segment(max_days_overdue=7)[0], scoring.MEDIUM)
        self.assertEqual(segment(max_days_overdue=29)[0], scoring.MEDIUM)
        self.assertEqual(segment(max_days_overdue=30)[0], scoring.HIGH)

    def test_broken_promises(self):
        self.assertEqual(segment(broken_promises=1)[0], scoring.MEDIUM)
        self.assertEqual(segment(broken_promises=2)[0], scoring.HIGH)

    def test_large_balance_counts_only_once_late(self):
        self.assertEqual(segment(open_amount=50000)[0], scoring.LOW)
        self.assertEqual(segment(open_amount=50000, max_days_overdue=1)[0], scoring.MEDIUM)
        self.assertEqual(segment(open_amount=50000, max_days_overdue=7)[0], scoring.HIGH)
        self.assertEqual(segment(open_amount=9999, max_days_overdue=7)[0], scoring.MEDIUM)

    def test_habitual_late_payer(self):
        self.assertEqual(segment(avg_days_late=9.9)[0], scoring.LOW)
        self.assertEqual(segment(avg_days_late=10)[0], scoring.MEDIUM)

    def test_custom_thresholds(self):
        strict = RiskThresholds(medium_days=1, high_days=5)
        self.assertEqual(scoring.risk_segment(replace(GOOD, max_days_overdue=5), strict)[0], "high")
        self.assertEqual(scoring.risk_segment(replace(GOOD, max_days_overdue=5))[0], "low")

    def test_reasons_explain_every_signal_worst_first(self):
        level, reasons = segment(
            max_days_overdue=45, broken_promises=3, open_amount=20000, avg_days_late=12.26
        )
        self.assertEqual(level, scoring.HIGH)
        texts = [template % params for template, params in reasons]
        self.assertEqual(len(texts), 4)
        self.assertIn("45 days overdue", texts[0])
        self.assertIn("high from 30", texts[0])
        self.assertIn("12.3 days late", texts[-1])
        self.assertTrue(any("20000" in text and "10000" in text for text in texts))

    def test_reason_templates_format_with_their_params(self):
        for changes in ({}, {"max_days_overdue": 8}, {"broken_promises": 1}, {"avg_days_late": 11}):
            for template, params in segment(**changes)[1]:
                with self.subTest(template=template):
                    self.assertNotIn("%(", template % params)


@tagged("post_install", "-at_install")
class TestCustomerType(BaseCase):
    def test_recurring_from_three_paid_invoices(self):
        self.assertEqual(scoring.customer_type(0), scoring.NEW)
        self.assertEqual(scoring.customer_type(2), scoring.NEW)
        self.assertEqual(scoring.customer_type(3), scoring.RECURRING)
        self.assertEqual(scoring.customer_type(1, recurring_min=1), scoring.RECURRING)


@tagged("post_install", "-at_install")
class TestPaymentProbability(BaseCase):
    def assertDecreasing(self, values):
        for earlier, later in pairwise(values):
            self.assertGreater(earlier, later)

    def test_bounds_and_explanation(self):
        value, contributions = scoring.payment_probability(GOOD)
        self.assertTrue(0 < value < 1)
        logit = sum(share for _key, share in contributions)
        self.assertAlmostEqual(value, 1 / (1 + math.exp(-logit)))
        self.assertEqual({key for key, _share in contributions}, set(scoring.FACTOR_LABELS))

    def test_more_days_overdue_lowers_it(self):
        self.assertDecreasing(
            [probability(replace(GOOD, max_days_overdue=d)) for d in (0, 1, 7, 30, 90, 365)]
        )

    def test_more_broken_promises_lower_it(self):
        self.assertDecreasing([probability(replace(GOOD, broken_promises=n)) for n in range(5)])

    def test_later_history_lowers_it(self):
        self.assertDecreasing(
            [probability(replace(GOOD, avg_days_late=d)) for d in (0.5, 5, 15, 60)]
        )

    def test_bigger_balance_lowers_it(self):
        self.assertDecreasing(
            [probability(replace(GOOD, open_amount=a)) for a in (0, 1000, 10000, 100000)]
        )

    def test_kept_promises_replies_and_history_raise_it(self):
        base = replace(GOOD, max_days_overdue=20, messages=6)
        self.assertDecreasing([probability(replace(base, kept_promises=n)) for n in (4, 2, 1, 0)])
        self.assertDecreasing([probability(replace(base, replies=n)) for n in (6, 3, 1, 0)])
        self.assertDecreasing([probability(replace(base, paid_invoices=n)) for n in (20, 5, 1, 0)])

    def test_silence_weighs_more_after_more_messages(self):
        once = probability(replace(GOOD, messages=1))
        many = probability(replace(GOOD, messages=8))
        self.assertGreater(once, many)

    def test_amount_scales_with_the_companys_threshold(self):
        pesos = RiskThresholds(high_amount=10_000_000)
        inp = replace(GOOD, open_amount=50_000)
        self.assertGreater(scoring.payment_probability(inp, pesos)[0], probability(inp))

    def test_worst_customer_is_unlikely_best_is_likely(self):
        worst = RiskInput(365, 100000, 90, 5, 0, 0, 0, 10)
        best = RiskInput(0, 100, 0, 0, 3, 20, 5, 5)
        self.assertLess(probability(worst), 0.1)
        self.assertGreater(probability(best), 0.9)

    def test_plain_reasons_say_what_the_factors_mean(self):
        """Reported: "Punto de partida: +1.5 / Monto adeudado: -0.3" (log-odds, English
        decimal point). The reasons read as statements, strongest first, the model's
        starting point left out."""
        factors = [("baseline", 1.5), ("days_overdue", -1.1), ("promises_broken", -1.25),
                   ("invoice_history", 0.4), ("responsiveness", -0.02), ("open_amount", -0.3)]
        reasons = scoring.plain_reasons(factors)
        self.assertEqual([(str(p), helps, strong) for p, helps, strong in reasons], [
            ("Broke promises to pay", False, True),
            ("Has invoices overdue", False, True),
            ("Has paid invoices before", True, False),
            ("Owes more than usual", False, False),
        ])
        self.assertEqual(set(scoring.FACTOR_PHRASES) | {"baseline"},
                         set(scoring.FACTOR_LABELS))

