"""A first connection to Meta, from scratch, against the strict loopback Graph API."""

import datetime
import json
import time

import freezegun

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from ..tools import meta_api
from . import graph_mock
from .common import NOW, LiveAccountCommon


@tagged("post_install", "-at_install")
class TestFirstConnection(LiveAccountCommon):
    def setUp(self):
        super().setUp()
        self._kept_templates = list(self.mock.templates)
        self.addCleanup(self._restore_mock_templates)
        self.mock.templates.clear()
        self.templates.write({"status": "draft", "meta_template_id": False})

    def _restore_mock_templates(self):
        self.mock.templates[:] = self._kept_templates
        self.mock.recategorize.clear()
        self.mock.subscribed = True
        self.mock.phone.update(platform_type="CLOUD_API", status="CONNECTED",
                               whatsapp_business_manager_messaging_limit="TIER_2K")

    def meta_event(self, payload):
        """A webhook Meta sends, applied through the template's own handler."""
        for event in meta_api.parse_webhook(payload):
            self.env["cobranza.whatsapp.template"]._apply_webhook_event(self.wa_account, event)

    def creations(self):
        return [r for r in self.mock.requests
                if r["method"] == "POST" and r["path"].endswith("/message_templates")]

    def test_the_ten_templates_are_created_with_their_examples_and_approved(self):
        documents = self.templates.filtered(lambda t: t.header_type == "document")
        self.assertEqual(len(self.templates), 10)
        self.assertEqual(len(documents), 6)
        reminder = self.templates.filtered(lambda t: t.purpose == "overdue")
        self.mock.recategorize[reminder.name] = "MARKETING"

        self.templates.action_submit()

        creations = self.creations()
        self.assertEqual(len(creations), 10)
        uploads = [r for r in self.mock.requests if r["path"].split("/")[-1].startswith("upload:")]
        self.assertEqual(len(uploads), 6)  # one sample invoice per document header
        for creation in creations:
            body = creation["json"]
            header = next((c for c in body["components"] if c["type"] == "HEADER"), None)
            if header:
                self.assertEqual(len(header["example"]["header_handle"]), 1)
            self.assertEqual(body["message_send_ttl_seconds"], 12 * 3600)
        self.assertEqual(set(self.templates.mapped("status")), {"pending"})
        self.assertEqual(reminder.category, "MARKETING")
        self.assertIn("not as submitted", reminder.message_ids[:1].body)

        for template in self.templates:
            self.mock.set_template_status(template.name, "APPROVED")  # Meta approves...
            self.meta_event(graph_mock.template_status_payload(  # ...and says so
                template.meta_template_id, template.name, "APPROVED"))
        self.assertEqual(set(self.templates.mapped("status")), {"approved"})

        # A reminder with its PDF goes out and Meta takes it.
        customer = self._customer("Rosa Huamán", "+51 955 111 222", self.pe)
        invoice = self._invoice(customer, 800, 3)
        due = self.templates.filtered(lambda t: t.purpose == "due")
        message = self.env["cobranza.message"].create({
            "partner_id": customer.id, "company_id": self.company.id, "channel": "whatsapp",
            "template_id": due.id, "move_ids": [(6, 0, invoice.ids)],
            "account_id": self.wa_account.id,
        })
        # It leaves inside the customer's contact hours, whatever the hour the test runs.
        opens = self.env["cobranza.cadence"]._contact_times(
            customer, self.company, message.scheduled_at)[customer.id]
        self.env["cobranza.message"]._process_queue(now=opens)
        self.assertEqual(message.state, "sent", message.error_message)
        sent = self.mock.sent_messages()[-1]
        header = sent["template"]["components"][0]
        self.assertEqual(header["type"], "header")
        self.assertTrue(header["parameters"][0]["document"]["id"])

    def test_without_an_app_id_the_manager_is_told_what_to_enter(self):
        self.wa_account.sudo().app_id = False
        document = self.templates.filtered(lambda t: t.header_type == "document")[:1]
        with self.assertRaisesRegex(UserError, "App ID"):
            document.action_submit()
        self.assertFalse(self.creations())

    def test_a_refusal_shows_metas_own_words(self):
        self.mock.template_limit = 0
        try:
            with self.assertRaisesRegex(UserError, "250 templates"):
                self.templates[:1].action_submit()
        finally:
            self.mock.template_limit = 250
        self.assertEqual(self.templates[:1].status, "draft")

    def test_a_rejection_keeps_metas_reason_and_recommendation(self):
        template = self.templates.filtered(lambda t: t.header_type == "none")[:1]
        template.action_submit()
        payload = graph_mock.template_status_payload(
            template.meta_template_id, template.name, "REJECTED", reason="INVALID_FORMAT")
        payload["entry"][0]["changes"][0]["value"]["rejection_info"] = {
            "reason": "The body has a typo in a variable.",
            "recommendation": "Write {{1}} with two braces on each side."}
        self.meta_event(payload)
        self.assertEqual(template.status, "rejected")
        self.assertEqual(template.rejected_reason, "The body has a typo in a variable.")
        self.assertIn("two braces", template.rejection_recommendation)
        # Corrected and submitted again: Meta's template is edited, not created twice.
        created = len(self.creations())
        template.action_submit()
        self.assertEqual(len(self.creations()), created)
        self.assertEqual(self.mock.requests[-1]["path"].rsplit("/", 1)[-1],
                         template.meta_template_id)
        self.assertEqual(template.status, "pending")
        self.assertFalse(template.rejection_recommendation)

    def test_metas_advance_notice_of_a_category_change_reaches_the_managers(self):
        template = self.templates.filtered(lambda t: t.header_type == "none")[:1]
        template.action_submit()
        tomorrow = int(time.time()) + 86400
        notice = graph_mock.envelope({
            "message_template_id": int(template.meta_template_id),
            "message_template_name": template.name, "message_template_language": "es",
            "correct_category": "MARKETING", "new_category": "UTILITY",
            "category_update_timestamp": tomorrow}, field="template_category_update")
        self.meta_event(notice)
        self.assertEqual(template.category, "UTILITY")  # not yet: Meta only announced it
        self.assertIn("Marketing", template.category_notice)
        activity = template.activity_ids.filtered(lambda a: a.user_id == self.manager)
        self.assertTrue(activity, "the collections manager gets an activity before the change")
        done = graph_mock.envelope({
            "message_template_id": int(template.meta_template_id),
            "message_template_name": template.name, "message_template_language": "es",
            "previous_category": "UTILITY", "new_category": "MARKETING"},
            field="template_category_update")
        self.meta_event(done)
        self.assertEqual(template.category, "MARKETING")
        self.assertFalse(template.category_notice)

    def test_the_sync_keeps_metas_category(self):
        self.templates.action_submit()
        self.mock.set_template_status(self.templates[0].name, "APPROVED", category="MARKETING")
        self.templates.action_sync_status()
        self.assertEqual(self.templates[0].category, "MARKETING")
        self.assertEqual(self.templates[0].status, "approved")


