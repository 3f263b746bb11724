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


@tagged("post_install", "-at_install")
class TestOffers(BaseCase):
    """The options a customer is offered in the conversation, from the company's limits."""

    def test_the_count_a_customer_asks_for(self):
        cases = {
            "necesito un plan": None, "puedo pagar en cuotas?": None,
            "me lo fraccionan en 3?": 3, "¿puedo pagar en 12 cuotas?": 12,
            "se puede a 6 meses sin intereses?": 6, "dividirlo en dos porfa": 2,
            "en tres partes": 3, "Can I pay in 4 installments?": 4, "en 2 pagos": 2,
            "me dan 12 meses para pagar?": 12,
            # times, amounts and single payments are not counts
            "le pago en 3 dias": None, "pagar 500 en cuotas": None, "en 1 cuota": None,
            "pago en 3 mil": None, "quiero pagar en 2 de diciembre": None,
            "en cuotas de 200 soles": None,
        }
        for text, count in cases.items():
            with self.subTest(text=text):
                self.assertEqual(plans.requested_instalments(text), count)

    def test_the_counts_offered(self):
        self.assertEqual(plans.offer_counts(None, 6), (2, 3, 4))
        self.assertEqual(plans.offer_counts(None, 3), (2, 3))
        self.assertEqual(plans.offer_counts(None, 1), ())
        self.assertEqual(plans.offer_counts(3, 6), (2, 3, 4))
        self.assertEqual(plans.offer_counts(6, 6), (4, 5, 6), "the count asked and below")
        self.assertEqual(plans.offer_counts(12, 6), (), "beyond the maximum: a person")

    def test_options_keep_the_limits(self):
        first = D(2026, 12, 5)
        options, refused = plans.plan_options(1200, (2, 3, 4), first, min_first_percent=20)
        self.assertEqual([count for count, _s in options], [2, 3, 4])
        self.assertEqual(options[1][1], [(D(2026, 12, 5), Decimal("400.00")),
                                         (D(2027, 1, 5), Decimal("400.00")),
                                         (D(2027, 2, 5), Decimal("400.00"))])
        self.assertFalse(refused)
        # A 40 % first share, and no instalment under 250: four would leave 240s.
        options, refused = plans.plan_options(1200, (2, 3, 4), first, interval="weekly",
                                              min_first_percent=40, min_instalment=250)
        self.assertEqual([count for count, _s in options], [2, 3])
        self.assertEqual([a for _d, a in options[1][1]],
                         [Decimal("480.00"), Decimal("360.00"), Decimal("360.00")])
        self.assertEqual(options[1][1][-1][0], D(2026, 12, 19))
        self.assertEqual(refused[4][0][1], {"amount": 250})
        _options, refused = plans.plan_options(0, (2,), first)
        self.assertIn(2, refused)

    def test_check_limits_knows_the_least_instalment(self):
        self.assertEqual(len(plans.check_limits(1000, 4, 400, max_instalments=6,
                                                min_first_percent=20, smallest_amount=200,
                                                min_instalment=250)), 1)
        self.assertFalse(plans.check_limits(1000, 4, 400, max_instalments=6,
                                            min_first_percent=20, smallest_amount=200))

    def test_option_ids_are_checked_for_shape_only(self):
        self.assertEqual(plans.option_id(3, 42), "PLAN:3:42")
        self.assertEqual(plans.parse_option("3:42"), (3, 42))
        for reference in (None, "", "F001-00042", "3:x", "3:42:1", "0:42", "300:42", " :42"):
            with self.subTest(reference=reference):
                self.assertIsNone(plans.parse_option(reference))

    def test_amounts_and_days_as_the_customer_reads_them(self):
        schedule = plans.build_schedule(1000, 3, D(2026, 12, 5))
        self.assertEqual(plans.group_amounts(schedule), [
            (Decimal("333.33"), [D(2026, 12, 5), D(2027, 1, 5)]),
            (Decimal("333.34"), [D(2027, 2, 5)])])
        self.assertEqual(plans.format_day(D(2026, 12, 11), "es_PE"), "11/12")
        self.assertEqual(plans.format_day(D(2026, 12, 11), "en_US"), "12/11")
        self.assertEqual(plans.format_day(D(2026, 12, 11), "es_PE", weekday=True),
                         "viernes 11/12")
