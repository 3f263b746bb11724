"""Hostile input: fuzzed and malformed webhooks, injection attempts, secrets in logs.

Every request here is one a stranger (or a sender with a bug) can make. The webhooks must
answer below 500, store nothing for what they refuse, and store only complete, processable
rows for what they accept; customer text must stay text wherever it is shown; and no log
line may carry a credential or a customer's full phone number.
"""

import contextlib
import hashlib
import hmac
import json
import logging
import threading

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, HttpCase, tagged

from ..tools import meta_api, payment_notice
from ..tools.message_state import can_move
from . import graph_mock
from .common import NOW, CobranzaCommon, LiveAccountCommon

META_URL = "/cobranza_whatsapp/webhook"
PAY_URL = "/cobranza_whatsapp/payment"
APP_SECRET = "hostile-app-secret-5b1e"
VERIFY_TOKEN = "hostile-verify-token-07c4"
PAY_SECRET = "hostile-pay-secret-9d2a"
WAMID = "wamid.HOSTILE0001"

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

INJECTIONS = [
    "<script>alert(1)</script>",
    "{{7*7}}",
    '<t t-out="1+1"/>',
    "'; DROP TABLE res_partner; --",
    '=HYPERLINK("http://x")',
    "+CMD|' /C calc'!A0",
]

# --- strategies: Meta's and the banks' shapes, filled with the wrong types ----------------

WORDS = ["whatsapp_business_account", "messages", "statuses", "sent", "delivered", "read",
         "failed", "text", "button", "interactive", "image", "document", WAMID,
         "51987654321", "cobranza:1", "cobranza:99999999999999999999",
         "APPROVED", "PAUSED", "", "\x00", "\u202e", *INJECTIONS]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(WORDS),
    # Text from a list of characters: st.text() would cache Unicode tables in the repository.
    st.lists(st.sampled_from("aZ9 ñ\u00e9\u202e\x00\x1f{}[]\"'<>&\\/\U0001f600"),
             max_size=12).map("".join),
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "body", "code", "status", "type", "from", "",
                                         "\x00"]), inner, max_size=3),
    ),
    max_leaves=8,
)
extremes = st.sampled_from([float("inf"), float("-inf"), float("nan"), 10**20, -10**20,
                            2**63, "1e400", "-1", "\x00", "\ud800"])
odd = extremes | junk
ids = st.sampled_from([WAMID, "wamid.OTHER", "", "\x00", "\ud800", "x" * 300]) | junk
status_item = st.fixed_dictionaries({
    "id": ids, "status": st.sampled_from(["sent", "delivered", "read", "failed"]) | junk,
}, optional={
    "timestamp": odd, "recipient_id": odd, "biz_opaque_callback_data": odd,
    "errors": st.lists(st.fixed_dictionaries({}, optional={
        "code": odd, "title": odd, "message": odd, "error_data": odd}), max_size=2) | junk,
    "pricing": st.fixed_dictionaries({}, optional={
        "category": odd, "type": odd, "billable": odd}) | junk,
    "conversation": st.fixed_dictionaries({}, optional={"id": odd}) | junk,
})
message_type = st.sampled_from(["text", "button", "interactive", "image", "document",
                                "system", "reaction"])
