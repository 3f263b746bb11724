import datetime
from unittest.mock import patch

import freezegun
import requests
from markupsafe import Markup

from odoo import fields
from odoo.tests import tagged

from ..tools import meta_api, poster, rate
from .common import NOW, CobranzaCommon, LiveAccountCommon, render_pdfs_offline


@tagged("post_install", "-at_install")
class TestSender(LiveAccountCommon):
    """The outbox against the project's loopback Graph API: real HTTP, real payloads."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def queue_reminder(self, partner=None, days_overdue=4, amount=1000.0):
        partner = partner or self.customer
        move = self._invoice(partner, amount, days_overdue=days_overdue)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        message.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        return move, message

    def test_template_payload_with_pdf_buttons_and_variables(self):
        move, message = self.queue_reminder()
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        self.assertTrue(message.wamid.startswith("wamid."))
        uploads = [r for r in self.mock.requests if r["path"].endswith("/media")]
        self.assertEqual(len(uploads), 1, "the invoice PDF is uploaded once")
        sent = self.mock.sent_messages()
        self.assertEqual(len(sent), 1)
        payload = sent[0]
        self.assertEqual(payload["to"], "51987654321")
        self.assertEqual(payload["type"], "template")
        template = payload["template"]
        self.assertEqual(template["name"], "recordatorio_vencida")
        self.assertEqual(template["language"], {"code": "es"})
        components = {c["type"]: c for c in template["components"] if c["type"] != "button"}
        header = components["header"]["parameters"][0]
        self.assertEqual(header["type"], "document")
        self.assertEqual(header["document"]["filename"], move.name.replace("/", "_") + ".pdf")
        self.assertTrue(header["document"]["id"])
        body = [p["text"] for p in components["body"]["parameters"]]
        self.assertEqual(body[0], "María Quispe")
        self.assertEqual(body[1], move.name)
        # A Spanish template to a Peruvian customer: Peru's formats; "$" says which dollar.
        self.assertEqual(body[2], "$ 1,000.00 USD")
        self.assertEqual(body[3], "4")
        buttons = [c for c in template["components"] if c["type"] == "button"]
        url_button = next(b for b in buttons if b["sub_type"] == "url")
        # The pay link's tracked path (tests/test_click_tracking.py), its suffix.
        self.assertEqual(url_button["parameters"][0]["text"], move._cobranza_pay_path(message))
        quick = [b["parameters"][0]["payload"] for b in buttons if b["sub_type"] == "quick_reply"]
        self.assertEqual(quick, [f"PAID:{move.name}", f"PERSON:{move.name}"])
        self.assertEqual(payload["biz_opaque_callback_data"], f"cobranza:{message.id}")
        self.assertIn(move.name, message.body)
        self.assertIn("Collection reminder sent", move.message_ids[0].body)

    def test_the_sent_note_is_mails_own_note(self):
        """The note of a sent reminder is written in one statement for the whole batch:
        the same row as mail's own logging writes, on the invoice's chatter."""
        move, message = self.queue_reminder()
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        note = move.message_ids.filtered(lambda m: "Collection reminder sent" in (m.body or ""))
        self.assertEqual(len(note), 1, "one note, read back through the chatter")
        self.assertIn(message.body.split(" ")[0], note.body)
        reference = move._message_log_batch({move.id: Markup("<p>reference</p>")})
        direct = self.env["mail.message"].browse(
            move._cobranza_log_notes({move.id: Markup("<p>direct</p>")}))
        self.assertEqual(direct.body, Markup("<p>direct</p>"))
        self.assertIn(direct, move.message_ids, "the invoice's chatter is read again")
        fields_compared = ["model", "res_id", "message_type", "subtype_id", "is_internal",
                           "author_id", "email_from", "reply_to", "email_add_signature",
                           "record_company_id", "record_alias_domain_id", "subject",
                           "partner_ids", "attachment_ids", "tracking_value_ids"]
        for name in fields_compared:
            self.assertEqual(note[name], reference[name], name)
            self.assertEqual(direct[name], reference[name], name)
        self.assertTrue(note.message_id)

    def test_a_thank_you_waits_for_the_customers_contact_hours(self):
        """Reported: a Madrid customer who paid at 20:00 UTC was thanked at 21:00 local time.
        Every business message is checked against the window when it leaves."""
        madrid = self._customer("Lucía García", "+34 612 345 678", self.es)
        move = self._invoice(madrid, 300.0, days_overdue=4)
        move.cobranza_level_id = self.levels[:1]  # reminded: a payment is thanked
        thanks = self.env["cobranza.message"]._queue_purpose(madrid, move, "thanks")
        self.assertTrue(thanks)
        evening = datetime.datetime(2026, 11, 18, 20, 0)  # 21:00 in Madrid: closed
        self.env["cobranza.message"]._process_queue(now=evening)
        self.assertEqual(thanks.state, "queued")
        self.assertEqual(thanks.scheduled_at, datetime.datetime(2026, 11, 19, 8, 0),
                         "09:00 the next morning in Madrid")
        self.assertFalse(self.mock.sent_messages())
        self.env["cobranza.message"]._process_queue(now=thanks.scheduled_at)
        self.assertIn(thanks.state, ("sent", "delivered", "read"))

    def test_statement_merges_the_invoice_pdfs(self):
        """Several invoices: one PDF holding each invoice, rendered one by one."""
        a = self._invoice(self.customer, 300.0, days_overdue=4)
        b = self._invoice(self.customer, 200.0, days_overdue=5)
        self.run_cadence()
        message = self.messages_for(self.customer)
        self.assertEqual(message.move_ids, a | b)
        message.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        render_pdfs_offline(self.env)
        self.env["cobranza.message"].with_context(force_report_rendering=True)._process_queue()
        self.assertEqual(message.state, "sent", message.error_message)
        upload = next(r for r in self.mock.requests if r["path"].endswith("/media"))
        self.assertGreater(upload["form_bytes"], 1000)
        header = self.mock.sent_messages()[0]["template"]["components"][0]
        self.assertTrue(header["parameters"][0]["document"]["filename"].startswith("Statement_"))
        body = self.mock.sent_messages()[0]["template"]["components"][1]["parameters"]
        links = body[6]["text"]
        for move in a | b:
            self.assertIn(f"{move.name}: {move._cobranza_pay_url(message)}", links,
                          "a statement carries one pay link per invoice")

    def test_pay_links_are_capped(self):
        moves = self.env["account.move"]
        for _i in range(15):
            moves |= self._invoice(self.customer, 10.0, days_overdue=4)
        text = self.env["cobranza.whatsapp.template"]._pay_links_text(moves)
        self.assertLessEqual(len(text), 1000)
        self.assertIn("more in your customer portal", text)
        self.assertNotIn("\n", text)

    def test_link_mode_sends_the_portal_pdf(self):
        self.company.cobranza_pdf_mode = "link"
        move, _message = self.queue_reminder()
        self.env["cobranza.message"]._process_queue()
        self.assertFalse([r for r in self.mock.requests if r["path"].endswith("/media")])
        document = self.mock.sent_messages()[0]["template"]["components"][0]["parameters"][0]
        self.assertIn(f"/my/invoices/{move.id}?", document["document"]["link"])
        self.assertIn("report_type=pdf", document["document"]["link"])

    def test_media_reused_then_uploaded_again_after_expiry(self):
        account = self.wa_account
        media_model = self.env["cobranza.whatsapp.media"].sudo()
        first = media_model._get_media_id(account, b"%PDF-1 one", "a.pdf")
        again = media_model._get_media_id(account, b"%PDF-1 one", "a.pdf")
        self.assertEqual(first, again)
        self.assertEqual(len([r for r in self.mock.requests if r["path"].endswith("/media")]), 1)
        media_model.search([("media_id", "=", first)]).uploaded_at = \
            fields.Datetime.now() - datetime.timedelta(days=30)
        renewed = media_model._get_media_id(account, b"%PDF-1 one", "a.pdf")
        self.assertNotEqual(renewed, first)
        self.assertEqual(len([r for r in self.mock.requests if r["path"].endswith("/media")]), 2)

    def test_retryable_error_backs_off_then_sends(self):
        _move, message = self.queue_reminder()
        self.mock.fail_next(1, http_status=400, code=130429, message="(#130429) Rate limit hit")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.attempts, 1)
        self.assertEqual(message.error_code, 130429)
        self.assertGreater(message.next_attempt_at, fields.Datetime.now())
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "queued", "not before its next attempt")
        message.next_attempt_at = fields.Datetime.now() - datetime.timedelta(seconds=1)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.mock.sent_messages()), 1)

    def test_server_errors_and_connect_timeouts_retry(self):
        """Meta's 5xx and a connection never made are retried; a read timeout, which may
        come after Meta took the message, is not (test_exactly_once.py)."""
        _move, message = self.queue_reminder()
        self.mock.fail_next(1, http_status=503)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual((message.state, message.attempts), ("queued", 1))
        message.next_attempt_at = False
        real_request = requests.Session.request

        def timing_out(session, method, url, *args, **kwargs):
            if url.endswith("/messages"):
                raise requests.exceptions.ConnectTimeout("connect timed out")
            return real_request(session, method, url, *args, **kwargs)

        with patch.object(requests.Session, "request", timing_out):
            self.env["cobranza.message"]._process_queue()
        self.assertEqual((message.state, message.attempts), ("queued", 2))
        self.assertTrue(message.next_attempt_at)
        message.next_attempt_at = False
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.mock.sent_messages()), 1, "posted once Meta could be reached")

    def test_retries_are_bounded(self):
        _move, message = self.queue_reminder()
        for _attempt in range(10):
            self.mock.fail_next(1, http_status=500)
            message.next_attempt_at = False
            self.env["cobranza.message"]._process_queue()
            if message.state == "failed":
                break
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.attempts, meta_api.MAX_ATTEMPTS)

    def test_permanent_error_fails_with_reason_and_falls_back(self):
        _move, message = self.queue_reminder()
        self.mock.fail_next(1, http_status=400, code=131026, message="Message undeliverable")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_code, 131026)
        self.assertIn("WhatsApp", message.error_message)
        fallback = self.env["cobranza.message"].search([("fallback_of_id", "=", message.id)])
        self.assertEqual(fallback.channel, "sms", "the +3 level falls back to SMS")
        self.assertEqual(fallback.move_ids, message.move_ids)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(fallback.state, "sending", "sent once Odoo's SMS service takes it")
        self.assertTrue(self.env["sms.sms"].search([("partner_id", "=", self.customer.id)]))

    def test_expired_token_stops_account_and_keeps_queue(self):
        _move, message = self.queue_reminder()
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        _move2, message2 = self.queue_reminder(other)
        self.mock.fail_next(1, http_status=401, code=190, message="Error validating access token")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(self.wa_account.state, "stopped")
        self.assertIn("token", self.wa_account.stopped_reason.lower())
        self.assertEqual((message | message2).mapped("state"), ["queued", "queued"])
        self.assertEqual(len(self.mock.sent_messages()), 0, "nothing burnt after the stop")
        self.assertTrue(self.wa_account.activity_ids, "managers are alerted")
        self.wa_account.action_resume()
        self.env["cobranza.message"]._process_queue()
        self.assertEqual((message | message2).mapped("state"), ["sent", "sent"])

    def test_template_paused_waits_disabled_falls_back(self):
        _move, message = self.queue_reminder()
        message.template_id.status = "paused"
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "queued")
        self.assertFalse(self.mock.sent_messages())
        message.template_id.status = "disabled"
        message.next_attempt_at = False
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "cancelled")
        self.assertTrue(self.env["cobranza.message"].search([("fallback_of_id", "=", message.id)]))

    def test_value_too_long_is_a_clear_error_before_sending(self):
        partner = self._customer("X" * 1100, "+51 987 654 322", self.pe)
        _move, message = self.queue_reminder(partner)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "failed")
        self.assertIn("Customer name", message.error_message)
        self.assertFalse(self.mock.sent_messages())

    def test_rate_limit_is_held(self):
        """Calls start no faster than the account's rate, even with requests in parallel."""
        self.wa_account.rate_limit = 20
        for i in range(12):
            partner = self._customer(f"Cliente {i}", f"+51 9{i + 20} 111 222", self.pe)
            self.queue_reminder(partner)
        self.company.cobranza_pdf_mode = "link"
        self.env["cobranza.message"]._process_queue()
        starts = sorted(r["at"] for r in self.mock.requests if r["path"].endswith("/messages"))
        self.assertEqual(len(starts), 12)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        self.assertGreater(min(gaps), 1 / 20 * 0.8, "no two calls closer than the rate allows")
        elapsed = starts[-1] - starts[0]
        self.assertAlmostEqual(elapsed, 11 / 20, delta=0.05 * 11 / 20 + 0.03)

    def test_rate_slot_arithmetic(self):
        self.assertEqual(rate.reserve(None, 100.0, 20, 4), (100.0, 100.2))
        self.assertEqual(rate.reserve(100.2, 100.05, 20, 2), (100.2, 100.3),
                         "a second worker queues behind the slots already handed out")
        self.assertEqual(rate.reserve(90.0, 100.0, 20, 1), (100.0, 100.05),
                         "an idle account does not save up a burst")
        self.assertEqual(rate.reserve(None, 100.0, 0, 50), (100.0, None), "0 means no limit")
        self.assertAlmostEqual(rate.observed_rate([0.0, 0.05, 0.1, 0.15]), 20.0)
        self.assertEqual(rate.observed_rate([1.0]), 0.0)

    def test_two_workers_share_the_account_rate(self):
        """Two posters (two workers) on one account: together they hold its rate, not twice."""
        self.wa_account.rate_limit = 25
        client = self.wa_account._graph_api()
        lent = poster.LentCursor(self.env.cr)
        posters = [poster.Poster(lent) for _worker in range(2)]
        for worker, outbox in enumerate(posters):
            outbox.submit([
                poster.Post(1000 * (worker + 1) + i, self.wa_account.id, 25, client,
                            {"messaging_product": "whatsapp", "to": f"5198700{worker}{i:03d}",
                             "type": "text", "text": {"body": "hola"}})
                for i in range(15)])
        answers = [outbox.results(wait=True) for outbox in posters]
        for outbox in posters:
            outbox.close()
        self.assertEqual(sum(len(a) for a in answers), 30)
        starts = sorted(r["at"] for r in self.mock.requests if r["path"].endswith("/messages"))
        self.assertEqual(len(starts), 30)
        self.assertAlmostEqual(rate.observed_rate(starts), 25, delta=25 * 0.05)
        self.env.cr.execute("SELECT count(*) FROM cobranza_message_post "
                            "WHERE message_id BETWEEN 1000 AND 2999 AND wamid IS NOT NULL")
        self.assertEqual(self.env.cr.fetchone()[0], 30, "every answer is journaled")

    def _interrupted(self, journal=None, minutes_ago=20):
        """A message a stopped worker left in `sending`, with its journal row if any."""
        self.interrupted_count = getattr(self, "interrupted_count", 0) + 1
        _move, message = self.queue_reminder(self._customer(
            f"Cliente {self.interrupted_count}", f"+51 97{self.interrupted_count} 111 222",
            self.pe))
        message._set_sending(account_id=self.wa_account.id)
        self.env.flush_all()
        then = fields.Datetime.now() - datetime.timedelta(minutes=minutes_ago)
        self.env.cr.execute("UPDATE cobranza_message SET write_date = %s WHERE id = %s",
                            (then, message.id))
        if journal:
            self.env.cr.execute(
                "INSERT INTO cobranza_message_post (message_id, started_at, finished_at, "
                "wamid, wa_id) VALUES (%s, %s, %s, %s, %s)",
                (message.id, then, then if journal != "in_flight" else None,
                 "wamid.RECOVERED" if journal == "answered" else None,
                 "51987111222" if journal == "answered" else None))
        message.invalidate_recordset()
        return message

    def test_interrupted_sends_are_settled_from_the_journal(self):
        """A worker killed mid-batch: nothing is sent twice and nothing is lost."""
        never_posted = self._interrupted()
        answered = self._interrupted("answered")
        refused = self._interrupted("refused")
        in_flight = self._interrupted("in_flight")
        too_recent = self._interrupted(minutes_ago=2)
        settled = self.env["cobranza.message.post"]._recover_interrupted()
        self.assertEqual(settled, {"requeued": 2, "sent": 1, "unconfirmed": 0})
        self.assertEqual(never_posted.state, "queued")
        self.assertEqual(refused.state, "queued", "Meta refused it: the retry rules decide")
        self.assertEqual((answered.state, answered.wamid), ("sent", "wamid.RECOVERED"))
        self.assertEqual(in_flight.state, "sending", "in flight: Meta's webhook will tell")
        self.assertEqual(too_recent.state, "sending", "its worker may still be running")
        # Meta's status webhook carries our callback data: the in-flight one was sent.
        self.env["cobranza.message"]._apply_statuses([{
            "wamid": "wamid.CONFIRMED", "status": "delivered", "timestamp": 1795000000,
            "recipient_id": in_flight.partner_id.cobranza_whatsapp_number.lstrip("+"),
            "callback_data": f"cobranza:{in_flight.id}"}])
        self.assertEqual((in_flight.state, in_flight.wamid), ("delivered", "wamid.CONFIRMED"))
        # A worker still busy with its message is not raced: the status waits for the wamid.
        self.assertEqual(self.env["cobranza.message"]._apply_statuses([{
            "wamid": "wamid.TOO_SOON", "status": "sent", "timestamp": 1795000000,
            "callback_data": f"cobranza:{too_recent.id}"}]), [False])
        self.assertEqual((too_recent.state, too_recent.wamid), ("sending", False))
        # Without a confirmation, an hour later a person decides.
        unconfirmed = self._interrupted("in_flight", minutes_ago=90)
        self.env["cobranza.message.post"]._recover_interrupted()
        self.assertEqual(unconfirmed.state, "failed")
        self.assertIn("never confirmed", unconfirmed.error_message)
        # The queue then sends the requeued ones once; the settled ones are not posted again.
        self.env["cobranza.message"]._process_queue()
        posted_to = [body["to"] for body in self.mock.sent_messages()]
        self.assertEqual(sorted(posted_to), sorted(
            m.partner_id.cobranza_whatsapp_number.lstrip("+") for m in never_posted | refused))

    def test_sandbox_statuses_progress_like_meta(self):
        self.wa_account.mode = "sandbox"
        _move, message = self.queue_reminder()
        self.env["cobranza.message"]._process_queue()
        self.assertIn(message.state, ("delivered", "read"))
        self.assertTrue(message.sent_at and message.delivered_at)
        self.assertEqual(message.pricing_category, "utility")
        self.assertFalse(self.mock.requests, "sandbox traffic never leaves the server")

    def test_sandbox_simulated_replies_go_through_the_webhook(self):
        """A sandbox account can have its customers answer; replies are read and acted on."""
        self.wa_account.write({"mode": "sandbox", "sandbox_reply_rate": 100})
        partners = [self._customer(f"Cliente {i}", f"+51 9{i + 40} 111 222", self.pe)
                    for i in range(12)]
        outbound = self.env["cobranza.message"]
        for partner in partners:
            outbound |= self.queue_reminder(partner)[1]
        self.env["cobranza.message"]._process_queue()
        replies = self.env["cobranza.message"].search(
            [("direction", "=", "in"), ("partner_id", "in", [p.id for p in partners])])
        self.assertEqual(len(replies), 12, "a reply rate of 100 % answers every message")
        self.assertEqual(replies.partner_id, outbound.partner_id)
        for reply in replies:
            sent = outbound.filtered(lambda m, r=reply: m.partner_id == r.partner_id)
            self.assertEqual(reply.move_ids, sent.move_ids, "the reply quotes our reminder")
        self.assertGreater(len(set(replies.mapped("intent")) - {"unknown"}), 2)
        events = self.env["cobranza.webhook.event"].search([("kind", "=", "message")])
        self.assertEqual(len(events), 12, "replies are stored as webhook events, like Meta's")
        self.wa_account.sandbox_reply_rate = 0
        quiet = self._customer("Cliente silencioso", "+51 960 111 222", self.pe)
        self.queue_reminder(quiet)
        self.env["cobranza.message"]._process_queue()
        self.assertFalse(self.messages_for(quiet).filtered(lambda m: m.direction == "in"))

    def test_scheduled_in_the_future_waits(self):
        _move, message = self.queue_reminder()
        message.scheduled_at = fields.Datetime.now() + datetime.timedelta(hours=3)
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "queued")


