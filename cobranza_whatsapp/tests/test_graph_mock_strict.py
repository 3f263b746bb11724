"""The loopback Graph API refuses what Meta refuses: the real client against it (no database)."""

from odoo.tests import BaseCase, tagged

from ..tools import graph_api, meta_api
from .common import GraphMockCase

PDF = b"%PDF-1.4 example"


@tagged("post_install", "-at_install")
class TestStrictMock(GraphMockCase):
    def setUp(self):
        super().setUp()
        self.mock.templates.clear()
        self.mock.handles.clear()
        self.mock.template_limit = 250
        self.mock.recategorize.clear()

    def client(self, **kwargs):
        values = {"api_url": self.mock.url, "version": meta_api.DEFAULT_API_VERSION,
                  "token": "T0K3N", "phone_number_id": "PN1", "waba_id": "WABA1",
                  "app_id": self.mock.app_id, "allowed_hosts": ["127.0.0.1"]}
        values.update(kwargs)
        return graph_api.GraphApi(**values)

    def creation(self, handle=None, name="recordatorio_vencida", examples=("María", "S/ 10")):
        return meta_api.build_template_create_payload(
            name, "es", "UTILITY", "Hola {{1}}, debe {{2}}.", header_document=True,
            footer=None, buttons=[], body_examples=list(examples),
            header_handle=handle or "4::not-issued-by-meta", ttl_seconds=43200)

    def test_a_document_header_needs_a_handle_from_the_resumable_upload(self):
        client = self.client()
        with self.assertRaises(meta_api.MetaError) as refused:
            client.create_template(self.creation())
        self.assertEqual(refused.exception.code, 100)
        self.assertIn("sample", meta_api.user_explanation(refused.exception))
        handle = client.upload_example(PDF, "invoice_example.pdf")
        answer = client.create_template(self.creation(handle))
        self.assertEqual(answer["status"], "PENDING")
        session, upload = self.mock.requests[-3], self.mock.requests[-2]
        self.assertEqual(session["path"], f"/{meta_api.DEFAULT_API_VERSION}/APP1/uploads")
        self.assertIn("file_length=16", session["query"])
        self.assertEqual(upload["headers"]["Authorization"], "OAuth T0K3N")
        self.assertEqual(upload["headers"]["file_offset"], "0")

    def test_the_upload_step_refuses_a_bearer_token_and_an_unknown_app(self):
        client = self.client()
        session = client.start_upload("x.pdf", len(PDF))
        with self.assertRaises(meta_api.MetaError) as refused:
            client._request("POST", session, data=PDF, headers={"Authorization": "Bearer T0K3N",
                                                                "file_offset": "0"})
        self.assertEqual(refused.exception.code, 190)
        with self.assertRaises(meta_api.MetaError):
            self.client(app_id="OTHER").start_upload("x.pdf", len(PDF))
        with self.assertRaises(meta_api.MetaError):  # the session was spent by the first try
            client.upload_bytes(session, PDF + b"more")

    def test_every_variable_needs_an_example_and_the_refusal_says_so(self):
        client = self.client()
        handle = client.upload_example(PDF, "invoice_example.pdf")
        with self.assertRaises(meta_api.MetaError) as refused:
            client.create_template(self.creation(handle, examples=("María",)))
        self.assertIn("Variable samples missing", meta_api.user_explanation(refused.exception))

    def test_the_250_templates_limit_is_explained(self):
        self.mock.template_limit = 0
        client = self.client()
        with self.assertRaises(meta_api.MetaError) as refused:
            client.create_template(self.creation(client.upload_example(PDF, "x.pdf")))
        self.assertIn("250", meta_api.user_explanation(refused.exception))
        self.assertIn("WhatsApp Manager", meta_api.user_explanation(refused.exception))

    def test_meta_may_give_another_category(self):
        self.mock.recategorize["recordatorio_vencida"] = "MARKETING"
        client = self.client()
        answer = client.create_template(self.creation(client.upload_example(PDF, "x.pdf")))
        self.assertEqual(answer["category"], "MARKETING")
        self.assertEqual(self.mock.requests[-1]["json"]["message_send_ttl_seconds"], 43200)

    def test_every_page_has_cursors_and_the_last_no_next(self):
        self.mock.approve_templates([{"name": f"t{i}", "body": "x"} for i in range(5)])
        pages = []
        client = self.client()
        names = [t["name"] for t in client.list_templates(page_size=2)]
        self.assertEqual(names, [f"t{i}" for i in range(5)])
        for record in self.mock.requests:
            pages.append(record["query"])
        self.assertEqual(len(pages), 3)  # 2 + 2 + 1, and nothing asked after the last
        answer = client._request("GET", "WABA1/message_templates", params={"after": 4})
        self.assertIn("cursors", answer["paging"])
        self.assertNotIn("next", answer["paging"])

    def test_template_messages_are_checked_against_the_approved_template(self):
        self.mock.approve_templates([{"name": "aviso", "body": "Hola {{1}}, {{2}}",
                                      "header": "DOCUMENT"}])
        client = self.client()

        def send(name="aviso", params=("María", "S/ 10"), header=True):
            return client.send_message(meta_api.build_template_payload(
                "51987654321", name, "es", list(params),
                header_document={"id": "123", "filename": "F.pdf"} if header else None))

        self.assertTrue(send()["messages"][0]["id"].startswith("wamid."))
        for kwargs, code in (({"name": "otra"}, 132001), ({"params": ("María",)}, 132000),
                             ({"header": False}, 132012)):
            with self.assertRaises(meta_api.MetaError) as refused:
                send(**kwargs)
            self.assertEqual(refused.exception.code, code, kwargs)
        self.mock.set_template_status("aviso", "PAUSED")
        with self.assertRaises(meta_api.MetaError) as refused:
            send()
        self.assertEqual(refused.exception.kind, meta_api.TEMPLATE_PAUSED)

    def test_media_upload_needs_the_messaging_product(self):
        client = self.client()
        self.assertTrue(client.upload_media(PDF, "F.pdf"))
        with self.assertRaises(meta_api.MetaError):
            client._request("POST", "PN1/media", files={"file": ("F.pdf", PDF, "application/pdf")})


