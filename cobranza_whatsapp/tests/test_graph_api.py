"""The Graph API client, with Meta faked at the ``requests`` level (no database)."""

import json
from unittest.mock import patch

import requests

from odoo.tests import BaseCase, tagged

from ..tools import graph_api, meta_api


class _Response:
    def __init__(self, status, body, headers=None):
        self.status_code = status
        self._body = body
        self.headers = headers or {"Content-Type": "application/json"}
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()

    def json(self):
        if isinstance(self._body, bytes):
            raise ValueError("not JSON")
        return self._body


class FakeMeta:
    """Answers queued per call; records each call as Meta would see it."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, session, method, url, **kwargs):
        self.calls.append({"method": method, "url": url, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(**kwargs):
    values = {"api_url": "https://graph.example", "allowed_hosts": ["graph.example", "cdn.example"],
              "version": "v23.0", "token": "T0K3N",
              "timeout": 7, "phone_number_id": "PN1", "waba_id": "WABA1", "app_id": "APP1"}
    values.update(kwargs)
    return graph_api.GraphApi(**values)


@tagged("post_install", "-at_install")
class TestGraphApi(BaseCase):
    def fake(self, *answers):
        meta = FakeMeta(*answers)

        def request(session, method, url, **kwargs):
            return meta(session, method, url, **kwargs)

        def get(session, url, **kwargs):
            return meta(session, "GET", url, **kwargs)

        self.enterContext(patch.object(requests.Session, "request", request))
        self.enterContext(patch.object(requests.Session, "get", get))
        return meta

    def test_send_posts_the_payload_with_the_token_and_a_timeout(self):
        meta = self.fake(_Response(200, {"messages": [{"id": "wamid.1"}],
                                         "contacts": [{"wa_id": "51987"}]}))
        answer = client().send_message({"to": "51987", "type": "text"})
        self.assertEqual(answer["messages"][0]["id"], "wamid.1")
        call = meta.calls[0]
        self.assertEqual((call["method"], call["url"]),
                         ("POST", "https://graph.example/v23.0/PN1/messages"))
        self.assertEqual(call["headers"], {"Authorization": "Bearer T0K3N"})
        self.assertEqual(call["timeout"], 7)
        self.assertEqual(call["json"], {"to": "51987", "type": "text"})

    def test_meta_error_body_becomes_the_error_type_whatever_the_http_status(self):
        error = {"error": {"message": "(#131026) Message undeliverable", "code": 131026,
                           "error_user_title": "Undeliverable", "error_user_msg": "No app",
                           "error_data": {"details": "not on WhatsApp"}, "fbtrace_id": "F1"}}
        self.fake(_Response(400, error), _Response(200, error))
        for _call in range(2):
            with self.assertRaises(meta_api.MetaError) as caught:
                client().send_message({})
            self.assertEqual(caught.exception.code, 131026)
            self.assertEqual(caught.exception.details, "not on WhatsApp")
            self.assertEqual(caught.exception.kind, meta_api.PERMANENT)

    def test_network_failures_and_non_json_answers(self):
        self.fake(requests.exceptions.ConnectTimeout("slow"), _Response(502, b"<html>"))
        with self.assertRaises(meta_api.MetaTransportError) as caught:
            client().send_message({})
        self.assertEqual(caught.exception.kind, meta_api.RETRY)
        self.assertNotIn("T0K3N", repr(client()), "the client never shows its token")
        with self.assertRaises(meta_api.MetaError) as caught:
            client().send_message({})
        self.assertEqual((caught.exception.code, caught.exception.http_status), (None, 502))
        self.assertEqual(caught.exception.kind, meta_api.RETRY)

    def test_templates_are_listed_until_a_page_has_no_next(self):
        meta = self.fake(
            _Response(200, {"data": [{"id": "1"}, {"id": "2"}],
                            "paging": {"cursors": {"before": "a", "after": "b"},
                                       "next": "https://graph.example/next"}}),
            _Response(200, {"data": [{"id": "3"}],
                            "paging": {"cursors": {"before": "b", "after": "c"}}}),
        )
        self.assertEqual([t["id"] for t in client().list_templates(page_size=2)],
                         ["1", "2", "3"])
        self.assertEqual(len(meta.calls), 2, "a cursor on the last page is not followed")
        self.assertEqual(meta.calls[1]["params"]["after"], "b")
        self.assertEqual(meta.calls[0]["url"],
                         "https://graph.example/v23.0/WABA1/message_templates")

    def test_resumable_upload_opens_a_session_on_the_app_then_sends_the_bytes(self):
        meta = self.fake(_Response(200, {"id": "upload:SESSION"}), _Response(200, {"h": "H4"}))
        handle = client().upload_example(b"%PDF-1.4 example", "example.pdf")
        self.assertEqual(handle, "H4")
        opening, sending = meta.calls
        self.assertEqual(opening["url"], "https://graph.example/v23.0/APP1/uploads")
        self.assertEqual(opening["params"], {"file_name": "example.pdf", "file_length": 16,
                                             "file_type": "application/pdf"})
        self.assertEqual(sending["url"], "https://graph.example/v23.0/upload:SESSION")
        self.assertEqual(sending["headers"], {"Authorization": "OAuth T0K3N",
                                              "file_offset": "0"})
        self.assertEqual(sending["data"], b"%PDF-1.4 example")
        with self.assertRaises(meta_api.MetaError):
            client(app_id="").upload_example(b"x", "x.pdf")

    def test_media_download_follows_metas_url_with_the_token(self):
        meta = self.fake(
            _Response(200, {"url": "https://cdn.example/file", "mime_type": "image/jpeg"}),
            _Response(200, b"JPEGDATA", headers={"Content-Type": "image/jpeg"}),
        )
        self.assertEqual(client().download_media("M1"), (b"JPEGDATA", "image/jpeg"))
        self.assertEqual(meta.calls[1]["url"], "https://cdn.example/file")
        self.assertEqual(meta.calls[1]["headers"], {"Authorization": "Bearer T0K3N"})

    def test_sandbox_answers_like_meta_without_the_network(self):
        meta = self.fake()
        sandbox = graph_api.SandboxGraphApi(phone_number_id="PN1",
                                            templates=lambda: [{"id": "9", "name": "x"}])
        sent = meta_api.parse_send_response(sandbox.send_message({"to": "51987"}))
        self.assertTrue(sent["wamid"].startswith("wamid."))
        self.assertEqual(sent["wa_id"], "51987")
        self.assertEqual(sandbox.create_template({"category": "UTILITY"})["status"], "APPROVED")
        self.assertEqual([t["status"] for t in sandbox.list_templates()], ["APPROVED"])
        self.assertTrue(sandbox.upload_example(b"%PDF", "e.pdf"))
        self.assertFalse(meta.calls, "nothing left the server")
