"""Meta payloads, errors, signatures and webhook parsing, without a database."""

import json

from odoo.addons.cobranza_whatsapp.tools import meta_api
from odoo.tests import BaseCase, tagged

from . import graph_mock


@tagged("post_install", "-at_install")
class TestPayloads(BaseCase):
    def test_template_payload_is_metas_shape(self):
        payload = meta_api.build_template_payload(
            "51987654321", "recordatorio_vencida", "es", ["María", "S/ 1,250.00"],
            header_document={"id": "4490", "filename": "INV_2026_00042.pdf"},
            url_button_suffix="my/invoices/42?access_token=abc", url_button_index=0,
            quick_replies=[(1, "PAID:INV/2026/00042")], callback_data="cobranza:7")
        self.assertEqual(payload, {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": "51987654321", "type": "template", "biz_opaque_callback_data": "cobranza:7",
            "template": {"name": "recordatorio_vencida", "language": {"code": "es"},
                         "components": [
                             {"type": "header", "parameters": [{"type": "document", "document": {
                                 "id": "4490", "filename": "INV_2026_00042.pdf"}}]},
                             {"type": "body", "parameters": [
                                 {"type": "text", "text": "María"},
                                 {"type": "text", "text": "S/ 1,250.00"}]},
                             {"type": "button", "sub_type": "url", "index": "0", "parameters": [
                                 {"type": "text", "text": "my/invoices/42?access_token=abc"}]},
                             {"type": "button", "sub_type": "quick_reply", "index": "1",
                              "parameters": [{"type": "payload",
                                              "payload": "PAID:INV/2026/00042"}]}]}})

    def test_named_parameters_and_text_limit(self):
        payload = meta_api.build_template_payload("1", "t", "es", ["Ana"], named_params=["name"])
        self.assertEqual(payload["template"]["components"][0]["parameters"][0]["parameter_name"],
                         "name")
        with self.assertRaises(ValueError):
            meta_api.build_text_payload("1", "x" * 4097)

    def test_param_checks_and_template_names(self):
        self.assertEqual(meta_api.check_param("  María ", "name"), "María")
        for bad in ("", "a\nb", "x" * 1025, "a     b"):
            with self.assertRaises(ValueError):
                meta_api.check_param(bad, "name")
        meta_api.validate_template_name("recordatorio_vencida_2")
        for bad in ("Recordatorio", "con espacio", "", "x" * 513):
            with self.assertRaises(ValueError):
                meta_api.validate_template_name(bad)


@tagged("post_install", "-at_install")
class TestErrors(BaseCase):
    def test_classification(self):
        for code in (130429, 131056, 131000, 131016, 131057, 80007, 4, 2, 2494100, 133004):
            self.assertEqual(meta_api.classify_error(code, 400), meta_api.RETRY, code)
        for code in (131026, 131047, 132000, 132001, 132005, 132007, 132012, 131050, 100):
            self.assertEqual(meta_api.classify_error(code, 400), meta_api.PERMANENT, code)
        for code in (190, 368, 0, 3, 10, 299, 131005, 33, 131037, 131045, 133010):
            self.assertEqual(meta_api.classify_error(code, 401), meta_api.ACCOUNT, code)
        self.assertEqual(meta_api.classify_error(None, 503), meta_api.RETRY)
        self.assertEqual(meta_api.classify_error(None, 429), meta_api.RETRY)

    def test_parse_error_and_reason(self):
        error = meta_api.parse_error(400, {"error": {
            "message": "(#131026) Message undeliverable", "type": "OAuthException",
            "code": 131026, "error_data": {"details": "Message Undeliverable."},
            "fbtrace_id": "Az8"}})
        self.assertEqual((error.code, error.kind), (131026, meta_api.PERMANENT))
        self.assertIn("cannot receive WhatsApp", str(error))
        self.assertEqual(meta_api.parse_error(502, None).kind, meta_api.RETRY)

    def test_backoff_grows_and_is_capped(self):
        delays = [meta_api.backoff_seconds(n) for n in range(1, 10)]
        self.assertEqual(delays[:3], [30, 60, 120])
        self.assertEqual(max(delays), 3600)

    def test_send_response(self):
        self.assertEqual(meta_api.parse_send_response({
            "messaging_product": "whatsapp", "contacts": [{"input": "5215512345678",
                                                           "wa_id": "5215512345678"}],
            "messages": [{"id": "wamid.X", "message_status": "accepted"}]})["wamid"], "wamid.X")
        with self.assertRaises(meta_api.MetaError):
            meta_api.parse_send_response({"contacts": []})


