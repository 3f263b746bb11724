"""What a collector reads on a message is what really happened to it (issues #15 and #16).

An opt-out recorded after a message was queued stops it on every channel; an SMS or an
e-mail is *sent* when Odoo's SMS service or mail server took it, not when it was queued;
the sandbox sends nothing out, SMS and e-mail included; Meta's ``failed`` after a
``delivered``/``read`` is news for a person, not a reason to write to the customer again;
and a status speaks only for the messages of the account it came to, sent to its
recipient.

Odoo's transports are faked where they leave the server: IAP's JSON-RPC call
(``iap_tools.iap_jsonrpc``) and the SMTP session (``smtplib``).
"""

import datetime
import smtplib
from contextlib import contextmanager
from unittest.mock import patch

import freezegun

from odoo import exceptions, fields
from odoo.addons.base.tests.common import MockSmtplibCase
from odoo.tests import tagged

from . import graph_mock
from .common import NOW, CobranzaCommon, LiveAccountCommon
from .test_webhook_routing import RoutingCommon

IAP_TRANSPORT = "odoo.addons.iap.tools.iap_tools.iap_jsonrpc"
STATUS_LOGGER = "odoo.addons.cobranza_whatsapp.models.cobranza_message_status"


class OutboxCase(MockSmtplibCase):
    """Helpers shared by the scenarios: a reminder due now, Odoo's SMS and mail queues."""

    def due_reminder(self, partner=None, days_overdue=4, channel=None):
        """The cadence's reminder for an invoice `days_overdue` days late, due now; on
        `channel` when given (the level's fallback channel already chosen)."""
        partner = partner or self.customer
        move = self._invoice(partner, 700.0, days_overdue=days_overdue)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        message.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        if channel:
            message.write({"channel": channel, "template_id": False})
        return move, message

    def send_queue(self):
        self.env["cobranza.message"]._process_queue()
        self.env.invalidate_all()

    def sms_of(self, partner):
        return self.env["sms.sms"].sudo().search([("partner_id", "=", partner.id)])

    def mails_of(self, move):
        return self.env["mail.mail"].sudo().search(
            [("model", "=", "account.move"), ("res_id", "=", move.id)])

    def run_sms_queue(self, iap_answer):
        """Odoo's SMS queue run, IAP answering `iap_answer(params)` (or raising)."""
        with patch(IAP_TRANSPORT, side_effect=iap_answer) as iap:
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        self.env.invalidate_all()
        return iap

    @contextmanager
    def smtp(self, refuse=None):
        """Odoo's mail server reachable; `refuse`: the SMTP error it answers with."""
        with self.mock_smtplib_connection():
            if refuse:
                def send_message(*_args, **_kwargs):
                    raise refuse
                self.testing_smtp_session.send_message = send_message
            yield

    def run_mail_queue(self):
        self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
        self.env.invalidate_all()

    def failed_items(self, partner):
        return self.env["cobranza.work.item"].sudo().search(
            [("partner_id", "=", partner.id), ("kind", "=", "failed")])

    def invoice_notes(self, move):
        return " ".join(str(body) for body in move.sudo().message_ids.mapped("body"))

    def opt_out(self, partner):
        """The customer writes STOP to this company: its opt-out, recorded now."""
        partner.sudo().with_company(self.company).write({
            "cobranza_optout_date": fields.Datetime.now(),
            "cobranza_optout_reason": "STOP"})


def iap_success(_url, params=None, **_kwargs):
    """IAP accepting every SMS of the batch, as ``/api/sms/3/send`` answers."""
    return [{"uuid": number["uuid"], "state": "success", "credit": 1}
            for message in params["messages"] for number in message["numbers"]]


def iap_unreachable(url, **_kwargs):
    """What ``iap_jsonrpc`` raises when Odoo's SMS service cannot be reached (its words,
    untranslated in a test)."""
    raise exceptions.AccessError(  # pylint: disable=translation-required
        f"An error occurred while reaching {url}. Please contact Odoo support if this "
        "error persists.")


def iap_answers(state):
    def answer(_url, params=None, **_kwargs):
        return [{"uuid": number["uuid"], "state": state}
                for message in params["messages"] for number in message["numbers"]]
    return answer