@tagged("post_install", "-at_install")
class TestSetupCheck(LiveAccountCommon):
    def tearDown(self):
        self.mock.subscribed = True
        self.mock.phone.update(platform_type="CLOUD_API", status="CONNECTED",
                               whatsapp_business_manager_messaging_limit="TIER_2K")
        super().tearDown()

    def test_a_ready_number_is_said_to_work(self):
        action = self.wa_account.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.wa_account.registration_state, "registered")
        self.assertTrue(self.wa_account.app_subscribed)
        self.assertEqual(self.wa_account.messaging_limit, 2000)
        self.assertEqual(self.wa_account.verified_name, "Mock Business")
        asked = self.mock.requests[0]["query"]
        self.assertIn("whatsapp_business_manager_messaging_limit", json.dumps(asked))

    def test_what_is_missing_is_said_and_fixed_with_the_buttons(self):
        self.mock.subscribed = False
        self.mock.phone.update(platform_type="NOT_APPLICABLE", status="PENDING",
                               whatsapp_business_manager_messaging_limit="TIER_250")
        account = self.wa_account.with_user(self.manager)
        action = account.action_test_connection()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("not registered", action["params"]["message"])
        self.assertIn("No app is subscribed", action["params"]["message"])
        self.assertIn("250 customers a day", account.setup_problems)
        self.assertEqual(account.registration_state, "unregistered")

        wizard_action = account.action_register_number()
        Wizard = self.env[wizard_action["res_model"]].with_user(self.manager).with_context(
            **wizard_action["context"])
        short = Form(Wizard)
        short.pin = "12345"
        with self.assertRaisesRegex(ValidationError, "six digits"):
            short.save().action_register()
        self.assertFalse([r for r in self.mock.requests if r["path"].endswith("/register")])
        wizard = Form(Wizard)
        wizard.pin = "123456"
        wizard.save().action_register()
        register = [r for r in self.mock.requests if r["path"].endswith("/register")]
        self.assertEqual(register[-1]["json"], {"messaging_product": "whatsapp", "pin": "123456"})
        self.assertEqual(account.registration_state, "registered")

        account.action_subscribe_app()
        self.assertTrue(account.app_subscribed)
        self.assertNotIn("subscribed", account.setup_problems or "")

    def test_collectors_cannot_run_the_check(self):
        with self.assertRaises(Exception):  # noqa: B017 - AccessError
            self.wa_account.with_user(self.collector).action_test_connection()
        self.assertFalse(self.mock.requests)


@tagged("post_install", "-at_install")
class TestMessagingLimit(LiveAccountCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def queue_reminders(self, count):
        customers = self.env["res.partner"]
        for index in range(count):
            customers |= self._customer(f"Cliente Límite {index}", f"+51 97{index} 222 33{index}",
                                        self.pe)
            self._invoice(customers[-1], 300.0 + index, days_overdue=4)
        self.run_cadence()
        messages = self.env["cobranza.message"].search(
            [("partner_id", "in", customers.ids), ("channel", "=", "whatsapp")])
        messages.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        return messages

    def test_customers_beyond_the_portfolio_limit_wait_for_room(self):
        """A new portfolio reaches 250 customers a day: the rest wait, nothing fails."""
        self.wa_account.sudo().messaging_limit = 2
        messages = self.queue_reminders(3)
        self.assertEqual(len(messages), 3)
        self.env["cobranza.message"]._process_queue()
        sent = messages.filtered(lambda m: m.state == "sent")
        held = messages - sent
        self.assertEqual(len(sent), 2)
        self.assertEqual(len(self.mock.sent_messages()), 2)
        self.assertEqual(held.state, "queued")
        self.assertGreater(held.next_attempt_at, fields.Datetime.now())
        self.assertIn("messaging limit", held.error_message)
        with freezegun.freeze_time(NOW + datetime.timedelta(hours=25), tick=True):
            self.env["cobranza.message"]._process_queue()
        self.assertEqual(held.state, "sent", "the next day there is room again")

    def test_unlimited_or_unknown_holds_nothing(self):
        self.wa_account.sudo().messaging_limit = 0
        messages = self.queue_reminders(3)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(set(messages.mapped("state")), {"sent"})
