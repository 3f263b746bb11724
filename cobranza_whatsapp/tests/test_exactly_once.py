"""Exactly once when Meta's answer is lost, and when Odoo replays a request.

Against the project's loopback Graph API (``graph_mock.py``): Meta takes the message and its
answer is lost on the way back (the client times out, the connection closes, a 200 without
a message id or that is not JSON). Sending it again would reach the customer twice, so the
message waits for Meta's status webhook, which carries our callback data, or for a person.
"""

import datetime
import socket
from unittest.mock import patch

import freezegun
import psycopg2.errors
import requests
import urllib3

from odoo import fields
from odoo.tests import Form, tagged

from ..tools import graph_api, meta_api
from . import graph_mock
from .common import NOW, GraphMockCase, LiveAccountCommon, allow_api_host

# Past the client's timeout: Odoo's test framework raises any timeout under 10 s to 10 s.
HANG = 12
TEXT = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "51987654321",
        "type": "text", "text": {"body": "Hola", "preview_url": False}}


def refused_url():
    """A loopback address where nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@tagged("post_install", "-at_install")
class TestLostOrNeverSent(GraphMockCase):
    """The client tells "certainly not sent" (safe to retry) from "may have been sent"."""


    def client(self, url=None):
        return graph_api.GraphApi(api_url=url or self.mock.url, version="v23.0",
                                  token="T0K3N", timeout=1, phone_number_id="PN1",
                                  allowed_hosts=["127.0.0.1", "graph.example"])

    def send(self, url=None):
        """The error of one send, as the sender sees it (its answer parsed)."""
        with self.assertRaises(meta_api.MetaTransportError) as caught:
            meta_api.parse_send_response(self.client(url).send_message(dict(TEXT)))
        return caught.exception

    def test_answers_lost_after_meta_took_the_message(self):
        for lost in ("hang", "drop", "no_id", "not_json"):
            with self.subTest(lost=lost):
                self.mock.reset()
                self.mock.fail_next(lost_answer=lost, hang=HANG)
                error = self.send()
                self.assertTrue(error.maybe_sent, "Meta may have it: not to be sent again")
                self.assertIn("answer was lost", str(error))
                self.assertEqual(len(self.mock.requests), 1)
                self.assertTrue(self.mock.requests[0].get("wamid"), "Meta took it")

    def test_a_connection_never_made_is_safe_to_retry(self):
        error = self.send(refused_url())
        self.assertFalse(error.maybe_sent, "refused: nothing reached Meta")
        self.assertEqual(error.kind, meta_api.RETRY)

    def test_what_requests_raises_sorted_by_whether_the_request_left(self):
        url = "https://graph.example/v23.0/PN1/messages"
        dns = requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(
            None, url, urllib3.exceptions.NewConnectionError(
                None, "Failed to establish a new connection: [Errno -2] Name or service "
                      "not known")))
        reset = requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
            "Connection aborted.", ConnectionResetError(104, "Connection reset by peer")))
        cases = [
            (requests.exceptions.ConnectTimeout("connect timed out"), False),
            (dns, False),
            (requests.exceptions.ReadTimeout("read timed out"), True),
            (reset, True),
            (requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead"),
             True),
        ]
        for raised, maybe_sent in cases:
            with self.subTest(raised=type(raised).__name__, maybe_sent=maybe_sent):
                def request(_session, *_args, raised=raised, **_kwargs):
                    raise raised

                with patch.object(requests.Session, "request", request):
                    error = self.send("https://graph.example")
                self.assertEqual(error.maybe_sent, maybe_sent)

    def test_meta_refusing_is_not_a_lost_answer(self):
        self.mock.fail_next(http_status=503)
        with self.assertRaises(meta_api.MetaError) as caught:
            self.client().send_message(dict(TEXT))
        self.assertFalse(caught.exception.maybe_sent)
        self.assertEqual(caught.exception.kind, meta_api.RETRY)


@tagged("post_install", "-at_install")
class TestExactlyOnce(LiveAccountCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.cobranza_pdf_mode = "link"  # the first request of a send is the message

    def journal(self, message):
        self.env.flush_all()
        self.env.cr.execute("SELECT started_at IS NOT NULL, finished_at IS NOT NULL, "
                            "answer_lost FROM cobranza_message_post WHERE message_id = %s",
                            (message.id,))
        return self.env.cr.fetchone()

    def age(self, message, minutes):
        """Time passes for this message and its journal row (the database clock does not
        follow the test's frozen one)."""
        then = fields.Datetime.now() - datetime.timedelta(minutes=minutes)
        self.env.flush_all()
        self.env.cr.execute("UPDATE cobranza_message SET write_date = %s WHERE id = %s",
                            (then, message.id))
        self.env.cr.execute("UPDATE cobranza_message_post SET started_at = %s "
                            "WHERE message_id = %s", (then, message.id))
        self.env.invalidate_all()

    def posts_to(self, message):
        return [body for body in self.mock.sent_messages()
                if body.get("biz_opaque_callback_data") == meta_api.callback_data(message.id)]

    def lose_the_answer(self, lost, name="María Lost", phone="+51 986 111 001"):
        """A reminder whose post reached Meta and whose answer was lost."""
        message = self.queue_reminder(self._customer(name, phone, self.pe))
        self.mock.fail_next(lost_answer=lost, hang=HANG)
        self.env["cobranza.message"]._process_queue()
        return message

    def test_a_lost_answer_is_never_posted_again(self):
        for index, lost in enumerate(("hang", "drop", "no_id", "not_json")):
            with self.subTest(lost=lost):
                message = self.lose_the_answer(lost, f"Cliente {lost}",
                                               f"+51 986 111 0{index}1")
                self.assertEqual(len(self.posts_to(message)), 1)
                # Time passes (past any retry's backoff): the sweep, then the queue.
                self.age(message, 11)
                self.env["cobranza.message.post"]._recover_interrupted()
                self.env["cobranza.message"]._process_queue(
                    now=fields.Datetime.now() + datetime.timedelta(hours=1))
                self.assertEqual(len(self.posts_to(message)), 1, "posted exactly once")
                self.assertEqual(message.state, "sending", "it waits for Meta's word")
                self.assertEqual(message.error_message,
                                 "Meta's answer was lost; waiting for Meta's confirmation.")
                self.assertEqual(self.journal(message), (True, False, True),
                                 "journaled as leaving, never as answered")

    def test_metas_status_webhook_confirms_a_lost_answer(self):
        message = self.lose_the_answer("hang")
        (request,) = [r for r in self.mock.requests if r["path"].endswith("/messages")]
        # Meta delivers it and says so, with the callback data we gave it.
        payload = graph_mock.status_payload([graph_mock.status_item(
            request["wamid"], "delivered", recipient_id=request["json"]["to"],
            callback_data=request["json"]["biz_opaque_callback_data"])])
        Event = self.env["cobranza.webhook.event"].sudo()  # as the webhook controller
        Event._handle_payload(self.wa_account, payload)
        event = Event.search([("kind", "=", "status")], limit=1)
        # The journal says the answer was lost, so no sender is writing the row: confirmed
        # at once, not a retry cron later.
        self.assertEqual(event.state, "done")
        self.assertEqual((message.state, message.wamid), ("delivered", request["wamid"]))
        self.assertFalse(message.error_message)
        self.env["cobranza.message.post"]._recover_interrupted()
        self.env["cobranza.message"]._process_queue(
            now=fields.Datetime.now() + datetime.timedelta(hours=1))
        self.assertEqual(len(self.posts_to(message)), 1, "posted exactly once")

    def test_without_confirmation_a_person_decides(self):
        message = self.lose_the_answer("no_id")
        self.age(message, 61)
        settled = self.env["cobranza.message.post"]._recover_interrupted()
        self.assertEqual(settled["unconfirmed"], 1)
        self.assertEqual(message.state, "failed")
        self.assertIn("answer to this message was lost and Meta never confirmed it",
                      message.error_message)
        self.assertIn("Check the customer's WhatsApp conversation", message.error_message)
        note = message.move_ids.message_ids[:1]
        self.assertIn("could not be sent", str(note.body), "the invoice's chatter says so")
        self.env["cobranza.message"]._process_queue(
            now=fields.Datetime.now() + datetime.timedelta(hours=1))
        self.assertEqual(len(self.posts_to(message)), 1, "not posted again")
        self.assertFalse(self.env["cobranza.message"].search(
            [("fallback_of_id", "=", message.id)]), "nor sent another way: it may have arrived")

    def test_a_connection_never_made_is_retried(self):
        message = self.queue_reminder(self.customer)
        allow_api_host(self.env, refused := refused_url())
        self.wa_account.sudo().api_url = refused
        self.env["cobranza.message"]._process_queue()
        self.assertEqual((message.state, message.attempts), ("queued", 1))
        self.assertTrue(message.next_attempt_at)
        self.assertEqual(self.journal(message)[:2], (True, True), "it never left")
        self.wa_account.sudo().api_url = self.mock.url
        message.next_attempt_at = False
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.posts_to(message)), 1)

    # === REQUESTS THAT ODOO REPLAYS === #

    def replayed(self, action):
        """What Odoo's ``retrying`` does to a request whose commit PostgreSQL refused
        (serialization failure): its transaction is rolled back and it runs again."""
        try:
            with self.env.cr.savepoint():
                action()
                self.env.flush_all()
                raise psycopg2.errors.SerializationFailure(
                    "could not serialize access due to concurrent update")
        except psycopg2.errors.SerializationFailure:
            self.env.invalidate_all()
        return action()

    def test_a_replayed_send_reminder_now_posts_once(self):
        move = self._invoice(self.customer, 750.0, days_overdue=4)
        wizard = Form(self.env["cobranza.message.compose"].with_user(self.collector)
                      .with_context(active_model="account.move", active_ids=move.ids)).save()
        action = self.replayed(wizard.action_send)
        self.assertFalse(self.mock.sent_messages(), "nothing is posted from the request")
        self.assertEqual(action["params"]["title"], "Reminder queued")
        message = self.messages_for(self.customer)
        self.assertEqual((len(message), message.state), (1, "queued"),
                         "the rolled-back try left nothing behind")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(len(self.mock.sent_messages()), 1, "Meta got the reminder once")
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.move_ids, move)

    def test_a_replayed_reply_on_whatsapp_posts_once(self):
        self.customer.cobranza_window_until = fields.Datetime.now() + datetime.timedelta(
            hours=3)
        wizard = self.env["cobranza.message.reply"].with_user(self.collector).create({
            "partner_id": self.customer.id, "body": "Hola María, le escribo por su factura."})
        self.replayed(wizard.action_send)
        self.assertFalse(self.mock.sent_messages(), "nothing is posted from the request")
        message = self.messages_for(self.customer)
        self.assertEqual((len(message), message.state), (1, "queued"))
        self.env["cobranza.message"]._process_queue()
        sent = self.mock.sent_messages()
        self.assertEqual(len(sent), 1, "Meta got the reply once")
        self.assertEqual(sent[0]["text"]["body"], "Hola María, le escribo por su factura.")
        self.assertEqual(sent[0]["biz_opaque_callback_data"], f"cobranza:{message.id}",
                         "a reply whose answer is lost can be confirmed too")
        self.assertEqual(message.state, "sent")
