"""Rules written once: the template of a step, a hand-off's trace, a broken commitment."""

import datetime

import freezegun

from odoo.tests import Form, tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestOneRule(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_send_now_picks_the_cadences_variant_b(self):
        """The compose wizard sent variant A to a customer the A/B test gives B."""
        move = self._invoice(self.customer, 750.0, days_overdue=4)
        level = self.level_by_offset[3]
        level.template_b_id = variant_b = level.template_id.copy({"name": "overdue_b_compose"})
        variant_b.action_submit()  # approved at once by the sandbox
        level.ab_split = 100  # every customer gets B
        wizard = Form(self.env["cobranza.message.compose"].with_context(
            active_model="account.move", active_ids=move.ids)).save()
        self.assertEqual(wizard.template_id, variant_b)
        self.assertEqual(level._template_for("b", 1), variant_b)
        self.assertEqual(level._template_for("a", 1), level.template_id)
        # What the cadence would queue for that customer is the same template.
        self.run_cadence()
        queued = self.messages_for(self.customer).filtered(lambda m: m.move_ids == move)
        self.assertEqual((queued.template_id, queued.ab_variant), (variant_b, "b"))

    def test_a_cadence_hand_off_shows_in_the_invoice_chatter(self):
        move = self._invoice(self.customer, 900.0, days_overdue=16)
        before = len(move.message_ids)
        self.run_cadence()
        self.assertEqual(move.cobranza_state, "handoff", "the compute decided it")
        notes = move.message_ids[: len(move.message_ids) - before].mapped("body")
        self.assertTrue(any("hands this invoice to a person" in str(body) for body in notes),
                        notes)

    def test_a_broken_plan_and_a_broken_promise_are_handled_alike(self):
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        promise = self.env["cobranza.promise"]._record(
            self.customer, move, NOW.date() - datetime.timedelta(days=5))
        self.assertTrue(move.cobranza_paused_until)
        self.env["cobranza.promise"]._cron_check(today=NOW.date())
        self.assertEqual(promise.state, "broken")
        self.assertFalse(move.cobranza_paused_until, "the reminders resume")
        self.assertEqual(self.customer.cobranza_broken_promises, 1)
        self.assertIn("not kept", str(promise.message_ids[:1].body))
        plan = self.env["cobranza.payment.plan"]._create_plan(
            self.customer, move, 2, NOW.date() - datetime.timedelta(days=40))
        plan.action_activate()
        self.env["cobranza.payment.plan"]._cron_follow(today=NOW.date())
        self.assertEqual(plan.state, "broken")
        self.assertEqual(self.customer.cobranza_broken_promises, 2)
        self.assertIn("missed", str(plan.message_ids[:1].body))
