"""Meta's webhook routed by number, answered before the work, and the messages that are no
replies: system messages (a customer changed number), reactions, group messages; the
``played`` status and the pricing that only one status carries."""

from unittest.mock import patch

from odoo.tests import BaseCase, HttpCase, tagged

from ..tools import meta_api
from . import graph_mock
from .common import NOW, CobranzaCommon, allow_api_host

URL = "/cobranza_whatsapp/webhook"
# One Meta app, hence one App Secret, for the numbers of both companies (the usual set-up).
APP_SECRET = "one-meta-app-secret-3f9a"
OTHER_APP_SECRET = "another-meta-app-secret-77c1"
# Meta's ids look like this; the display number is a phone number and never logged.
UNKNOWN_NUMBER_ID = "106540352242922"
WEBHOOK_LOGGER = "odoo.addons.cobranza_whatsapp.models.cobranza_webhook_event"


@tagged("post_install", "-at_install")
class TestParseMessagesThatAreNoReplies(BaseCase):
    """The parser, without a database."""

    def test_system_message_names_the_new_number(self):
        (event,) = meta_api.parse_webhook(graph_mock.system_payload(
            "51987654321", new_wa_id="51912345678"))
        self.assertEqual((event["kind"], event["system_type"], event["new_wa_id"]),
                         ("system", "user_changed_number", "51912345678"))
        self.assertEqual((event["from"], event["phone_number_id"], event["waba_id"]),
                         ("51987654321", "PNID1", "WABA1"))
        # Older versions call it new_wa_id.
        payload = graph_mock.system_payload("51987654321")
        payload["entry"][0]["changes"][0]["value"]["messages"][0]["system"]["new_wa_id"] = "519"
        self.assertEqual(meta_api.parse_webhook(payload)[0]["new_wa_id"], "519")
        (changed,) = meta_api.parse_webhook(graph_mock.system_payload(
            "51987654321", kind="user_changed_user_id"))
        self.assertEqual((changed["kind"], changed["system_type"], changed["new_wa_id"]),
                         ("system", "user_changed_user_id", None))

    def test_reaction_names_the_message_it_reacts_to(self):
        (event,) = meta_api.parse_webhook(graph_mock.reaction_payload(
            "51987654321", "wamid.OURS", "\u2764\ufe0f"))
        self.assertEqual((event["kind"], event["reacted_to"], event["emoji"]),
                         ("reaction", "wamid.OURS", "\u2764\ufe0f"))
        (removed,) = meta_api.parse_webhook(graph_mock.reaction_payload(
            "51987654321", "wamid.OURS", emoji=None))
        self.assertEqual(removed["emoji"], "")

    def test_group_message_is_marked(self):
        (event,) = meta_api.parse_webhook(graph_mock.inbound_text_payload(
            "51987654321", "STOP", group_id="GRP.1"))
        self.assertEqual((event["kind"], event["group_id"]), ("message", "GRP.1"))
        (alone,) = meta_api.parse_webhook(graph_mock.inbound_text_payload("51987654321", "x"))
        self.assertIsNone(alone["group_id"])

    def test_pricing_only_where_meta_gives_it(self):
        events = meta_api.parse_webhook(graph_mock.status_payload([
            graph_mock.status_item("wamid.P", "sent", pricing=False, conversation=False),
            graph_mock.status_item("wamid.P", "delivered", billable=None),
            dict(graph_mock.status_item("wamid.F", "delivered"),
                 pricing={"category": "service", "type": "free_customer_service"}),
            graph_mock.status_item("wamid.P", "played", pricing=False),
        ]))
        self.assertEqual([(e["pricing_category"], e["billable"]) for e in events],
                         [(None, False), ("utility", True), ("service", False),
                          (None, False)])
        self.assertEqual(events[3]["key"], "status:wamid.P:played")

    def test_template_updates_name_their_waba(self):
        (event,) = meta_api.parse_webhook(graph_mock.template_status_payload(
            "123", "recordatorio", "APPROVED", waba_id="WABA2"))
        self.assertEqual((event["kind"], event["waba_id"]), ("template_status", "WABA2"))