@tagged("post_install", "-at_install")
class TestStatuses(CobranzaCommon):
    def _sent_message(self):
        move = self._invoice(self.customer, 100.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)
        message._set_sending()
        message._set_sent("wamid.TEST1", sent_at=NOW)
        return move, message

    def _status(self, status, ts=1763478000, **extra):
        event = {"kind": "status", "wamid": "wamid.TEST1", "status": status, "timestamp": ts}
        event.update(extra)
        return self.env["cobranza.message"]._apply_statuses([event])[0]

    def test_statuses_never_go_back(self):
        _move, message = self._sent_message()
        self._status("read")
        self.assertEqual(message.state, "read")
        self.assertTrue(message.delivered_at, "read implies delivered")
        self._status("delivered")
        self._status("sent")
        self.assertEqual(message.state, "read")

    def test_unknown_wamid_is_reported(self):
        self.assertEqual(self.env["cobranza.message"]._apply_statuses(
            [{"kind": "status", "wamid": "wamid.UNKNOWN", "status": "read", "timestamp": 1}]),
            [False])

    def test_failed_after_sent_falls_back(self):
        _move, message = self._sent_message()
        self._status("failed", errors=[{"code": 131026, "title": "Message undeliverable"}])
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_code, 131026)
        fallback = self.env["cobranza.message"].search([("fallback_of_id", "=", message.id)])
        self.assertEqual(fallback.channel, "sms")