@tagged("post_install", "-at_install")
class TestConsentAtSendTime(OutboxCase, LiveAccountCommon):
    """The customer opted out after the cadence queued the message."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_opt_out_after_queueing_cancels_and_sends_nothing_anywhere(self):
        _move, message = self.due_reminder()
        self.assertEqual((message.channel, message.state), ("whatsapp", "queued"))
        self.opt_out(self.customer)
        self.send_queue()
        self.assertEqual(message.state, "cancelled")
        self.assertIn("opted out", message.error_message)
        self.assertFalse(self.mock.sent_messages(), "no WhatsApp message left")
        self.assertFalse(self.env["cobranza.message"].search(
            [("fallback_of_id", "=", message.id)]), "no fallback on another channel")
        self.assertFalse(self.sms_of(self.customer), "no SMS instead")

    def test_opt_out_cancels_queued_sms_but_not_the_email_the_cadence_chose(self):
        """The opt-out covers WhatsApp and SMS, as the cadence reads it: an e-mail queued
        for an opted-out customer (the level's fallback) still goes."""
        _move_sms, sms_message = self.due_reminder(channel="sms")
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        move_mail, mail_message = self.due_reminder(other, channel="email")
        self.opt_out(self.customer)
        self.opt_out(other)
        self.send_queue()
        self.assertEqual(sms_message.state, "cancelled")
        self.assertFalse(self.sms_of(self.customer))
        self.assertNotEqual(mail_message.state, "cancelled")
        self.assertTrue(self.mails_of(move_mail))

    def test_opt_out_in_another_company_does_not_stop_this_one(self):
        _move, message = self.due_reminder()
        other_company = self.setup_other_company(name="Other Co")["company"]
        self.customer.sudo().with_company(other_company).cobranza_optout_date = \
            fields.Datetime.now()
        self.send_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.mock.sent_messages()), 1)

    def test_no_fallback_for_an_opted_out_customer_when_whatsapp_fails(self):
        """Meta fails the message after the customer's STOP: no SMS in its place."""
        _move, message = self.due_reminder()
        self.send_queue()
        self.assertEqual(message.state, "sent")
        self.opt_out(self.customer)
        self.env["cobranza.message"]._apply_statuses([{
            "kind": "status", "wamid": message.wamid, "status": "failed",
            "timestamp": int(NOW.timestamp()) + 60, "recipient_id": "51987654321",
            "errors": [{"code": 131026, "title": "Message undeliverable"}]}])
        self.assertEqual(message.state, "failed")
        self.assertFalse(self.env["cobranza.message"].search(
            [("fallback_of_id", "=", message.id)]))