@tagged("post_install", "-at_install")
class TestSetupCheckRules(BaseCase):
    def test_messaging_limit_in_every_shape_meta_uses(self):
        for value, expected in (("TIER_250", 250), ("TIER_2K", 2000), ("TIER_UNLIMITED", 0),
                                (10000, 10000), (-1, 0), ("100000", 100000), (None, None),
                                ("whatever", None), ({"max_daily_conversations_per_business":
                                                      2000}, 2000)):
            self.assertEqual(meta_api.parse_messaging_limit(value), expected, value)

    def test_what_is_missing_in_plain_words(self):
        ready = {"platform_type": "CLOUD_API", "status": "CONNECTED", "name_status": "APPROVED",
                 "quality_rating": "GREEN",
                 "whatsapp_business_manager_messaging_limit": "TIER_10K"}
        self.assertEqual(meta_api.setup_problems(ready, [{"id": "APP"}]), [])
        problems = dict(meta_api.setup_problems(
            dict(ready, platform_type="NOT_APPLICABLE", quality_rating="RED",
                 whatsapp_business_manager_messaging_limit="TIER_250"), []))
        self.assertEqual(set(problems),
                         {"not_registered", "not_subscribed", "quality_red", "small_limit"})
        self.assertIn("250 customers a day", problems["small_limit"])
        self.assertIn("Register Number", problems["not_registered"])

    def test_a_creation_body_without_a_handle_is_not_built(self):
        with self.assertRaises(ValueError):
            meta_api.build_template_create_payload(
                "x", "es", "UTILITY", "Hola", header_document=True, footer=None, buttons=[],
                body_examples=[])
        payload = meta_api.build_template_create_payload(
            "x", "es", "UTILITY", "Hola {{1}}", header_document=True, footer=None, buttons=[],
            body_examples=["María"], header_handle="4::h", ttl_seconds=99 * 3600)
        self.assertEqual(payload["components"][0]["example"], {"header_handle": ["4::h"]})
        self.assertEqual(payload["message_send_ttl_seconds"], 12 * 3600)