@tagged("post_install", "-at_install")
class TestFreeFormReplies(CobranzaCommon):
    def test_only_inside_the_24_hour_window(self):
        from odoo.exceptions import UserError

        self.customer.cobranza_window_until = False
        with self.assertRaises(UserError):
            self.env["cobranza.message"]._send_text(self.customer, "Hola María")
        self.customer.cobranza_window_until = fields.Datetime.now() + datetime.timedelta(hours=3)
        message = self.env["cobranza.message"]._send_text(self.customer, "Hola María")
        self.assertEqual(message.state, "queued", "posted by the send cron, not the request")
        self.env["cobranza.message"]._process_queue()
        self.assertIn(message.state, ("sent", "delivered", "read"))
        self.assertEqual(message.body, "Hola María")
        self.customer.cobranza_window_until = fields.Datetime.now() - datetime.timedelta(
            minutes=1)
        with self.assertRaises(UserError):
            self.env["cobranza.message"]._send_text(self.customer, "¿Sigue ahí?")


@tagged("post_install", "-at_install")
class TestAccountAndTemplates(LiveAccountCommon):
    """The account's connection test and the template life cycle against the mock."""

    def test_connection_ok_and_refused(self):
        action = self.wa_account.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("+51 1 555 0100", action["params"]["message"])
        self.assertEqual(self.mock.requests[-1]["headers"]["Authorization"], "Bearer test-token")
        from odoo.exceptions import UserError

        self.mock.fail_next(1, http_status=401, code=190, message="Invalid OAuth access token.")
        with self.assertRaises(UserError) as error:
            self.wa_account.action_test_connection()
        self.assertIn("token", str(error.exception))
        self.assertNotIn("test-token", str(error.exception), "the token is never shown")

    def test_submit_then_sync_pages(self):
        template = self.templates.filtered(lambda t: t.purpose == "overdue")
        template.write({"status": "draft", "meta_template_id": False})
        # A WABA without templates yet: Meta refuses a second one of the same name.
        kept = list(self.mock.templates)
        self.addCleanup(self.mock.templates.__setitem__, slice(None), kept)
        self.mock.templates.clear()
        template.action_submit()
        self.assertEqual(template.status, "pending")
        created = self.mock.requests[-1]["json"]
        self.assertEqual(created["name"], "recordatorio_vencida")
        self.assertEqual(created["category"], "UTILITY")
        body = next(c for c in created["components"] if c["type"] == "BODY")
        self.assertEqual(len(body["example"]["body_text"][0]), 5)
        buttons = next(c for c in created["components"] if c["type"] == "BUTTONS")["buttons"]
        self.assertTrue(buttons[0]["url"].endswith("/{{1}}"))
        # Meta approves it; the sync walks every page of Meta's list.
        for template_data in self.mock.templates:
            template_data["status"] = "APPROVED"
        for i in range(30):
            self.mock.templates.append({"id": str(5000 + i), "name": f"other_{i}",
                                        "language": "es", "status": "APPROVED"})
        self.mock.templates.append({"id": "77", "name": template.name, "language": "es",
                                    "status": "REJECTED",
                                    "rejected_reason": "TAG_CONTENT_MISMATCH"})
        template.meta_template_id = "77"
        gets_before = len([r for r in self.mock.requests if r["method"] == "GET"])
        self.env["cobranza.whatsapp.template"]._sync_account(self.wa_account, page_size=10)
        self.assertEqual(template.status, "rejected")
        self.assertEqual(template.rejected_reason, "TAG_CONTENT_MISMATCH")
        pages = len([r for r in self.mock.requests if r["method"] == "GET"]) - gets_before
        self.assertEqual(pages, 4, "32 templates, 10 a page: the sync follows the cursor")

    def test_template_name_rule(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.templates[:1].copy({"name": "Recordatorio Vencida"})