message_item = st.fixed_dictionaries({
    "id": ids, "from": st.sampled_from(["51987654321", "", *INJECTIONS]) | odd,
    "type": message_type | junk,
}, optional={
    "timestamp": odd, "context": st.fixed_dictionaries({"id": ids}) | junk,
    "text": st.fixed_dictionaries({"body": odd}) | junk,
    "button": st.fixed_dictionaries({}, optional={"text": odd, "payload": odd}) | junk,
    "interactive": st.fixed_dictionaries({}, optional={
        "button_reply": st.fixed_dictionaries({}, optional={"id": odd, "title": odd}) | junk,
        "list_reply": junk}) | junk,
    "image": st.fixed_dictionaries({}, optional={"id": odd, "mime_type": odd,
                                                 "caption": odd}) | junk,
    "document": junk,
    "system": st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["user_changed_number", "user_changed_user_id"]) | odd,
        "wa_id": odd, "new_wa_id": odd, "body": odd}) | junk,
    "reaction": st.fixed_dictionaries({}, optional={"message_id": ids, "emoji": odd}) | junk,
    "group_id": odd,
})
# Mostly the test account's number (events for a number nobody has are only ignored).
metadata = st.just({"display_phone_number": "15550100", "phone_number_id": "PNID1"}) | junk
change_value = st.fixed_dictionaries({}, optional={
    "metadata": metadata, "statuses": st.lists(status_item, max_size=3) | junk,
    "messages": st.lists(message_item, max_size=2) | junk,
    "contacts": st.lists(st.fixed_dictionaries({}, optional={
        "wa_id": odd, "profile": st.fixed_dictionaries({}, optional={"name": odd}) | junk}),
        max_size=2) | junk,
    "event": odd, "message_template_id": odd, "message_template_name": odd,
    "new_quality_score": odd, "new_category": odd, "reason": odd,
})
# The envelope is Meta's (the signature is right); everything inside it may be wrong.
meta_bodies = st.fixed_dictionaries({
    "object": st.just("whatsapp_business_account"),
    "entry": st.lists(st.fixed_dictionaries({"id": st.just("WABA1") | odd, "changes": st.lists(
        st.fixed_dictionaries({
            "field": st.sampled_from(["messages", "messages", "message_template_status_update",
                                      "message_template_quality_update",
                                      "template_category_update"]) | junk,
            "value": change_value | junk,
        }), min_size=1, max_size=2) | junk}, optional={"time": odd}), min_size=1, max_size=2),
})
# A valid notice, then up to two of its fields missing or replaced by the wrong thing.
NOTICE_KEYS = ["id", "invoice", "amount", "currency", "date", "reference", "journal", "payer"]
valid_notice = st.fixed_dictionaries({
    "id": st.sampled_from(["evt-fuzz", "evt-\u00f1-2"]),
    "invoice": st.sampled_from(["@INVOICE@", ["@INVOICE@"]]),
    "amount": st.sampled_from(["100", "300.00", 300, 0.5]),
    "currency": st.just("@CURRENCY@"),
    "date": st.sampled_from(["2026-11-18", "20261118"]),
}, optional={"reference": st.just("OP-1"), "journal": st.sampled_from(["BNK1", "NOPE"]),
             "payer": st.just({"name": "María", "phone": "+51987654321"})})
wrong_values = st.sampled_from(["", "x" * 300, "INV/1999/99999", ["@INVOICE@"] * 2, "1e400",
                                "NaN", "-5", "0.0000001", "301", "PEN", "usd", "2026-13-45",
                                {"name": None}]) | odd
pay_bodies = st.builds(
    lambda notice, wrong, missing: {key: value for key, value in {**notice, **wrong}.items()
                                    if key not in missing},
    valid_notice,
    st.dictionaries(st.sampled_from(NOTICE_KEYS), wrong_values, max_size=2),
    st.sets(st.sampled_from(NOTICE_KEYS), max_size=1),
)


def pay_signature(secret, raw):
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def storable(value):
    """What PostgreSQL accepts in a text column, and an INTEGER in an integer one."""
    if isinstance(value, str):
        value.encode("utf-8")  # raises on a lone surrogate
        return "\x00" not in value
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):  # error codes (INTEGER) and Unix times (read as dates)
        return -(2**31) < value <= meta_api.MAX_TIMESTAMP
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(item) for item in value)
    return not isinstance(value, float)


@tagged("post_install", "-at_install")
class TestHostileParsing(BaseCase):
    """The pure parsers, without a database: whatever the JSON, they either refuse it with
    their own error or return values PostgreSQL can store."""

    @settings(FUZZ, max_examples=300)
    @given(body=meta_bodies)
    def test_meta_events_are_storable(self, body):
        body = json.loads(json.dumps(body))  # what the controller sees: JSON, not Python
        events = meta_api.parse_webhook(body)
        for event in events:
            self.assertTrue(storable(event), event)
            self.assertGreaterEqual(event.get("timestamp", 0), 0)
            for error in event.get("errors", []):
                self.assertLess(abs(error["code"]), 2**31)

    @settings(FUZZ, max_examples=300)
    @given(body=pay_bodies)
    def test_payment_notices_are_refused_or_storable(self, body):
        body = json.loads(json.dumps(body))
        try:
            notice = payment_notice.parse_notification(body)
        except payment_notice.NoticeError:
            return
        self.assertTrue(storable({k: v for k, v in notice.items()
                                  if k not in ("amount", "date")}), notice)
        self.assertGreater(notice["amount"], 0)

    def test_signature_headers_that_are_not_ascii(self):
        raw = b'{"object": "whatsapp_business_account", "entry": []}'
        for header in ("sha256=\u00e9", "sha256=" + "\u00ff" * 64, "\u00e9"):
            self.assertFalse(meta_api.verify_signature(APP_SECRET, raw, header))
        self.assertTrue(meta_api.verify_signature(
            APP_SECRET, raw, meta_api.compute_signature(APP_SECRET, raw)))


