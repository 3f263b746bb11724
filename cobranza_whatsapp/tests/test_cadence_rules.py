"""The cadence's decisions, without a database."""


from odoo.addons.cobranza_whatsapp.tools import cadence
from odoo.tests import BaseCase, tagged

ALL = frozenset((r, t) for r in ("low", "medium", "high") for t in ("new", "recurring"))


def level(id_, offset, channel="whatsapp", fallback="email", segments=ALL, **kw):
    return cadence.Level(id=id_, offset_days=offset, channel=channel,
                         fallback_channel=fallback, segments=segments, **kw)


def customer(id_=1, **kw):
    values = {"risk": "low", "customer_type": "new", "consent": "optin",
              "has_whatsapp_number": True, "has_phone": True, "has_email": True}
    values.update(kw)
    return cadence.Customer(id=id_, **values)


def invoice(id_, days, partner=1, residual=100.0, reached=None, blocked=False):
    return cadence.Invoice(id=id_, partner_id=partner, days_overdue=days, residual=residual,
                           reached_offset=reached, blocked=blocked)


LEVELS = [level(1, -3), level(2, 0), level(3, 3, fallback="sms"), level(4, 15, channel="call",
                                                                        handoff=True)]


@tagged("post_install", "-at_install")
class TestTargetLevel(BaseCase):
    def test_before_first_level(self):
        self.assertIsNone(cadence.target_level(LEVELS, invoice(1, -5), customer()))

    def test_highest_reached_level(self):
        self.assertEqual(cadence.target_level(LEVELS, invoice(1, 5), customer()).id, 3)

    def test_already_reached_is_not_repeated(self):
        self.assertIsNone(cadence.target_level(LEVELS, invoice(1, 5, reached=3), customer()))
        self.assertEqual(cadence.target_level(LEVELS, invoice(1, 5, reached=0), customer()).id,
                         3)

    def test_segment_filter_falls_to_lower_level(self):
        levels = [level(1, 0), level(2, 3, segments=frozenset({("high", "new")}))]
        self.assertEqual(cadence.target_level(levels, invoice(1, 5), customer()).id, 1)
        self.assertEqual(
            cadence.target_level(levels, invoice(1, 5), customer(risk="high")).id, 2
        )


@tagged("post_install", "-at_install")
class TestResolveChannel(BaseCase):
    def test_whatsapp_needs_consent_and_number(self):
        lv = level(1, 0, fallback="sms")
        self.assertEqual(cadence.resolve_channel(lv, customer())[0], "whatsapp")
        self.assertEqual(cadence.resolve_channel(lv, customer(consent="none"))[0], "sms")
        self.assertEqual(
            cadence.resolve_channel(lv, customer(has_whatsapp_number=False))[0], "sms"
        )

    def test_opt_out_gets_no_sms(self):
        lv = level(1, 0, fallback="sms")
        channel, reason = cadence.resolve_channel(lv, customer(consent="optout"))
        self.assertIsNone(channel)
        self.assertIn("opted out", reason)

    def test_no_way_to_reach(self):
        lv = level(1, 0, fallback="email")
        channel, reason = cadence.resolve_channel(
            lv, customer(consent="none", has_email=False)
        )
        self.assertIsNone(channel)
        self.assertTrue(reason)

    def test_call_always_possible(self):
        self.assertEqual(cadence.resolve_channel(LEVELS[3], customer(consent="none"))[0], "call")


