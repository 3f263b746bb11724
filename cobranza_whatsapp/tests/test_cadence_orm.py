"""What the cadence writes keeps the rules people rely on; Send Reminder Now joins the A/B test."""

import freezegun

from odoo.tests import Form, tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestCadenceWrites(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_the_manual_risk_still_wins(self):
        self.customer.cobranza_risk_manual = "high"
        self._invoice(self.customer, 100.0, days_overdue=4)
        self.run_cadence()
        self.assertEqual(self.customer.cobranza_risk_computed, "low")
        self.assertEqual(self.customer.cobranza_risk, "high")
        self.customer.cobranza_risk_manual = False
        self.assertEqual(self.customer.cobranza_risk, "low")


@tagged("post_install", "-at_install")
class TestSendNowCountsInTheAbTest(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level = cls.level_by_offset[3]
        cls.variant_b = cls.level.template_id.copy({"name": "overdue_b_send_now"})
        cls.variant_b.action_submit()
        cls.level.write({"template_b_id": cls.variant_b.id, "ab_split": 100})

    def _compose(self, move):
        return Form(self.env["cobranza.message.compose"].with_context(
            active_model="account.move", active_ids=move.ids))

    def test_the_variant_sent_is_recorded(self):
        move = self._invoice(self.customer, 750.0, days_overdue=4)
        wizard = self._compose(move).save()
        self.assertEqual((wizard.template_id, wizard.ab_variant), (self.variant_b, "b"))
        wizard.action_send()
        message = self.messages_for(self.customer)
        self.assertEqual((message.template_id, message.ab_variant), (self.variant_b, "b"))

    def test_a_template_chosen_by_hand_is_outside_the_test(self):
        move = self._invoice(self.customer, 750.0, days_overdue=4)
        compose = self._compose(move)
        compose.template_id = self.level.template_id
        compose.save().action_send()
        message = self.messages_for(self.customer)
        self.assertEqual(message.template_id, self.level.template_id)
        self.assertFalse(message.ab_variant)

    def test_a_statement_gives_way_to_variant_b(self):
        statement = self.level.template_id.copy({"name": "statement_send_now"})
        self.level.statement_template_id = statement
        self.assertEqual(self.level._template_for("b", 2), self.variant_b)
        self.assertEqual(self.level._template_for("a", 2), statement)
        self.assertEqual(self.level._template_for("a", 1), self.level.template_id)
        self.level.template_b_id = False
        self.assertEqual(self.level._template_for("b", 2), statement)


@tagged("post_install", "-at_install")
class TestHandOffTracking(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_a_hand_off_is_tracked_in_the_invoice_chatter(self):
        move = self._invoice(self.customer, 900.0, days_overdue=16)
        self.run_cadence()
        self.assertTrue(move.cobranza_handoff)
        tracking = move.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "cobranza_handoff")
        self.assertEqual(len(tracking), 1, "one tracking line: Handed to a Person")
        self.assertEqual((tracking.old_value_integer, tracking.new_value_integer), (0, 1))
        self.assertIn("hands this invoice to a person", str(tracking.mail_message_id.body))
        self.assertEqual(tracking.mail_message_id.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(tracking.mail_message_id.author_id, self.env.user.partner_id)