@tagged("post_install", "-at_install")
class TestHonestSms(OutboxCase, LiveAccountCommon):
    """SMS through Odoo's SMS service (IAP): sent when IAP took it, failed when it did not."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def whatsapp_failed_to_sms(self):
        """Meta cannot deliver the +3 reminder (131026): the level falls back to SMS."""
        move, message = self.due_reminder()
        self.mock.fail_next(1, http_status=400, code=131026, message="Message undeliverable")
        self.send_queue()
        fallback = self.env["cobranza.message"].search([("fallback_of_id", "=", message.id)])
        self.assertEqual((message.state, fallback.channel), ("failed", "sms"))
        self.send_queue()
        return move, fallback

    def test_sms_is_sent_only_when_odoo_sms_service_took_it(self):
        move, sms_message = self.whatsapp_failed_to_sms()
        self.assertEqual(sms_message.state, "sending", "queued in Odoo, not sent yet")
        self.assertFalse(sms_message.sent_at)
        iap = self.run_sms_queue(iap_success)
        self.assertEqual(iap.call_count, 1)
        self.assertEqual(sms_message.state, "sent")
        self.assertTrue(sms_message.sent_at)
        self.assertIn("Collection reminder sent by SMS", self.invoice_notes(move))
        # IAP's delivery report (/sms/status): delivered.
        tracker = self.env["sms.tracker"].sudo().search([("cobranza_message_id", "=",
                                                           sms_message.id)])
        tracker._action_update_from_sms_state("sent")
        self.assertEqual(sms_message.state, "delivered")
        self.assertTrue(sms_message.delivered_at)

    def test_sms_service_unreachable_fails_with_reason_and_goes_to_the_work_queue(self):
        move, sms_message = self.whatsapp_failed_to_sms()
        self.run_sms_queue(iap_unreachable)
        self.assertEqual(sms_message.state, "failed", "never 'sent' when IAP is unreachable")
        self.assertIn("Server Error", sms_message.error_message)
        self.assertIn("could not be sent (SMS)", self.invoice_notes(move))
        self.assertFalse(self.env["cobranza.message"].search(
            [("fallback_of_id", "=", sms_message.id)]), "one fallback per message")
        self.assertIn(sms_message, self.failed_items(self.customer).message_id,
                      "a collector sees the failed SMS in the work queue")

    def test_sms_refused_by_iap_falls_back_to_the_levels_other_channel(self):
        """An SMS reminder (the level's fallback is e-mail) without credit: e-mail."""
        _move, sms_message = self.due_reminder(days_overdue=0, channel="sms")
        self.assertEqual(sms_message.level_id.fallback_channel, "email")
        self.send_queue()
        self.run_sms_queue(iap_answers("insufficient_credit"))
        self.assertEqual(sms_message.state, "failed")
        self.assertIn("Insufficient Credit", sms_message.error_message)
        fallback = self.env["cobranza.message"].search([("fallback_of_id", "=",
                                                         sms_message.id)])
        self.assertEqual((fallback.channel, fallback.state), ("email", "queued"))


@tagged("post_install", "-at_install")
class TestHonestEmail(OutboxCase, LiveAccountCommon):
    """E-mail through Odoo's mail server: sent when SMTP took it, failed when refused."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_email_is_sent_when_the_mail_server_took_it(self):
        move, message = self.due_reminder(days_overdue=0, channel="email")
        self.send_queue()
        self.assertEqual(message.state, "sending", "queued in Odoo, not sent yet")
        self.assertTrue(self.mails_of(move))
        with self.smtp():
            self.run_mail_queue()
        self.assertEqual(len(self.emails), 1)
        self.assertEqual(message.state, "sent")
        self.assertIn("Collection reminder sent by E-mail", self.invoice_notes(move))

    def test_email_refused_fails_with_reason_and_goes_to_the_work_queue(self):
        move, message = self.due_reminder(days_overdue=0, channel="email")
        self.send_queue()
        refused = smtplib.SMTPRecipientsRefused(
            {"maria@example.com": (550, b"5.1.1 Mailbox unavailable")})
        with self.smtp(refuse=refused):
            self.run_mail_queue()
        self.assertEqual(message.state, "failed", "never 'sent' when the server refused it")
        self.assertIn("Mailbox unavailable", message.error_message)
        self.assertIn("could not be sent (E-mail)", self.invoice_notes(move))
        self.assertEqual(self.failed_items(self.customer).message_id, message)


@tagged("post_install", "-at_install")
class TestSandboxSendsNothingOut(OutboxCase, CobranzaCommon):
    """The sandbox promises that nothing leaves the server: SMS and e-mail included."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_sandbox_sms_and_email_are_simulated_without_iap_or_smtp(self):
        self.assertEqual(self.wa_account.mode, "sandbox")
        _move_sms, sms_message = self.due_reminder(channel="sms")
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        move_mail, mail_message = self.due_reminder(other, channel="email")

        def left_the_server(*_args, **_kwargs):
            raise AssertionError("the sandbox called a transport that leaves the server")

        with self.smtp(), patch(IAP_TRANSPORT, side_effect=left_the_server) as iap:
            self.testing_smtp_session.send_message = left_the_server
            self.send_queue()
            # Odoo's own queues run after the sender: nothing of ours is left in them.
            self.env["sms.sms"].sudo().search([]).send()
            self.env["mail.mail"].sudo().search([]).send()
            self.env.invalidate_all()
        self.assertFalse(iap.called, "no IAP call")
        self.assertFalse(self.emails, "no SMTP")
        self.assertIn(sms_message.state, ("sent", "delivered"))
        self.assertTrue(sms_message.sent_at)
        self.assertEqual(mail_message.state, "sent")
        self.assertIn("Collection reminder sent by E-mail", self.invoice_notes(move_mail))


@tagged("post_install", "-at_install")
class TestLateFailure(OutboxCase, CobranzaCommon):
    """Meta's ``failed`` after the customer got (or read) the message."""

    def sent_message(self):
        move = self._invoice(self.customer, 100.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)
        message._set_sending(account_id=self.wa_account.id, to_number="+51987654321")
        message._set_sent("wamid.LATE1", "51987654321", sent_at=NOW)
        return move, message

    def status(self, status, ts, **extra):
        return {"kind": "status", "wamid": "wamid.LATE1", "status": status, "timestamp": ts,
                "recipient_id": "51987654321", **extra}

    def assert_person_told_and_no_fallback(self, move, message):
        self.assertEqual(message.error_code, 131026, "Meta's code is kept")
        self.assertIn("Message undeliverable", message.error_message, "and Meta's title")
        self.assertFalse(self.env["cobranza.message"].search(
            [("fallback_of_id", "=", message.id)]), "the customer is not contacted again")
        activity = self.customer.sudo().activity_ids.filtered(
            lambda a: "after" in (a.summary or ""))
        self.assertEqual(len(activity), 1, "a person is told")
        self.assertIn("Message undeliverable", self.invoice_notes(move))

    def test_failed_after_read_stays_read_and_a_person_is_told(self):
        move, message = self.sent_message()
        Message = self.env["cobranza.message"]
        Message._apply_statuses([self.status("delivered", 1795000000)])
        Message._apply_statuses([self.status("read", 1795000010)])
        Message._apply_statuses([self.status("failed", 1795000020, errors=[
            {"code": 131026, "title": "Message undeliverable"}])])
        self.assertEqual(message.state, "read")
        self.assertTrue(message.read_at)
        self.assert_person_told_and_no_fallback(move, message)

    def test_failed_after_read_in_one_batch(self):
        move, message = self.sent_message()
        self.env["cobranza.message"]._apply_statuses([
            self.status("failed", 1795000020, errors=[
                {"code": 131026, "title": "Message undeliverable"}]),
            self.status("read", 1795000010), self.status("delivered", 1795000000)])
        self.assertEqual(message.state, "read")
        self.assert_person_told_and_no_fallback(move, message)

    def test_failed_after_delivered_with_a_retryable_code_is_not_sent_again(self):
        _move, message = self.sent_message()
        Message = self.env["cobranza.message"]
        Message._apply_statuses([self.status("delivered", 1795000000)])
        Message._apply_statuses([self.status("failed", 1795000020, errors=[
            {"code": 131000, "title": "Something went wrong"}])])
        self.assertEqual((message.state, message.wamid), ("delivered", "wamid.LATE1"))
        self.assertEqual(message.error_code, 131000)


@tagged("post_install", "-at_install")
class TestStatusSpeaksForItsOwnMessages(RoutingCommon):
    """A status is refused unless its message is the receiving account's and went to the
    status's recipient (issue #15): answered 200, logged masked, the message unchanged."""

    def test_status_for_another_recipient_is_refused(self):
        _move, message = self.sent_in_a("wamid.A")
        payload = graph_mock.status_payload([graph_mock.status_item(
            "wamid.A", "failed", recipient_id="51911222333",
            errors=[{"code": 131026, "title": "Message undeliverable"}])])
        with self.assertLogs(STATUS_LOGGER, "WARNING") as logs:
            response = self.post(payload)
        self.assertEqual(response.status_code, 200)
        self.assertEqual((message.state, message.error_code), ("sent", 0))
        self.assertFalse(self.env["cobranza.message"].sudo().search(
            [("fallback_of_id", "=", message.id)]))
        event = self.events([("key", "like", "status:wamid.A:%")])
        self.assertEqual(event.state, "done", "refused once, not retried")
        self.assertIn("recipient", event.error)
        output = "\n".join(logs.output)
        for number in ("51911222333", "911222333", "51987654321", "987654321"):
            self.assertNotIn(number, output)
        # Its own recipient's status applies.
        self.post(graph_mock.status_payload([graph_mock.status_item("wamid.A", "read")]))
        self.assertEqual(message.state, "read")

    def test_status_of_company_b_message_sent_to_company_a_number_is_refused(self):
        message_b = self.sent_in_b("wamid.B")
        payload = graph_mock.status_payload([graph_mock.status_item(
            "wamid.B", "failed", errors=[{"code": 131026, "title": "Undeliverable"}])])
        with self.assertLogs(STATUS_LOGGER, "WARNING"):
            response = self.post(payload)  # signed for company A's number (PNID1)
        self.assertEqual(response.status_code, 200)
        self.assertEqual((message_b.state, message_b.error_code), ("sent", 0))
        self.assertFalse(self.env["cobranza.message"].sudo().search(
            [("fallback_of_id", "=", message_b.id)]))
        # Company B's own number speaks for it.
        self.post(graph_mock.status_payload([graph_mock.status_item("wamid.B", "delivered")],
                                            waba_id="WABA2", phone_number_id="PNID2"))
        self.assertEqual(message_b.state, "delivered")
