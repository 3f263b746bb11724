"""Payment plan schedules and settlement, without a database."""

import datetime
from decimal import Decimal

from odoo.addons.cobranza_whatsapp.tools import plans
from odoo.tests import BaseCase, tagged

D = datetime.date


@tagged("post_install", "-at_install")
class TestSchedule(BaseCase):
    def test_equal_monthly_instalments_absorb_rounding(self):
        schedule = plans.build_schedule(1000, 3, D(2026, 1, 31))
        self.assertEqual([d for d, _a in schedule], [D(2026, 1, 31), D(2026, 2, 28),
                                                     D(2026, 3, 31)])
        self.assertEqual([a for _d, a in schedule],
                         [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")])
        self.assertEqual(sum(a for _d, a in schedule), Decimal("1000.00"))

    def test_first_amount_and_weekly(self):
        schedule = plans.build_schedule(1000, 4, D(2026, 11, 20), "weekly", first_amount=400)
        self.assertEqual([a for _d, a in schedule],
                         [Decimal("400.00"), Decimal("200.00"), Decimal("200.00"),
                          Decimal("200.00")])
        self.assertEqual(schedule[-1][0], D(2026, 12, 11))

    def test_bad_plans(self):
        with self.assertRaises(ValueError):
            plans.build_schedule(1000, 0, D(2026, 1, 1))
        with self.assertRaises(ValueError):
            plans.build_schedule(1000, 2, D(2026, 1, 1), first_amount=1200)
        with self.assertRaises(ValueError):
            plans.build_schedule(1000, 1, D(2026, 1, 1), first_amount=300)

    def test_limits(self):
        self.assertEqual(plans.check_limits(1000, 3, 400, max_instalments=6,
                                            min_first_percent=20), [])
        problems = plans.check_limits(1000, 8, 100, max_instalments=6, min_first_percent=20)
        self.assertEqual(len(problems), 2)


@tagged("post_install", "-at_install")
class TestSettle(BaseCase):
    schedule = [(D(2026, 1, 10), Decimal("300")), (D(2026, 2, 10), Decimal("300")),
                (D(2026, 3, 10), Decimal("400"))]

    def test_payments_settle_in_order(self):
        states, broken, completed = plans.settle(self.schedule, 650, D(2026, 2, 11))
        self.assertEqual(states, ["paid", "paid", "pending"])
        self.assertFalse(broken or completed)

    def test_missed_instalment_after_grace_breaks(self):
        states, broken, _ = plans.settle(self.schedule, 300, D(2026, 2, 12))
        self.assertEqual(states[1], "pending", "within the grace days")
        states, broken, _ = plans.settle(self.schedule, 300, D(2026, 2, 14))
        self.assertEqual(states[1], "late")
        self.assertTrue(broken)

    def test_completed(self):
        _states, broken, completed = plans.settle(self.schedule, 1000, D(2026, 5, 1))
        self.assertTrue(completed)
        self.assertFalse(broken)

    def test_minimum_first_instalment(self):
        # Equal thirds give 33 %: a 40 % minimum asks for a larger first one.
        self.assertEqual(plans.minimum_first_instalment(1000, 3, 40), Decimal("400.00"))
        self.assertIsNone(plans.minimum_first_instalment(1000, 3, 30))
        self.assertIsNone(plans.minimum_first_instalment(1000, 0, 40))
        schedule = plans.build_schedule(1000, 3, datetime.date(2026, 12, 1),
                                        first_amount=plans.minimum_first_instalment(1000, 3, 40))
        self.assertEqual([amount for _d, amount in schedule],
                         [Decimal("400.00"), Decimal("300.00"), Decimal("300.00")])
        self.assertFalse(plans.check_limits(1000, 3, schedule[0][1], max_instalments=6,
                                            min_first_percent=40))