@tagged("post_install", "-at_install")
class TestPlan(BaseCase):
    def test_groups_invoices_per_customer_and_level(self):
        steps, deferred = cadence.plan(
            LEVELS, [invoice(1, 4), invoice(2, 5), invoice(3, 4, partner=2)],
            {1: customer(1), 2: customer(2)},
        )
        self.assertEqual(deferred, 0)
        self.assertEqual(sorted((s.partner_id, tuple(s.invoice_ids)) for s in steps),
                         [(1, (1, 2)), (2, (3,))])
        self.assertEqual(steps[0].amount, 200.0)

    def test_one_step_per_customer_per_run_highest_first(self):
        steps, deferred = cadence.plan(LEVELS, [invoice(1, 1), invoice(2, 20)],
                                       {1: customer(1)})
        self.assertEqual([(s.level_id, s.invoice_ids) for s in steps], [(4, [2])])
        self.assertEqual(deferred, 1)

    def test_cap_defers(self):
        steps, deferred = cadence.plan(LEVELS, [invoice(1, 4)],
                                       {1: customer(1, sent_last_7_days=2)}, cap=2)
        self.assertEqual((steps, deferred), ([], 1))

    def test_one_business_message_a_day(self):
        """A customer reminded this morning waits for tomorrow, whatever the level."""
        due = [invoice(1, 5), invoice(2, -3)]
        steps, deferred = cadence.plan(LEVELS, due, {1: customer(1, sent_last_day=1)}, cap=9)
        self.assertEqual((steps, deferred), ([], 2))
        steps, _deferred = cadence.plan(LEVELS, due, {1: customer(1, sent_last_day=1)}, cap=9,
                                        daily_cap=2)
        self.assertEqual([s.level_id for s in steps], [3])
        # A person's call is no message: the daily cap does not hold it back.
        steps, _deferred = cadence.plan(LEVELS, [invoice(3, 20)],
                                        {1: customer(1, sent_last_day=1)})
        self.assertEqual([(s.level_id, s.channel) for s in steps], [(4, "call")])

    def test_cap_does_not_block_a_person(self):
        steps, _deferred = cadence.plan(LEVELS, [invoice(1, 20)],
                                        {1: customer(1, sent_last_7_days=9)}, cap=2)
        self.assertEqual(steps[0].channel, "call")

    def test_blocked_and_collector(self):
        steps, deferred = cadence.plan(
            LEVELS, [invoice(1, 4, blocked=True), invoice(2, 4, partner=2)],
            {1: customer(1), 2: customer(2, with_collector=True)},
        )
        self.assertEqual((steps, deferred), ([], 1))

    def test_min_amount(self):
        levels = [level(1, 0, min_amount=150.0)]
        steps, _ = cadence.plan(levels, [invoice(1, 1)], {1: customer(1)})
        self.assertEqual(steps, [])
        steps, _ = cadence.plan(levels, [invoice(1, 1), invoice(2, 1)], {1: customer(1)})
        self.assertEqual(len(steps), 1)

    def test_skipped_step_keeps_reason(self):
        steps, _ = cadence.plan([level(1, 0, fallback="none")], [invoice(1, 1)],
                                {1: customer(1, consent="none")})
        self.assertIsNone(steps[0].channel)
        self.assertIn("consent", steps[0].skip_reason)

    def test_pilot_is_stable_and_proportional(self):
        chosen = [pid for pid in range(1, 2001) if cadence.in_pilot(pid, 30)]
        self.assertEqual(chosen, [pid for pid in range(1, 2001) if cadence.in_pilot(pid, 30)])
        self.assertAlmostEqual(len(chosen) / 2000, 0.30, delta=0.03)
        self.assertTrue(cadence.in_pilot(5, 100))
        self.assertFalse(cadence.in_pilot(5, 0))

    def test_ab_variant_split(self):
        variants = [cadence.ab_variant(pid, 7, 50) for pid in range(1, 2001)]
        self.assertAlmostEqual(variants.count("b") / 2000, 0.5, delta=0.04)
        self.assertEqual(cadence.ab_variant(3, 7, 0), "a")
        self.assertEqual(cadence.ab_variant(3, 7, 100), "b")

    def test_ab_variant_is_the_customers_within_a_test_drawn_afresh_by_the_next(self):
        first = [cadence.ab_variant(pid, 7, 50) for pid in range(1, 2001)]
        self.assertEqual(first, [cadence.ab_variant(pid, 7, 50) for pid in range(1, 2001)])
        # Test 8 of the same level does not inherit test 7's groups.
        second = [cadence.ab_variant(pid, 8, 50) for pid in range(1, 2001)]
        changed = sum(a != b for a, b in zip(first, second, strict=True))
        self.assertAlmostEqual(changed / 2000, 0.5, delta=0.05)