class RoutingCommon(CobranzaCommon, HttpCase):
    """Company A (the common one) and company B, each with its own number on one Meta app."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wa_account.sudo().write({"app_secret": APP_SECRET})
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.company_b._cobranza_load_defaults()
        cls.account_b = cls.env["cobranza.whatsapp.account"].sudo().create({
            "name": "B WhatsApp", "company_id": cls.company_b.id, "mode": "sandbox",
            "phone_number_id": "PNID2", "waba_id": "WABA2", "rate_limit": 0,
            "app_secret": APP_SECRET,
        })

    def deliver(self, payload, secret=APP_SECRET, forged=False):
        """Meta's POST alone: what the request does before its answer."""
        response = graph_mock.post_signed_webhook(self.base_url() + URL, payload, secret,
                                                  bad_signature=forged, session=self.opener)
        self.env.invalidate_all()
        return response

    def process(self):
        """The processing cron's run, after the answer."""
        processed = self.env["cobranza.webhook.event"]._process_received()
        self.env.invalidate_all()
        return processed

    def post(self, payload, secret=APP_SECRET):
        response = self.deliver(payload, secret)
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.process()
        return response

    def sent_in_a(self, wamid, partner=None):
        partner = partner or self.customer
        move = self._invoice(partner, 300.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        message._set_sending(account_id=self.wa_account.id)
        message._set_sent(wamid, sent_at=NOW)
        return move, message

    def sent_in_b(self, wamid, partner=None):
        message = self.env["cobranza.message"].sudo().create({
            "partner_id": (partner or self.customer).id, "company_id": self.company_b.id,
            "channel": "whatsapp", "state": "queued", "account_id": self.account_b.id,
        })
        message._set_sending(account_id=self.account_b.id)
        message._set_sent(wamid, sent_at=NOW)
        return message

    def customer_in_b(self, name, phone, **values):
        """A contact of company B only (the test user works in company A)."""
        return self.env["res.partner"].sudo().create({
            "name": name, "phone": phone, "country_id": self.pe.id,
            "company_id": self.company_b.id, **values})

    def template_of_b(self, name):
        return self.env["cobranza.whatsapp.template"].sudo().search(
            [("company_id", "=", self.company_b.id), ("name", "=", name)])

    def events(self, domain=()):
        return self.env["cobranza.webhook.event"].sudo().search(list(domain))

    def inbound(self):
        return self.env["cobranza.message"].sudo().search([("direction", "=", "in")])

    def notes(self, record):
        return " ".join(str(body) for body in record.message_ids.mapped("body"))

    def work_items(self, partner):
        return self.env["cobranza.work.item"].sudo().search([("partner_id", "=", partner.id)])


@tagged("post_install", "-at_install")
class TestWebhookRouting(RoutingCommon):

    def test_two_accounts_on_one_app_each_get_their_own_webhooks(self):
        move_a, message_a = self.sent_in_a("wamid.A")
        message_b = self.sent_in_b("wamid.B")
        # One delivery with an entry for each company's number (one app serves both).
        payload = graph_mock.status_payload([graph_mock.status_item("wamid.A", "read")])
        payload["entry"] += graph_mock.status_payload(
            [graph_mock.status_item("wamid.B", "delivered")], waba_id="WABA2",
            phone_number_id="PNID2")["entry"]
        response = self.post(payload)
        self.assertEqual(response.json()["new"], 2)
        self.assertEqual((message_a.state, message_b.state), ("read", "delivered"))
        for wamid, account in (("wamid.A", self.wa_account), ("wamid.B", self.account_b)):
            event = self.events([("key", "like", f"status:{wamid}:%")])
            self.assertEqual((event.account_id, event.company_id),
                             (account, account.company_id), wamid)
        # A customer of both companies answers each number: each reply lands in its company.
        self.post(graph_mock.inbound_text_payload(
            "51987654321", "Gracias, lo reviso", context_id="wamid.B", waba_id="WABA2",
            phone_number_id="PNID2"))
        reply_b = self.inbound()
        self.assertEqual((reply_b.company_id, reply_b.account_id),
                         (self.company_b, self.account_b))
        self.assertFalse(reply_b.move_ids, "company A's invoice is none of company B's business")
        self.post(graph_mock.inbound_text_payload("51987654321", "Gracias",
                                                  context_id="wamid.A"))
        reply_a = self.inbound() - reply_b
        self.assertEqual((reply_a.company_id, reply_a.account_id, reply_a.move_ids),
                         (self.company, self.wa_account, move_a))
        # What company A's collector sees: its own reply only.
        seen = self.env["cobranza.message"].with_user(self.collector).search(
            [("direction", "=", "in")])
        self.assertEqual(seen, reply_a)

    def test_same_number_in_each_company_is_each_companys_customer(self):
        customer_b = self.customer_in_b("María Quispe (B)", "+51 987 654 321")
        self.customer.company_id = self.company
        self.post(graph_mock.inbound_text_payload("51987654321", "hola", waba_id="WABA2",
                                                  phone_number_id="PNID2"))
        self.post(graph_mock.inbound_text_payload("51987654321", "hola"))
        by_company = {m.company_id: m.partner_id for m in self.inbound()}
        self.assertEqual(by_company, {self.company: self.customer, self.company_b: customer_b})

    def test_template_update_goes_to_the_company_of_its_waba(self):
        template_a = self.level_by_offset[3].template_id
        template_b = self.template_of_b(template_a.name)
        self.assertTrue(template_b)
        template_a.meta_template_id = "111"
        template_b.meta_template_id = "222"
        status_a = template_a.status
        self.post(graph_mock.template_status_payload("222", template_b.name, "PAUSED",
                                                     reason="LOW_QUALITY", waba_id="WABA2"))
        self.assertEqual(template_b.status, "paused")
        self.assertEqual(template_a.status, status_a, "company A's template is not touched")

    def test_a_waba_shared_by_two_companies_updates_each_once(self):
        self.account_b.waba_id = "WABA1"
        template_a = self.level_by_offset[3].template_id
        template_b = self.template_of_b(template_a.name)
        (template_a | template_b).write({"meta_template_id": "333"})
        payload = graph_mock.template_status_payload("333", template_a.name, "PAUSED",
                                                     reason="LOW_QUALITY")
        self.assertEqual(self.post(payload).json()["new"], 2)
        self.assertEqual((template_a.status, template_b.status), ("paused", "paused"))
        self.assertEqual(self.events().company_id, self.company | self.company_b)
        self.assertEqual(self.post(payload).json()["new"], 0, "Meta's retry changes nothing")

    def test_unknown_number_is_answered_logged_and_not_stored(self):
        _move, message = self.sent_in_a("wamid.A")
        partners = self.env["res.partner"].search_count([])
        payload = graph_mock.inbound_text_payload("51911222333", "hola",
                                                  phone_number_id=UNKNOWN_NUMBER_ID)
        payload["entry"] += graph_mock.status_payload(
            [graph_mock.status_item("wamid.A", "read")],
            phone_number_id=UNKNOWN_NUMBER_ID)["entry"]
        with self.assertLogs(WEBHOOK_LOGGER, "WARNING") as logs:
            response = self.post(payload)
        self.assertEqual(response.json(), {"status": "ok", "events": 2, "new": 0,
                                           "ignored": 2})
        self.assertFalse(self.events())
        self.assertFalse(self.inbound())
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(message.state, "sent")
        output = "\n".join(logs.output)
        self.assertIn("…2922", output)
        for number in (UNKNOWN_NUMBER_ID, "51911222333", "911222333", "15550100"):
            self.assertNotIn(number, output)

    def test_another_apps_signature_cannot_speak_for_our_number(self):
        """An account on another Meta app (another secret) signs a body for company A's
        number: it is not A's app that sent it, so nothing of A's changes."""
        self.env["cobranza.whatsapp.account"].sudo().create({
            "name": "C WhatsApp", "company_id": self.company_b.id, "mode": "sandbox",
            "phone_number_id": "PNID3", "waba_id": "WABA3", "app_secret": OTHER_APP_SECRET,
        })
        _move, message = self.sent_in_a("wamid.A")
        payload = graph_mock.status_payload([graph_mock.status_item("wamid.A", "read")])
        response = self.post(payload, secret=OTHER_APP_SECRET)
        self.assertEqual((response.json()["new"], response.json()["ignored"]), (0, 1))
        self.assertFalse(self.events())
        self.assertEqual(message.state, "sent")
        for forged in (self.deliver(payload, secret="nobody-has-this-secret"),
                       self.deliver(payload, forged=True)):
            self.assertEqual(forged.status_code, 401)
        self.assertFalse(self.events())
        self.process()
        self.assertEqual(message.state, "sent")


@tagged("post_install", "-at_install")
class TestWebhookAnswersFirst(RoutingCommon):
    """The request stores and answers; the processing cron does the work afterwards."""

    def setUp(self):
        super().setUp()
        self.mock = graph_mock.GraphMock().start()
        self.addCleanup(self.mock.stop)
        allow_api_host(self.env, self.mock.url)
        self.wa_account.sudo().write({"mode": "live", "api_url": self.mock.url,
                                      "access_token": "tok"})

    def triggers(self):
        cron = self.env.ref("cobranza_whatsapp.ir_cron_webhook_received")
        return self.env["ir.cron.trigger"].sudo().search_count([("cron_id", "=", cron.id)])

    def test_the_answer_comes_before_the_download_and_the_action(self):
        move, message = self.sent_in_a("wamid.A")
        self.mock.inbound_media["778899"] = ("application/pdf", b"%PDF-1.4 voucher")
        triggers = self.triggers()
        payload = graph_mock.inbound_media_payload(
            "51987654321", "778899", kind="document", mime_type="application/pdf",
            filename="voucher.pdf", caption="ya pagué, aquí el voucher")
        payload["entry"] += graph_mock.status_payload(
            [graph_mock.status_item("wamid.A", "read")])["entry"]
        response = self.deliver(payload)
        self.assertEqual((response.status_code, response.json()["new"]), (200, 2))
        self.assertEqual(set(self.events().mapped("state")), {"pending"}, "stored, not done")
        self.assertFalse(self.inbound(), "no reply is acted on inside the request")
        self.assertFalse([r for r in self.mock.requests if "/download/" in r["path"]],
                         "nothing is downloaded from Meta inside the request")
        self.assertEqual(message.state, "sent")
        self.assertEqual(self.triggers(), triggers + 1, "the processing cron is woken")
        self.assertEqual(self.process(), 2)
        reply = self.inbound()
        self.assertEqual(reply.attachment_ids.sudo().raw, b"%PDF-1.4 voucher")
        self.assertEqual(reply.intent, "paid")
        self.assertTrue(move.cobranza_paused_until)
        self.assertEqual(message.state, "read")
        self.assertEqual(set(self.events().mapped("state")), {"done"})

    def test_a_delivery_with_nothing_new_wakes_nobody(self):
        payload = graph_mock.inbound_text_payload("51987654321", "hola")
        self.deliver(payload)
        triggers = self.triggers()
        self.assertEqual(self.deliver(payload).json()["new"], 0)
        self.assertEqual(self.triggers(), triggers)

    def test_a_failure_in_processing_is_kept_and_retried(self):
        self.deliver(graph_mock.inbound_text_payload("51987654321",
                                                     "el viernes le deposito sin falta"))
        Message = type(self.env["cobranza.message"])
        with patch.object(Message, "_receive", side_effect=RuntimeError("database hiccup")), \
                self.assertLogs(WEBHOOK_LOGGER, "ERROR"):
            self.process()
        event = self.events()
        self.assertEqual((event.state, event.attempts), ("error", 1))
        self.assertIn("database hiccup", event.error)
        self.assertFalse(self.inbound())
        self.env["cobranza.webhook.event"]._cron_process()  # the retry cron, later
        self.assertEqual(event.state, "done")
        self.assertEqual(self.inbound().intent, "promise")

    def test_the_processing_cron_is_installed(self):
        cron = self.env.ref("cobranza_whatsapp.ir_cron_webhook_received")
        self.assertTrue(cron.active)
        self.assertEqual(cron.code.strip(), "model._cron_process_received()")
        self.assertEqual(cron.model_id.model, "cobranza.webhook.event")


@tagged("post_install", "-at_install")
class TestMessagesThatAreNoReplies(RoutingCommon):

    def assert_no_person_needed(self, partner):
        self.assertFalse(self.inbound(), "it is not a reply")
        self.assertFalse(partner.cobranza_handoff)
        self.assertFalse(partner.activity_ids)
        self.assertFalse(self.work_items(partner))

    def test_customer_changed_number(self):
        self.customer.cobranza_wa_id = "51987654321"
        self.post(graph_mock.system_payload("51987654321", new_wa_id="51912345678"))
        self.assertEqual(self.customer.cobranza_wa_id, "51912345678")
        self.assertIn("+51912345678", self.notes(self.customer))
        self.assertEqual(self.events().state, "done")
        self.assert_no_person_needed(self.customer)
        # The next message, from the new number, is the same customer's.
        self.post(graph_mock.inbound_text_payload("51912345678", "Gracias"))
        self.assertEqual(self.inbound().partner_id, self.customer)

    def test_number_change_of_a_company_b_customer_stays_in_company_b(self):
        customer_b = self.customer_in_b("Rosa (B)", "+51 955 111 222",
                                        cobranza_wa_id="51955111222")
        self.post(graph_mock.system_payload("51955111222", new_wa_id="51955111333"))
        self.assertEqual(customer_b.cobranza_wa_id, "51955111222",
                         "company A's number does not speak for company B's customers")
        self.post(graph_mock.system_payload("51955111222", new_wa_id="51955111333",
                                            waba_id="WABA2", phone_number_id="PNID2"))
        self.assertEqual(customer_b.cobranza_wa_id, "51955111333")

    def test_customer_changed_user_id_is_only_noted(self):
        self.customer.cobranza_wa_id = "51987654321"
        self.post(graph_mock.system_payload("51987654321", kind="user_changed_user_id"))
        self.assertEqual(self.customer.cobranza_wa_id, "51987654321")
        self.assertIn("user ID changed", self.notes(self.customer))
        self.assert_no_person_needed(self.customer)

    def test_system_message_of_a_stranger_makes_no_contact(self):
        partners = self.env["res.partner"].search_count([])
        self.post(graph_mock.system_payload("51900000001", new_wa_id="51900000002"))
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertFalse(self.inbound())
        self.assertEqual(self.events().state, "done")

    def test_reaction_is_kept_on_the_message_it_reacts_to(self):
        move, message = self.sent_in_a("wamid.R")
        self.post(graph_mock.reaction_payload("51987654321", "wamid.R", "\U0001f44d"))
        self.assertEqual(message.reaction_emoji, "\U0001f44d")
        self.assertTrue(message.reacted_at)
        self.assertEqual(message.state, "sent", "a reaction is no delivery status")
        for record in (self.customer, move):
            self.assertIn("\U0001f44d", self.notes(record))
        self.assertFalse(self.customer.cobranza_window_until)
        self.assert_no_person_needed(self.customer)
        self.post(graph_mock.reaction_payload("51987654321", "wamid.R", emoji=None))
        self.assertFalse(message.reaction_emoji)
        self.assertIn("removed their reaction", self.notes(self.customer))

    def test_reaction_to_another_accounts_message_is_not_attached(self):
        message_b = self.sent_in_b("wamid.B")
        self.post(graph_mock.reaction_payload("51987654321", "wamid.B"))  # on A's number
        self.assertFalse(message_b.reaction_emoji)
        self.assertEqual(self.events().state, "waiting")
        self.assert_no_person_needed(self.customer)
        self.post(graph_mock.reaction_payload("51987654321", "wamid.B", waba_id="WABA2",
                                              phone_number_id="PNID2"))
        self.assertEqual(message_b.reaction_emoji, "\U0001f44d")

    def test_stop_in_a_group_is_no_opt_out(self):
        _move, _message = self.sent_in_a("wamid.G")
        queued = self.env["cobranza.message"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "channel": "whatsapp", "state": "queued",
        })
        self.post(graph_mock.inbound_text_payload("51987654321", "STOP", group_id="GRP.1"))
        reply = self.inbound()
        self.assertEqual(reply.intent, "stop")
        self.assertEqual(self.customer.cobranza_consent, "optin")
        self.assertEqual(queued.state, "queued")
        self.assertIn("group", reply.action_taken)
        # The same words to us alone are an opt-out.
        self.post(graph_mock.inbound_text_payload("51987654321", "STOP"))
        self.assertEqual(self.customer.cobranza_consent, "optout")
        self.assertEqual(queued.state, "cancelled")

    def test_played_and_pricing_on_whichever_status_carries_it(self):
        _move, message = self.sent_in_a("wamid.P")
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        _move2, free = self.sent_in_a("wamid.FREE", partner=other)
        self.post(graph_mock.status_payload([
            graph_mock.status_item("wamid.P", "sent", 1763480000, pricing=False,
                                   conversation=False),
            graph_mock.status_item("wamid.P", "delivered", 1763480010, billable=None,
                                   conversation=False),
            graph_mock.status_item("wamid.FREE", "delivered", 1763480020, pricing=False,
                                   recipient_id="51912345678"),
        ]))
        self.assertEqual((message.state, message.pricing_category, message.pricing_type),
                         ("delivered", "utility", "regular"))
        self.assertTrue(message.billable, "charged: Meta's pricing type says so")
        # Shown in words, not Meta's raw values (issue #17: "utility", "regular").
        self.assertEqual(message.pricing_label, "Utility · charged")
        self.post(graph_mock.status_payload([
            graph_mock.status_item("wamid.P", "read", 1763480030, pricing=False),
            graph_mock.status_item("wamid.P", "played", 1763480040, pricing=False),
            dict(graph_mock.status_item("wamid.FREE", "played", 1763480050,
                                        recipient_id="51912345678"),
                 pricing={"category": "service", "type": "free_customer_service"}),
        ]))
        self.assertEqual((message.state, message.pricing_category), ("read", "utility"),
                         "statuses without pricing keep the one given")
        self.assertTrue(message.billable)
        self.assertEqual((free.state, free.pricing_category, free.billable),
                         ("read", "service", False), "played: listened to, so read")
        self.assertEqual(free.pricing_label, "Service · free: customer service window")
        self.assertTrue(free.read_at and free.delivered_at)
        self.assertEqual(set(self.events().mapped("state")), {"done"})
