"""Meta's error table, row by row, against the loopback Graph API (real HTTP, real payloads)."""

import datetime

import freezegun

from odoo import fields
from odoo.tests import tagged

from ..tools import meta_api
from .common import NOW, LiveAccountCommon
from .graph_mock import status_item, status_payload


@tagged("post_install", "-at_install")
class TestMetaErrorTable(LiveAccountCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def fallbacks(self, message):
        return self.env["cobranza.message"].search([("fallback_of_id", "=", message.id)])

    def test_our_number_not_registered_stops_the_account_not_the_customer(self):
        """133010 was read as the customer's problem: SMS fallbacks, reminders lost."""
        message = self.queue_reminder()
        self.mock.fail_next(1, http_status=400, code=133010, message="Account not registered")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(self.wa_account.state, "stopped")
        self.assertIn("register", self.wa_account.stopped_reason)
        self.assertEqual(message.state, "queued", "kept for when the number is registered")
        self.assertFalse(self.fallbacks(message), "no SMS to the customer for our problem")
        self.wa_account.action_resume()
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")

    def test_token_permission_and_number_errors_stop_the_account(self):
        for code in (0, 3, 10, 200, 131005, 33, 131037, 131045):
            with self.subTest(code=code):
                self.wa_account.action_resume()
                message = self.queue_reminder(self._customer(
                    f"Cliente {code}", f"+51 9{code % 89 + 10} 444 {code % 899 + 100}",
                    self.pe))
                self.mock.fail_next(1, http_status=400, code=code)
                self.env["cobranza.message"]._process_queue()
                self.assertEqual(self.wa_account.state, "stopped")
                self.assertEqual((message.state, message.attempts), ("queued", 0))
                self.assertFalse(self.fallbacks(message))

    def test_try_again_later_codes_are_retried(self):
        for code in (2494100, 133004, 2, 131000):
            with self.subTest(code=code):
                message = self.queue_reminder(self._customer(
                    f"Reintento {code}", f"+51 93{code % 10} 555 {code % 900 + 100}", self.pe))
                self.mock.fail_next(1, http_status=400, code=code)
                self.env["cobranza.message"]._process_queue()
                self.assertEqual(message.state, "queued")
                self.assertGreater(message.next_attempt_at, fields.Datetime.now())
                self.assertEqual(self.wa_account.state, "active")

    def test_spam_rate_limit_throttles_the_whole_account(self):
        self.wa_account.rate_limit = 80
        message = self.queue_reminder()
        other = self.queue_reminder(self._customer("Otro", "+51 955 111 222", self.pe))
        self.mock.fail_next(1, http_status=400, code=131048, message="Spam rate limit hit")
        self.env["cobranza.message"].search([("id", "=", message.id)])._send_batch()
        self.assertEqual(message.state, "queued")
        self.assertTrue(self.wa_account.throttled_until)
        self.assertEqual(self.wa_account.rate_limit, 40, "the account slows down")
        posts = len(self.mock.sent_messages())
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(len(self.mock.sent_messages()), posts, "nothing goes out meanwhile")
        self.assertEqual(other.state, "queued")
        self.assertEqual(other.next_attempt_at, self.wa_account.throttled_until)

    def test_per_user_limit_waits_a_day(self):
        message = self.queue_reminder()
        self.mock.fail_next(1, http_status=400, code=131049)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "queued")
        self.assertGreaterEqual(message.next_attempt_at - fields.Datetime.now(),
                                datetime.timedelta(hours=24))
        self.assertFalse(self.fallbacks(message))

    def test_paused_template_holds_disabled_template_is_marked(self):
        message = self.queue_reminder()
        template = message.template_id
        self.mock.fail_next(1, http_status=400, code=132015)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual((message.state, template.status), ("queued", "paused"))
        self.assertTrue(message.next_attempt_at, "held while paused")
        self.env["cobranza.whatsapp.template"]._apply_webhook_event(self.wa_account, {
            "kind": "template_status", "template_id": template.meta_template_id,
            "template_name": template.name, "language": template.language,
            "event": "APPROVED"})
        self.assertEqual(template.status, "approved")
        self.assertFalse(message.next_attempt_at, "released as soon as Meta approves it")
        self.mock.fail_next(1, http_status=400, code=132016)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual((message.state, template.status), ("failed", "disabled"))
        self.assertEqual(self.fallbacks(message).channel, "sms")

    def test_a_retryable_failed_status_sends_again(self):
        """A `failed` status with 131000 was a final failure and an SMS fallback."""
        message = self.queue_reminder()
        self.env["cobranza.message"]._process_queue()
        first = message.wamid
        self.assertEqual(message.state, "sent")
        self.env["cobranza.webhook.event"].sudo()._handle_payload(self.wa_account, status_payload(
            [status_item(first, "failed", errors=[{"code": 131000, "title": "Something"}])]))
        self.assertEqual(message.state, "queued")
        self.assertFalse(self.fallbacks(message))
        message.next_attempt_at = False
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        self.assertNotEqual(message.wamid, first)
        self.assertEqual(len(self.mock.sent_messages()), 2)

    def test_the_table_is_metas(self):
        kinds = {code: meta_api.classify_error(code, 400) for code in
                 (133010, 190, 250, 131048, 131049, 132015, 132016, 2494100, 131026)}
        self.assertEqual(kinds, {
            133010: meta_api.ACCOUNT, 190: meta_api.ACCOUNT, 250: meta_api.ACCOUNT,
            131048: meta_api.THROTTLE, 131049: meta_api.LATER,
            132015: meta_api.TEMPLATE_PAUSED, 132016: meta_api.TEMPLATE_DISABLED,
            2494100: meta_api.RETRY, 131026: meta_api.PERMANENT})
        self.assertNotIn(133010, meta_api.FALLBACK_CODES)
        self.assertEqual(meta_api.error_reason(132007),
                         "Template content violates a WhatsApp policy.")
