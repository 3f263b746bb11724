import freezegun

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestSendReminderNow(CobranzaCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_preview_then_send_from_the_invoice(self):
        move = self._invoice(self.customer, 750.0, days_overdue=4)
        compose = Form(self.env["cobranza.message.compose"].with_user(self.collector).with_context(
            active_model="account.move", active_ids=move.ids))
        self.assertEqual(compose.level_id, self.level_by_offset[3])
        self.assertEqual(compose.channel, "whatsapp")
        self.assertIn(move.name, compose.preview)
        self.assertIn("María Quispe", compose.preview)
        wizard = compose.save()
        cron = self.env.ref("cobranza_whatsapp.ir_cron_send")
        triggers = self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])
        action = wizard.action_send()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("María Quispe", action["params"]["message"])
        message = self.messages_for(self.customer)
        self.assertEqual(message.move_ids, move)
        self.assertEqual(message.state, "queued", "the request only queues it")
        self.assertEqual(
            self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)]),
            triggers + 1, "the send cron is woken to post it at once")
        self.env["cobranza.message"]._process_queue()
        self.assertIn(message.state, ("sent", "delivered", "read"))
        self.assertEqual(message.body, compose.preview)

    def test_from_the_customer_covers_all_open_invoices(self):
        a = self._invoice(self.customer, 100.0, days_overdue=4)
        b = self._invoice(self.customer, 200.0, days_overdue=9)
        wizard = Form(self.env["cobranza.message.compose"].with_context(
            active_model="res.partner", active_ids=self.customer.ids)).save()
        self.assertEqual(wizard.move_ids, a | b)
        self.assertEqual(wizard.template_id.purpose, "plan", "the +7 level's template")

    def test_unreachable_customer_is_explained(self):
        partner = self._customer("Ana Flores", False, self.pe, consent=False, email=False)
        move = self._invoice(partner, 100.0, days_overdue=4)
        wizard = self.env["cobranza.message.compose"].with_context(
            active_model="account.move", active_ids=move.ids).create({})
        self.assertFalse(wizard.channel)
        self.assertIn("consent", wizard.note)
        with self.assertRaises(UserError):
            wizard.action_send()

    def test_paid_invoice_has_nothing_to_remind(self):
        move = self._invoice(self.customer, 100.0, days_overdue=4)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids).create({})._create_payments()
        with self.assertRaises(UserError):
            Form(self.env["cobranza.message.compose"].with_context(
                active_model="account.move", active_ids=move.ids))