@tagged("post_install", "-at_install")
class TestSignatures(BaseCase):
    def test_verify(self):
        body = b'{"object":"whatsapp_business_account"}'
        good = meta_api.compute_signature("secret", body)
        self.assertTrue(meta_api.verify_signature("secret", body, good))
        self.assertFalse(meta_api.verify_signature("other", body, good))
        self.assertFalse(meta_api.verify_signature("secret", body + b" ", good))
        for header in (None, "", "sha1=" + good[7:], good[7:]):
            self.assertFalse(meta_api.verify_signature("secret", body, header))
        self.assertFalse(meta_api.verify_signature("", body, good))


@tagged("post_install", "-at_install")
class TestParseWebhook(BaseCase):
    def test_batches_of_every_kind(self):
        statuses = graph_mock.status_payload([
            graph_mock.status_item("wamid.A", "delivered", 10),
            graph_mock.status_item("wamid.A", "failed", 11, errors=[{
                "code": 131026, "title": "Undeliverable", "error_data": {"details": "x"}}]),
        ])
        inbound = graph_mock.inbound_button_payload("51987654321", "Ya pagué", "PAID:INV/1",
                                                    "wamid.A")
        statuses["entry"].extend(inbound["entry"])
        statuses["entry"].extend(graph_mock.template_status_payload(
            "123", "recordatorio_vencida", "PAUSED", reason="LOW_QUALITY")["entry"])
        events = meta_api.parse_webhook(statuses)
        kinds = [e["kind"] for e in events]
        self.assertEqual(kinds, ["status", "status", "message", "template_status"])
        self.assertEqual(events[1]["errors"][0]["code"], 131026)
        self.assertNotEqual(events[0]["key"], events[1]["key"])
        self.assertEqual(events[2]["payload"], "PAID:INV/1")
        self.assertEqual(events[2]["context_id"], "wamid.A")
        self.assertEqual(events[2]["profile_name"], "María Quispe")
        self.assertEqual(events[3]["event"], "PAUSED")

    def test_inbound_types(self):
        text = meta_api.parse_webhook(graph_mock.inbound_text_payload("51", "hola"))[0]
        self.assertEqual((text["type"], text["text"]), ("text", "hola"))
        reply = meta_api.parse_webhook(
            graph_mock.inbound_interactive_payload("51", "PLAN", "Plan", kind="list_reply"))[0]
        self.assertEqual((reply["payload"], reply["text"]), ("PLAN", "Plan"))
        media = meta_api.parse_webhook(graph_mock.inbound_media_payload(
            "51", "M1", kind="document", mime_type="application/pdf", filename="v.pdf",
            caption="voucher"))[0]
        self.assertEqual(media["media"]["filename"], "v.pdf")
        self.assertEqual(media["text"], "voucher")

    def test_garbage_never_raises_anything_but_envelope_error(self):
        garbage = [None, 1, "x", [], {}, {"object": "page"}, {"object":
                   "whatsapp_business_account"}, {"object": "whatsapp_business_account",
                   "entry": "x"}]
        for body in garbage:
            with self.assertRaises(meta_api.EnvelopeError):
                meta_api.parse_webhook(body)
        odd = {"object": "whatsapp_business_account", "entry": [
            None, 3, {"changes": None}, {"changes": [None, {"field": "messages", "value": {
                "statuses": [None, {"id": "w"}, {"status": "read"}, {"id": "w", "status": "read",
                                                                     "timestamp": "nope"}],
                "messages": [{"id": "m", "type": "text", "text": "not a dict"}],
                "contacts": "x"}}]}]}
        events = meta_api.parse_webhook(json.loads(json.dumps(odd)))
        self.assertEqual([e["kind"] for e in events], ["status", "message"])
        huge = graph_mock.inbound_text_payload("51", "x" * 1_000_000)
        self.assertLessEqual(len(meta_api.parse_webhook(huge)[0]["text"]), 4096)