class HostileHttpCommon(CobranzaCommon, HttpCase):
    """Both webhooks with known secrets, and one WhatsApp reminder already at Meta."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wa_account.sudo().write({"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN})
        cls.company.sudo().cobranza_payment_webhook_secret = PAY_SECRET
        cls.move = cls._invoice(cls.customer, 300.0, days_overdue=4)
        cls.env["cobranza.cadence"]._run(cls.company, today=NOW.date(), now=NOW)
        cls.message = cls.env["cobranza.message"].search([("partner_id", "=", cls.customer.id)])
        cls.message._set_sending()
        cls.message._set_sent(WAMID, sent_at=NOW)

    def post_meta(self, raw, signature=True, headers=None):
        raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
        headers = dict({"Content-Type": "application/json"}, **(headers or {}))
        if signature is True:
            headers["X-Hub-Signature-256"] = meta_api.compute_signature(APP_SECRET, raw)
        elif signature:
            headers["X-Hub-Signature-256"] = signature
        response = self.url_open(META_URL, data=raw, headers=headers, timeout=30, method="POST")
        self.env.invalidate_all()
        self.process_received()
        return response

    def process_received(self):
        """The processing cron's run, which the webhook's answer leaves the work to."""
        self.env["cobranza.webhook.event"]._process_received()
        self.env.invalidate_all()

    def post_pay(self, raw, signature=True):
        raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
        headers = {"Content-Type": "application/json"}
        if signature is True:
            headers["X-Cobranza-Signature"] = pay_signature(PAY_SECRET, raw)
        elif signature:
            headers["X-Cobranza-Signature"] = signature
        response = self.url_open(PAY_URL, data=raw, headers=headers, timeout=30, method="POST")
        self.env.invalidate_all()
        return response

    @contextlib.contextmanager
    def isolated(self):
        """Each fuzzed request starts from the same database (Hypothesis replays them)."""
        with contextlib.closing(self.env.cr.savepoint()):
            yield
        self.env.invalidate_all()

    def snapshot(self):
        self.env.invalidate_all()
        return {
            "message": self.message.read(["state", "wamid", "sent_at", "delivered_at",
                                          "read_at", "error_code", "body"])[0],
            "event": self.env["cobranza.webhook.event"].search([], limit=1).id or 0,
            "inbound": self.env["cobranza.message"].search(
                [("direction", "=", "in")], limit=1, order="id desc").id or 0,
            "notification": self.env["cobranza.payment.notification"].search(
                [], limit=1).id or 0,
            "payments": self.env["account.payment"].search_count([]),
            "residual": self.move.amount_residual,
        }

    def new_events(self, before):
        return self.env["cobranza.webhook.event"].search([("id", ">", before["event"])])

    def new_notifications(self, before):
        return self.env["cobranza.payment.notification"].search(
            [("id", ">", before["notification"])])

    def assert_meta_refused_cleanly(self, response, before):
        self.assertLess(response.status_code, 500, response.text[:300])
        self.assertGreaterEqual(response.status_code, 400)
        self.assertFalse(self.new_events(before), "a refused webhook stores nothing")
        self.assertEqual(self.snapshot()["message"], before["message"])

    def assert_meta_accepted_cleanly(self, response, before):
        """What was stored is complete and was processed; the reminder only moved forward."""
        self.assertEqual(response.status_code, 200, response.text[:300])
        answer = response.json()
        events = self.new_events(before)
        self.assertEqual(len(events), answer["new"])
        for event in events:
            self.assertTrue(event.key and event.kind and event.account_id)
            self.assertEqual(json.loads(event.payload)["kind"], event.kind)
            self.assertIn(event.state, ("done", "waiting"), event.error)
        after = self.snapshot()["message"]
        if after["state"] != before["message"]["state"]:
            self.assertTrue(can_move(before["message"]["state"], after["state"]),
                            f"{before['message']['state']} -> {after['state']}")
        self.assertEqual(after["wamid"], WAMID)
        inbound = self.env["cobranza.message"].search(
            [("direction", "=", "in"), ("id", ">", before["inbound"])])
        for message in inbound:
            self.assertEqual(message.state, "received")
            self.assertTrue(message.partner_id and message.company_id == self.company)


@tagged("post_install", "-at_install")
class TestHostileWebhooks(HostileHttpCommon):

    # --- Meta's webhook ---------------------------------------------------------------

    @FUZZ
    @given(body=meta_bodies)
    def test_meta_fuzzed_shapes_signed(self, body):
        with self.isolated():
            before = self.snapshot()
            response = self.post_meta(json.dumps(body).encode())
            if response.status_code == 200:
                self.assert_meta_accepted_cleanly(response, before)
            else:
                self.assert_meta_refused_cleanly(response, before)

    @FUZZ
    @given(raw=st.binary(max_size=600), signed=st.booleans())
    def test_meta_random_bytes(self, raw, signed):
        with self.isolated():
            before = self.snapshot()
            response = self.post_meta(raw, signature=signed)
            if signed:
                self.assertIn(response.status_code, (200, 400), response.text[:300])
                if response.status_code == 200:
                    self.assert_meta_accepted_cleanly(response, before)
                    return
            else:
                self.assertEqual(response.status_code, 401)
            self.assert_meta_refused_cleanly(response, before)

    def test_meta_explicit_malformed_requests(self):
        """Oversized, not UTF-8, deeply nested, forged, unsigned: refused, nothing stored."""
        before = self.snapshot()
        read = graph_mock.status_payload([graph_mock.status_item(WAMID, "read")])
        raw = json.dumps(read).encode()
        cases = {
            "10 MB": (b'{"object": "' + b"x" * (10 * 1024 * 1024) + b'"}', True, 413),
            "invalid UTF-8": (b'{"object": "\xff\xfe\xfa"}', True, 400),
            "deeply nested": (b"[" * 100000 + b"]" * 100000, True, 400),
            "forged": (raw, meta_api.compute_signature("not-the-secret", raw), 401),
            "missing signature": (raw, False, 401),
            "empty signature": (raw, "sha256=", 401),
            "non-ASCII signature": (raw, b"sha256=\xe9\xe9", 401),
            "signature of another body": (
                raw, meta_api.compute_signature(APP_SECRET, raw + b" "), 401),
        }
        for name, (body, signature, status) in cases.items():
            with self.subTest(name):
                response = self.post_meta(body, signature=signature)
                self.assertEqual(response.status_code, status, response.text[:200])
                self.assert_meta_refused_cleanly(response, before)

    def test_meta_odd_but_signed_values_are_stored_complete(self):
        """Meta-shaped events with values Meta never sends: a NUL, a lone surrogate,
        timestamps out of any calendar, huge error codes. Accepted, stored, processed."""
        before = self.snapshot()
        statuses = [
            dict(graph_mock.status_item(WAMID, "delivered"), timestamp=10**20),
            dict(graph_mock.status_item(WAMID, "read"), timestamp=float("inf")),
            graph_mock.status_item("wamid.\x00NUL", "read"),
            graph_mock.status_item("wamid.\ud800", "delivered"),
            dict(graph_mock.status_item("wamid.NOPE", "sent"),
                 biz_opaque_callback_data="cobranza:99999999999999999999"),
            graph_mock.status_item("wamid.CODE", "failed", errors=[{"code": 2**40}]),
        ]
        inbound = graph_mock.inbound_text_payload("51987654321", "hola\x00 \ud800 mundo",
                                                  name="Ana\x00")
        inbound["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "-1e300"
        body = graph_mock.status_payload(statuses)
        body["entry"].append(inbound["entry"][0])
        response = self.post_meta(json.dumps(body).encode())
        self.assert_meta_accepted_cleanly(response, before)
        self.assertEqual(response.json()["new"], 7)
        self.assertEqual(self.message.state, "read")
        self.assertTrue(NOW <= self.message.read_at)
        reply = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual(reply.partner_id, self.customer)
        self.assertNotIn("\x00", reply.body)

    def test_meta_replay_changes_nothing(self):
        body = graph_mock.status_payload([graph_mock.status_item(WAMID, "delivered")])
        body["entry"].append(graph_mock.inbound_text_payload(
            "51987654321", "gracias", context_id=WAMID)["entry"][0])
        raw = json.dumps(body).encode()
        first = self.post_meta(raw)
        self.assertEqual(first.json()["new"], 2)
        state = self.snapshot()
        second = self.post_meta(raw)
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.json()["new"], 0)
        self.assertEqual(self.snapshot(), state, "the replay changes nothing")

    def test_meta_verification_refuses_odd_tokens(self):
        for token in ("\u00e9\u00e9", "x" * 5000, "", VERIFY_TOKEN + "x"):
            with self.subTest(token=token[:10]):
                response = self.url_open(META_URL, params={
                    "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"})
                self.assertEqual(response.status_code, 403)

    # --- the payment webhook ----------------------------------------------------------

    def assert_pay_refused_cleanly(self, response, before):
        self.assertLess(response.status_code, 500, response.text[:300])
        self.assertGreaterEqual(response.status_code, 400)
        self.assertFalse(self.new_notifications(before), "a refused notice stores nothing")
        self.assertEqual(self.snapshot()["payments"], before["payments"])
        self.assertEqual(self.move.amount_residual, before["residual"])

    def assert_pay_accepted_cleanly(self, response, before):
        self.assertEqual(response.status_code, 200, response.text[:300])
        answer = response.json()
        notification = self.new_notifications(before)
        self.assertEqual(len(notification), 1)
        self.assertEqual(notification.external_id, answer["id"])
        self.assertIn(notification.state, ("reconciled", "partial", "exception"))
        self.assertEqual(answer["result"], notification.state)
        self.assertTrue(notification.sudo().payload)
        paid = self.snapshot()["payments"] - before["payments"]
        self.assertEqual(paid, 1 if notification.state != "exception" else 0)
        if notification.state == "exception":
            self.assertTrue(notification.reason)
            self.assertEqual(self.move.amount_residual, before["residual"])

    @FUZZ
    @given(body=pay_bodies)
    def test_payment_fuzzed_shapes_signed(self, body):
        real = {"@INVOICE@": self.move.name, "@CURRENCY@": self.move.currency_id.name}

        def fill(value):
            if isinstance(value, list):
                return [fill(item) for item in value]
            return real.get(value, value) if isinstance(value, str) else value

        body = {key: fill(value) for key, value in body.items()}
        with self.isolated():
            before = self.snapshot()
            response = self.post_pay(json.dumps(body).encode())
            if response.status_code == 200:
                self.assert_pay_accepted_cleanly(response, before)
            else:
                self.assertEqual(response.status_code, 400, response.text[:300])
                self.assertTrue(response.json()["error"])
                self.assert_pay_refused_cleanly(response, before)

    @FUZZ
    @given(raw=st.binary(max_size=600), signed=st.booleans())
    def test_payment_random_bytes(self, raw, signed):
        with self.isolated():
            before = self.snapshot()
            response = self.post_pay(raw, signature=signed)
            self.assertEqual(response.status_code, 400 if signed else 401, response.text[:300])
            self.assert_pay_refused_cleanly(response, before)

    def notice(self, **values):
        return dict({"id": "evt-hostile", "invoice": self.move.name, "amount": "300.00",
                     "currency": self.move.currency_id.name, "date": NOW.date().isoformat(),
                     "reference": "OP-1", "payer": {"name": "María", "phone": "+51987654321"}},
                    **values)

    def test_payment_explicit_malformed_requests(self):
        before = self.snapshot()
        raw = json.dumps(self.notice()).encode()
        utf16 = json.dumps(self.notice()).encode("utf-16")
        cases = {
            "10 MB": (b'{"id": "' + b"x" * (10 * 1024 * 1024) + b'"}', True, 413),
            "invalid UTF-8": (b'{"id": "\xff\xfe"}', True, 400),
            "UTF-16": (utf16, True, 400),
            "deeply nested": (b"[" * 100000 + b"]" * 100000, True, 400),
            "NUL in the id": (json.dumps(self.notice(id="evt\x00")).encode(), True, 400),
            "lone surrogate": (json.dumps(self.notice(reference="\ud800")).encode(), True, 400),
            "NUL in an invoice": (json.dumps(self.notice(invoice=["A\x00"])).encode(), True, 400),
            "forged": (raw, pay_signature("not-the-secret", raw), 401),
            "missing signature": (raw, False, 401),
            "non-ASCII signature": (raw, b"sha256=\xe9", 401),
        }
        for name, (body, signature, status) in cases.items():
            with self.subTest(name):
                response = self.post_pay(body, signature=signature)
                self.assertEqual(response.status_code, status, response.text[:200])
                self.assert_pay_refused_cleanly(response, before)

    def test_payment_replay_pays_once(self):
        raw = json.dumps(self.notice(amount="100")).encode()
        first = self.post_pay(raw)
        self.assertEqual(first.json()["result"], "partial")
        state = self.snapshot()
        second = self.post_pay(raw)
        self.assertEqual(second.json()["result"], "duplicate")
        self.assertEqual(self.snapshot(), state)
        self.assertAlmostEqual(self.move.amount_residual, 200.0)


@tagged("post_install", "-at_install")
class TestHostileText(LiveAccountCommon, HttpCase):
    """Customer text that looks like code stays text: in Meta's payload, the chatter, the
    activities and the payment notices."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wa_account.sudo().write({"app_secret": APP_SECRET})
        cls.company.cobranza_pdf_mode = "link"  # no PDF rendering: the values are the point
        cls.company.sudo().cobranza_payment_webhook_secret = PAY_SECRET

    def post_meta(self, payload):
        """Meta's delivery, then the processing cron's run that the answer leaves it to."""
        raw = json.dumps(payload).encode()
        response = self.url_open(META_URL, data=raw, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_api.compute_signature(APP_SECRET, raw)})
        self.env.invalidate_all()
        self.env["cobranza.webhook.event"]._process_received()
        self.env.invalidate_all()
        return response

    def chatter(self, record):
        return [str(m.body) for m in record.message_ids if m.body]

    def assert_escaped(self, bodies, text):
        """The text shows as typed (it is in the notes' text), and never as markup."""
        self.assertTrue(any(text in lxml.html.fromstring(body).text_content()
                            for body in bodies), bodies)
        for body in bodies:
            self.assertNotIn("<script", body)
            self.assertNotIn("<t ", body)

    def test_template_values_are_sent_literally(self):
        phones = iter(f"+51 987 654 3{i:02d}" for i in range(10, 99))
        partners = {text: self._customer(text, next(phones), self.pe) for text in INJECTIONS}
        moves = {text: self._invoice(partner, 100.0, days_overdue=4)
                 for text, partner in partners.items()}
        self.run_cadence()
        self.env["cobranza.message"]._process_queue(now=NOW)
        sent = {payload["to"]: payload for payload in self.mock.sent_messages()}
        self.assertEqual(len(sent), len(INJECTIONS))
        for text, partner in partners.items():
            with self.subTest(text):
                message = self.messages_for(partner)
                self.assertEqual(message.state, "sent", message.error_message)
                payload = sent[partner.cobranza_whatsapp_number.lstrip("+")]
                body = next(c for c in payload["template"]["components"]
                            if c["type"] == "body")
                self.assertEqual(body["parameters"][0], {"type": "text", "text": text})
                self.assertIn(text, message.body, "the stored copy is literal too")
                self.assert_escaped(self.chatter(moves[text]), text)
        self.assertEqual(self.env["res.partner"].search_count(
            [("id", "in", [p.id for p in partners.values()])]), len(INJECTIONS))

    def test_garbage_phones_are_refused_with_a_warning(self):
        for text in [*INJECTIONS, "Cel: casa", "+", "00000000000000000000000000000000"]:
            with self.subTest(text):
                partner = self._customer("Ana Hostil", text, self.pe)
                self.assertFalse(partner.cobranza_whatsapp_number)
                self.assertTrue(partner.cobranza_phone_warning)
                self.assertRegex(partner.cobranza_phone_warning, "number|phone")
        # A real number wrapped in markup is read as the number alone, never the markup.
        partner = self._customer("Ana Hostil", "<b>+51 987 654 399</b><script>", self.pe)
        self.assertEqual(partner.cobranza_whatsapp_number, "+51987654399")

    def test_garbage_phone_gets_the_fallback_not_whatsapp(self):
        partner = self._customer("Ana Hostil", "'; DROP TABLE res_partner; --", self.pe)
        self._invoice(partner, 100.0, days_overdue=4)
        self.run_cadence()
        self.assertNotIn("whatsapp", self.messages_for(partner).mapped("channel"))

    def test_inbound_text_and_profile_name_stay_text(self):
        for index, text in enumerate(INJECTIONS):
            with self.subTest(text):
                wa_id = f"5198700{index:04d}"
                response = self.post_meta(graph_mock.inbound_text_payload(wa_id, text,
                                                                          name=text))
                self.assertEqual(response.status_code, 200)
                inbound = self.env["cobranza.message"].search(
                    [("direction", "=", "in"), ("wa_id", "=", wa_id)])
                self.assertEqual(inbound.body, text)
                partner = inbound.partner_id
                self.assertEqual(partner.name, text, "a stranger's profile name, as typed")
                self.assert_escaped(self.chatter(partner), text)
                notes = [str(a.note) for a in partner.activity_ids]
                self.assertFalse([n for n in notes if "<script" in n or "<t " in n])
                if partner.activity_ids:  # handed to a person: the note quotes the reply
                    shown = " ".join(lxml.html.fromstring(n).text_content() for n in notes)
                    self.assertIn(text, shown, "the collector reads what the customer wrote")

    def test_inbound_sender_that_is_not_a_number(self):
        for text in INJECTIONS:
            with self.subTest(text):
                response = self.post_meta(graph_mock.inbound_text_payload(text, "hola"))
                self.assertEqual(response.status_code, 200)
                event = self.env["cobranza.webhook.event"].search([], limit=1)
                self.assertEqual(event.state, "done", event.error)
                partner = self.env["cobranza.message"].search(
                    [("direction", "=", "in")], limit=1).partner_id
                self.assertFalse(partner.cobranza_whatsapp_number)
                self.assertTrue(partner.cobranza_phone_warning)

    def test_collector_reply_is_text(self):
        self.customer.sudo().cobranza_window_until = "2999-01-01 00:00:00"
        text = INJECTIONS[0] + " " + INJECTIONS[2]
        self.env["cobranza.message.reply"].with_user(self.collector).create({
            "partner_id": self.customer.id, "body": text}).action_send()
        self.env["cobranza.message"]._process_queue()  # the send cron posts what was queued
        message = self.messages_for(self.customer)
        self.assertEqual((message.state, message.body), ("sent", text))
        self.assertEqual(self.mock.sent_messages()[0]["text"]["body"], text)
        self.assert_escaped(self.chatter(self.customer), text)

    def test_payment_notice_text_stays_text(self):
        move = self._invoice(self.customer, 100.0, days_overdue=4)
        for index, text in enumerate(INJECTIONS):
            with self.subTest(text):
                body = {"id": f"evt-inj-{index}", "invoice": [move.name, text[:128]],
                        "amount": "10", "currency": move.currency_id.name,
                        "date": NOW.date().isoformat(), "reference": text,
                        "payer": {"name": text, "phone": text[:64], "document": text[:64]}}
                raw = json.dumps(body).encode()
                response = self.url_open(PAY_URL, data=raw, headers={
                    "Content-Type": "application/json",
                    "X-Cobranza-Signature": pay_signature(PAY_SECRET, raw)})
                self.assertEqual(response.status_code, 200, response.text[:300])
                self.assertEqual(response.json()["result"], "exception")
                notification = self.env["cobranza.payment.notification"].search(
                    [("external_id", "=", f"evt-inj-{index}")])
                self.assertEqual((notification.reference, notification.payer_name),
                                 (text, text))
                self.assertIn(text[:128], notification.reason)
                notes = [str(a.note) for a in notification.activity_ids]
                self.assertTrue(notes)
                self.assertFalse([n for n in notes if "<script" in n or "<t " in n])
        self.assertEqual(move.payment_state, "not_paid")


