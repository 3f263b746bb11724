import json
import random

from odoo.tests import HttpCase, tagged

from ..tools import meta_api
from . import graph_mock
from .common import NOW, CobranzaCommon, allow_api_host

SECRET = "app-secret-for-tests"
URL = "/cobranza_whatsapp/webhook"


@tagged("post_install", "-at_install")
class TestWebhook(CobranzaCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wa_account.sudo().write({"app_secret": SECRET, "verify_token": "verify-me"})

    def post(self, payload, secret=SECRET, raw=None, signature=None):
        """Meta's delivery, then the processing cron's run that the answer leaves it to."""
        data = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature is None and secret:
            signature = meta_api.compute_signature(secret, data)
        if signature:
            headers["X-Hub-Signature-256"] = signature
        response = self.url_open(URL, data=data, headers=headers)
        self.env.invalidate_all()
        self.env["cobranza.webhook.event"]._process_received()
        self.env.invalidate_all()
        return response

    def sent_message(self, wamid="wamid.HOOK1", partner=None):
        partner = partner or self.customer
        move = self._invoice(partner, 300.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        message._set_sending()
        message._set_sent(wamid, sent_at=NOW)
        return move, message

    def events(self):
        return self.env["cobranza.webhook.event"].search([])

    # verification

    def test_verify_handshake(self):
        ok = self.url_open(f"{URL}?hub.mode=subscribe&hub.verify_token=verify-me"
                           "&hub.challenge=1158201444")
        self.assertEqual((ok.status_code, ok.text), (200, "1158201444"))
        for query in ("hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
                      "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1",
                      "hub.challenge=1"):
            self.assertEqual(self.url_open(f"{URL}?{query}").status_code, 403, query)

    # signatures and bad input

    def test_invalid_signatures_change_nothing(self):
        _move, message = self.sent_message()
        payload = graph_mock.status_payload([graph_mock.status_item("wamid.HOOK1", "read")])
        self.assertEqual(self.post(payload, secret="other-secret").status_code, 401)
        self.assertEqual(self.post(payload, secret=None).status_code, 401)
        self.assertEqual(self.post(payload, signature="sha256=").status_code, 401)
        self.assertEqual(self.post(payload, signature="sha1=abcdef").status_code, 401)
        self.assertEqual(message.state, "sent")
        self.assertFalse(self.events())

    def test_not_json_or_not_meta_is_400(self):
        self.assertEqual(self.post(None, raw=b"{oops").status_code, 400)
        self.assertEqual(self.post({"object": "page", "entry": []}).status_code, 400)
        self.assertEqual(self.post([1, 2, 3]).status_code, 400)
        self.assertEqual(self.post(None, raw=b"\xff\xfe\xfa").status_code, 400)
        self.assertFalse(self.events())

    # statuses

    def test_batched_statuses_and_duplicates(self):
        _m1, first = self.sent_message("wamid.A")
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        _m2, second = self.sent_message("wamid.B", partner=other)
        payload = graph_mock.status_payload([
            graph_mock.status_item("wamid.A", "delivered", 1763480000),
            graph_mock.status_item("wamid.B", "delivered", 1763480001,
                                   recipient_id="51912345678"),
            graph_mock.status_item("wamid.B", "read", 1763480050, recipient_id="51912345678"),
        ])
        payload["entry"].append(graph_mock.status_payload(
            [graph_mock.status_item("wamid.A", "read", 1763480090)])["entry"][0])
        response = self.post(payload)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["new"], 4)
        self.assertEqual((first.state, second.state), ("read", "read"))
        self.assertEqual(first.pricing_category, "utility")
        again = self.post(payload)
        self.assertEqual(again.json()["new"], 0, "Meta's retries change nothing")
        self.assertEqual(len(self.events()), 4)

    def test_single_delivered_status_leaves_read_empty(self):
        _move, message = self.sent_message()
        response = self.post(graph_mock.status_payload(
            [graph_mock.status_item("wamid.HOOK1", "delivered", 1763480000)]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(message.state, "delivered")
        self.assertFalse(message.read_at)
        self.assertEqual(self.events().state, "done")

    def test_out_of_order_never_downgrades(self):
        _move, message = self.sent_message()
        self.post(graph_mock.status_payload([graph_mock.status_item("wamid.HOOK1", "read")]))
        self.post(graph_mock.status_payload([
            graph_mock.status_item("wamid.HOOK1", "delivered"),
            graph_mock.status_item("wamid.HOOK1", "sent"),
        ]))
        self.assertEqual(message.state, "read")
        self.assertTrue(message.delivered_at)

    def test_status_before_its_message_is_kept_and_matched(self):
        self.post(graph_mock.status_payload([graph_mock.status_item("wamid.LATE", "delivered")]))
        event = self.events()
        self.assertEqual(event.state, "waiting")
        _move, message = self.sent_message("wamid.LATE")
        self.env["cobranza.webhook.event"]._cron_process()
        self.assertEqual(event.state, "done")
        self.assertEqual(message.state, "delivered")

    def test_failed_status_falls_back(self):
        _move, message = self.sent_message()
        errors = [{"code": 131026, "title": "Message undeliverable",
                   "message": "Message undeliverable",
                   "error_data": {"details": "Message Undeliverable."}}]
        self.post(graph_mock.status_payload(
            [graph_mock.status_item("wamid.HOOK1", "failed", errors=errors)]))
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.error_code, 131026)
        fallback = self.env["cobranza.message"].search([("fallback_of_id", "=", message.id)])
        self.assertEqual(fallback.channel, "sms")

    # templates

    def test_template_status_updates(self):
        template = self.level_by_offset[3].template_id
        template.meta_template_id = "998877"
        self.post(graph_mock.template_status_payload("998877", template.name, "PAUSED",
                                                     reason="LOW_QUALITY"))
        self.assertEqual(template.status, "paused")
        self.post(graph_mock.template_status_payload("998877", template.name, "APPROVED"))
        self.assertEqual(template.status, "approved")
        self.post(graph_mock.template_status_payload("998877", template.name, "REJECTED",
                                                     reason="INVALID_FORMAT"))
        self.assertEqual(template.status, "rejected")
        self.assertEqual(template.rejected_reason, "INVALID_FORMAT")

    # inbound

    def test_inbound_text_reaches_customer_and_invoice(self):
        move, message = self.sent_message()
        self.post(graph_mock.inbound_text_payload("51987654321", "Hola, ¿me reenvían la factura?",
                                                  context_id="wamid.HOOK1"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual(inbound.partner_id, self.customer)
        self.assertEqual(inbound.state, "received")
        self.assertEqual(inbound.move_ids, move)
        self.assertTrue(self.customer.cobranza_window_until)
        self.assertTrue(any("reenvían" in (m.body or "") for m in move.message_ids))
        self.assertTrue(any("reenvían" in (m.body or "") for m in self.customer.message_ids))
        self.assertEqual(message.state, "sent")

    def test_inbound_receipt_is_kept_on_the_invoice(self):
        mock = graph_mock.GraphMock().start()
        self.addCleanup(mock.stop)
        allow_api_host(self.env, mock.url)
        self.wa_account.sudo().write({"mode": "live", "api_url": mock.url,
                                      "access_token": "tok"})
        mock.inbound_media["778899"] = ("application/pdf", b"%PDF-1.4 receipt bytes")
        move, _message = self.sent_message()
        self.post(graph_mock.inbound_media_payload("51987654321", "778899", kind="document",
                                                   mime_type="application/pdf",
                                                   filename="voucher.pdf",
                                                   caption="ya pagué, aquí el voucher"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual(inbound.attachment_ids.sudo().raw, b"%PDF-1.4 receipt bytes")
        self.assertEqual(inbound.intent, "paid")
        posted = move.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertEqual(posted.attachment_ids.sudo().raw, b"%PDF-1.4 receipt bytes")
        downloads = [r for r in mock.requests if "/download/" in r["path"]]
        self.assertEqual(downloads[0]["headers"]["Authorization"], "Bearer tok")

    def test_inbound_media_that_cannot_be_downloaded_is_still_recorded(self):
        mock = graph_mock.GraphMock().start()
        self.addCleanup(mock.stop)
        allow_api_host(self.env, mock.url)
        self.wa_account.sudo().write({"mode": "live", "api_url": mock.url,
                                      "access_token": "tok"})
        self.sent_message()
        self.post(graph_mock.inbound_media_payload("51987654321", "missing",
                                                   kind="document", mime_type="application/pdf",
                                                   filename="voucher.pdf"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertTrue(inbound)
        self.assertFalse(inbound.attachment_ids)
        self.assertIn("could not be downloaded", inbound.body)

    def test_inbound_interactive_reply(self):
        self.sent_message()
        self.post(graph_mock.inbound_interactive_payload("51987654321", "PERSON",
                                                         "Hablar con un asesor"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual(inbound.intent, "person")
        self.assertTrue(self.customer.cobranza_handoff)

    def test_inbound_mexican_number_matched_with_521(self):
        mx = self._customer("Luis Hernández", "+52 55 1234 5678", self.mx)
        self.post(graph_mock.inbound_text_payload("5215512345678", "Buenas tardes"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual(inbound.partner_id, mx)

    def test_inbound_from_stranger_creates_contact_without_full_number_in_name(self):
        self.post(graph_mock.inbound_text_payload("51911222333", "hola", name=None))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertTrue(inbound.partner_id)
        self.assertNotIn("911222333", inbound.partner_id.name)

    # replies understood and acted on

    def reply(self, text, **kwargs):
        self.post(graph_mock.inbound_text_payload("51987654321", text,
                                                  context_id="wamid.HOOK1", **kwargs))
        return self.env["cobranza.message"].search([("direction", "=", "in")], limit=1)

    def test_quick_reply_paid_pauses_and_asks_to_verify(self):
        move, _message = self.sent_message()
        self.post(graph_mock.inbound_button_payload("51987654321", "Ya pagué",
                                                    f"PAID:{move.name}", "wamid.HOOK1"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual((inbound.intent, inbound.intent_confidence), ("paid", 1.0))
        self.assertEqual(inbound.intent_evidence, "payload:PAID")
        self.assertTrue(move.cobranza_paused_until)
        self.assertTrue(self.customer.activity_ids.filtered(
            lambda a: "verify" in (a.summary or "")))

    def test_notes_are_in_the_company_language(self):
        """The webhook runs as nobody in particular: its notes follow the company's language."""
        self.env["res.lang"]._activate_lang("es_419")
        self.env["ir.module.module"]._load_module_terms(["cobranza_whatsapp"], ["es_419"])
        self.company.partner_id.lang = "es_419"
        move, _message = self.sent_message()
        self.post(graph_mock.inbound_button_payload("51987654321", "Ya pagué",
                                                    f"PAID:{move.name}", "wamid.HOOK1"))
        inbound = self.env["cobranza.message"].search([("direction", "=", "in")])
        self.assertEqual(inbound.action_taken, "Recordatorios pausados 3 días; pago por verificar")
        self.assertIn("Respuesta por WhatsApp del cliente",
                      " ".join(str(body) for body in move.message_ids.mapped("body")))
        self.assertTrue(self.customer.activity_ids.filtered(
            lambda a: "verifique el pago" in (a.summary or "")))

    def test_promise_with_date_is_recorded(self):
        move, _message = self.sent_message()
        inbound = self.reply("el viernes le deposito sin falta")
        self.assertEqual(inbound.intent, "promise")
        promise = self.env["cobranza.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.move_ids, move)
        self.assertEqual(promise.date.weekday(), 4)
        self.assertEqual(move.cobranza_state, "promised")
        self.assertIn("Promise", inbound.action_taken)

    def test_stop_records_opt_out_and_cancels_queue(self):
        _move, _message = self.sent_message()
        other_move = self._invoice(self.customer, 50.0, days_overdue=1)
        queued = self.env["cobranza.message"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "channel": "whatsapp", "state": "queued", "move_ids": [(6, 0, other_move.ids)],
        })
        inbound = self.reply("No me escriban más por favor")
        self.assertEqual(inbound.intent, "stop")
        self.assertEqual(self.customer.cobranza_consent, "optout")
        self.assertEqual(queued.state, "cancelled")

    def test_angry_stop_is_honoured_and_handed_to_a_person(self):
        self.sent_message()
        inbound = self.reply("DEJEN DE MOLESTAR!!! no me escriban más")
        self.assertEqual(inbound.intent, "stop")
        self.assertEqual(self.customer.cobranza_consent, "optout")
        self.assertTrue(self.customer.cobranza_handoff)

    def test_dispute_marks_invoice_and_hands_off(self):
        move, _message = self.sent_message()
        self.customer.cobranza_collector_id = self.collector
        inbound = self.reply("Esa factura está mal, el monto no es correcto")
        self.assertEqual(inbound.intent, "dispute")
        self.assertTrue(move.cobranza_disputed)
        self.assertTrue(self.customer.cobranza_handoff)
        activity = self.customer.activity_ids.filtered(lambda a: a.user_id == self.collector)
        self.assertTrue(activity)
        self.assertEqual(self.run_cadence()["steps"], 0, "a person owns the case")

    def test_plan_request_proposes_a_plan_within_the_rules_once(self):
        """Reported: pressing "Necesito un plan" three times sent three offers, and made
        no plan and no activity. (With automatic answers, the customer chooses the plan
        from reply buttons instead: test_negotiation.py.)"""
        self.company.cobranza_auto_answers = False
        self.customer.cobranza_collector_id = self.collector
        self.company.cobranza_plan_min_first_percent = 40
        move, _message = self.sent_message()
        for text in ("no puedo pagar todo junto, ¿me dan cuotas?", "Necesito un plan",
                     "necesito un plan porfa"):
            inbound = self.reply(text)
            self.assertEqual(inbound.intent, "plan", text)
        offers = self.messages_for(self.customer).filtered(
            lambda m: m.direction == "out" and m.template_id.purpose == "plan")
        self.assertFalse(offers, "the offer asks for this answer: never sent again")
        plan = self.env["cobranza.payment.plan"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(plan), 1)
        self.assertEqual((plan.state, plan.move_ids), ("draft", move))
        self.assertEqual(len(plan.line_ids), 3)
        self.assertAlmostEqual(sum(plan.line_ids.mapped("amount")), move.amount_residual)
        first = plan.line_ids.sorted("date")[0].amount
        self.assertGreaterEqual(first * 100, move.amount_residual * 40 - 0.01,
                                "the first instalment respects the managers' minimum")
        activities = plan.activity_ids
        self.assertEqual((len(activities), activities.user_id), (1, self.collector))
        self.assertIn("proposed", inbound.action_taken)
        self.assertFalse(inbound.needs_person)
        # The collector agrees it with the customer: the reminders follow the plan.
        plan.with_user(self.collector).action_activate()
        self.assertEqual(plan.state, "active")
        self.assertTrue(move.cobranza_paused_until, "reminders wait for the plan")

    def test_plan_request_outside_the_rules_goes_to_a_person_with_the_proposal(self):
        self.customer.cobranza_risk_manual = "high"  # high risk: no plans (Settings)
        _move, _message = self.sent_message()
        inbound = self.reply("¿me pueden dar cuotas?")
        plan = self.env["cobranza.payment.plan"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(plan.state, "draft")
        self.assertTrue(inbound.needs_person)
        self.assertIn("outside the rules", inbound.action_taken)
        self.assertIn("do not qualify", str(plan.activity_ids.note))

    def test_unclear_or_angry_goes_to_a_person(self):
        _move, _message = self.sent_message()
        self.customer.cobranza_collector_id = self.collector
        inbound = self.reply("YA LES DIJE QUE PAGUÉ!!! voy a denunciarlos en indecopi")
        self.assertTrue(inbound.needs_person)
        self.assertTrue(self.customer.cobranza_handoff)
        self.assertTrue(self.customer.activity_ids.filtered(lambda a: a.user_id == self.collector))

    def test_configured_to_only_record(self):
        self.company.cobranza_intent_stop = "none"
        self.sent_message()
        inbound = self.reply("STOP")
        self.assertEqual(inbound.intent, "stop")
        self.assertEqual(self.customer.cobranza_consent, "optin", "only recorded")

    def test_fuzzed_bodies_never_500(self):
        rng = random.Random(7)
        _move, _message = self.sent_message()

        def junk(depth=0):
            kind = rng.randrange(7 if depth < 3 else 4)
            if kind == 0:
                return rng.choice([None, True, 0, -1, 2**70, 1.5])
            if kind == 1:
                alphabet = "ab\u00f1\u202e\x00{}\""
                return "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
            if kind == 2:
                return "x" * rng.randrange(100000)
            if kind == 3:
                return rng.choice(["whatsapp_business_account", "messages", "statuses"])
            if kind == 4:
                return [junk(depth + 1) for _ in range(rng.randrange(4))]
            keys = ["object", "entry", "changes", "value", "statuses", "messages", "id",
                    "status", "field", "metadata", "contacts", "errors", "timestamp"]
            return {rng.choice(keys): junk(depth + 1) for _ in range(rng.randrange(5))}

        for _i in range(60):
            body = junk()
            if rng.random() < 0.5:
                body = {"object": "whatsapp_business_account",
                        "entry": [{"id": junk(2), "changes": [{"field": "messages",
                                                               "value": junk(1)}]}]}
            response = self.post(body)
            self.assertIn(response.status_code, (200, 400), body)