class _Capture(logging.Handler):
    """Every record, formatted with its traceback, except the test client's own: while
    the test plays Meta or a bank, urllib3 logs the URL the *sender* requested."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines = []
        self.sender_thread = None

    def emit(self, record):
        if record.thread == self.sender_thread and record.name.startswith("urllib3"):
            return
        self.lines.append(self.format(record))


@tagged("post_install", "-at_install")
class TestSecretsStayOutOfLogs(LiveAccountCommon, HttpCase):
    """Every log line of the paths that handle credentials and customers' numbers."""

    TOKEN = "EAAGhostileACCESStoken8c61"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wa_account.sudo().write({"access_token": cls.TOKEN, "app_secret": APP_SECRET,
                                     "verify_token": VERIFY_TOKEN})
        cls.company.cobranza_pdf_mode = "link"
        cls.company.sudo().cobranza_payment_webhook_secret = PAY_SECRET
        cls.secrets = [cls.TOKEN, APP_SECRET, VERIFY_TOKEN, PAY_SECRET]
        # The customer's number however it could be written: E.164, Meta's wa_id, national.
        cls.phone_forms = ["51987654321", "987654321", "987 654 321"]

    @contextlib.contextmanager
    def captured_logs(self):
        """Everything logged, down to DEBUG, except the SQL trace (Odoo's --log-sql, which
        shows every query's values and is never on in production)."""
        self.capture = handler = _Capture()
        sql = logging.getLogger("odoo.sql_db")
        loggers = [logging.getLogger(), sql] + [
            logger for logger in logging.root.manager.loggerDict.values()
            if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET]
        levels = [(logger, logger.level) for logger in loggers]
        sql_level = max(sql.getEffectiveLevel(), logging.INFO)
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        sql.setLevel(sql_level)
        logging.getLogger().addHandler(handler)
        try:
            yield handler.lines
        finally:
            logging.getLogger().removeHandler(handler)
            for logger, level in levels:
                logger.setLevel(level)

    def send(self, url, raw=None, signature_header=None, signature=None, params=None):
        """A request from Meta or a bank (whose own client logs are not the server's)."""
        headers = {"Content-Type": "application/json"}
        if signature_header:
            headers[signature_header] = signature
        self.capture.sender_thread = threading.get_ident()
        try:
            response = self.url_open(url, data=raw, headers=headers, params=params,
                                     method="POST" if raw else "GET")
        finally:
            self.capture.sender_thread = None
        self.env.invalidate_all()
        return response

    def assert_clean(self, lines):
        self.assertTrue(lines, "the capture works: these paths do log")
        for line in lines:
            for secret in self.secrets:
                self.assertNotIn(secret, line)
            for form in self.phone_forms:
                self.assertNotIn(form, line)

    def test_refused_webhooks_and_handshake_log_no_secret(self):
        raw = json.dumps(graph_mock.inbound_text_payload("51987654321", "hola")).encode()
        with self.captured_logs() as lines:
            response = self.send(META_URL, raw, "X-Hub-Signature-256",
                                 meta_api.compute_signature("forged", raw))
            self.assertEqual(response.status_code, 401)
            response = self.send(PAY_URL, raw, "X-Cobranza-Signature",
                                 pay_signature("forged", raw))
            self.assertEqual(response.status_code, 401)
            for token, status in ((VERIFY_TOKEN, 200), ("wrong", 403)):
                response = self.send(META_URL, params={
                    "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "7"})
                self.assertEqual(response.status_code, status)
        self.assertTrue(any("signature" in line for line in lines))
        self.assertTrue(any("hub.verify_token=***" in line for line in lines),
                        "the access log still shows the handshake, token masked")
        self.assert_clean(lines)

    def test_expired_token_send_logs_no_secret(self):
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer).filtered(lambda m: m.move_ids == move)
        message.scheduled_at = NOW
        self.mock.fail_next(1, http_status=401, code=190,
                            message="Error validating access token: Session has expired")
        with self.captured_logs() as lines:
            self.env["cobranza.message"]._process_queue(now=NOW)
        self.assertEqual(self.wa_account.state, "stopped")
        self.assertEqual(message.state, "queued")
        self.assertEqual(self.mock.requests[-1]["headers"]["Authorization"],
                         f"Bearer {self.TOKEN}", "the token did go to Meta, and only there")
        self.assertTrue(any("stopped" in line for line in lines))
        self.assert_clean(lines)

    def test_received_reply_and_payment_log_no_secret(self):
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        reply = graph_mock.inbound_text_payload("51987654321", "ya pagué, mi número es "
                                                "987654321")
        media = graph_mock.inbound_media_payload("51987654321", "missing", caption="voucher")
        notice = {"id": "evt-log", "invoice": [move.name, "INV/0/0"], "amount": "10",
                  "currency": move.currency_id.name, "date": NOW.date().isoformat(),
                  "payer": {"name": "María", "phone": "+51 987 654 321"}}
        with self.captured_logs() as lines:
            for payload in (reply, media):
                raw = json.dumps(payload).encode()
                response = self.send(META_URL, raw, "X-Hub-Signature-256",
                                     meta_api.compute_signature(APP_SECRET, raw))
                self.assertEqual(response.status_code, 200)
            # The processing cron reads them (and tries the download) after the answer.
            self.env["cobranza.webhook.event"]._process_received()
            self.env.invalidate_all()
            raw = json.dumps(notice).encode()
            response = self.send(PAY_URL, raw, "X-Cobranza-Signature",
                                 pay_signature(PAY_SECRET, raw))
            self.assertEqual(response.json()["result"], "exception")
        self.assertEqual(len(self.env["cobranza.message"].search([("direction", "=", "in")])),
                         2)
        self.assertTrue(any("could not be downloaded" in line for line in lines))
        self.assert_clean(lines)
