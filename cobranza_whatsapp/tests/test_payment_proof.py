"""Proofs of payment: a receipt or transfer screenshot a customer sends after a reminder is
kept for an accountant to verify, the reminders wait, and the customer hears the decision."""

import datetime

from odoo import Command, fields
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import AccessError, UserError
from odoo.tests import BaseCase, Form, tagged

from ..tools import intent, payment_proof
from . import graph_mock
from .common import NOW, LiveAccountCommon, allow_api_host

JPEG = b"\xff\xd8\xff\xe0 yape screenshot S/ 300.00 op 123456"
PDF = b"%PDF-1.4 BCP transferencia 150.00"
WA_ID = "51987654321"


class TestProofReading(BaseCase):
    """When a file's caption leaves it a proof of payment (tools/payment_proof.py)."""

    def reading(self, caption):
        return payment_proof.proof_reading(
            intent.detect_intent(caption, datetime.date(2026, 11, 18)), "yape.jpg")

    def test_captions_that_leave_a_proof(self):
        for caption in ("", "ya pagué", "aquí está el comprobante", "listo, gracias",
                        "ahi le mando el yape", "Here is the receipt", "ya pague 150 soles"):
            with self.subTest(caption=caption):
                result = self.reading(caption)
                self.assertEqual(result.intent, "paid")
                self.assertIn("file:yape.jpg", result.evidence)
                self.assertFalse(result.needs_person)
                self.assertGreaterEqual(result.confidence, payment_proof.CONFIDENCE)

    def test_captions_that_say_something_else(self):
        for caption in ("esta factura está mal", "¿a qué cuenta deposito?",
                        "quiero hablar con una persona", "le pago el viernes",
                        "ya pagué pero la factura está mal", "quiero pagar en cuotas"):
            with self.subTest(caption=caption):
                self.assertIsNone(self.reading(caption))

    def test_an_angry_caption_is_a_proof_a_person_also_sees(self):
        result = self.reading("ya pagué idiotas!!")
        self.assertEqual(result.intent, "paid")
        self.assertTrue(result.needs_person)

    def test_files_and_holds(self):
        self.assertTrue(payment_proof.is_proof_file("image/jpeg"))
        self.assertTrue(payment_proof.is_proof_file("application/pdf"))
        self.assertFalse(payment_proof.is_proof_file("audio/ogg; codecs=opus"))
        today = datetime.date(2026, 11, 18)
        self.assertEqual(payment_proof.hold_until(today), datetime.date(2026, 11, 20))
        later = datetime.date(2026, 12, 1)
        self.assertEqual(payment_proof.hold_until(today, later), later, "a later pause stays")


class ProofCommon(LiveAccountCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The reminders of these tests are not held back by the weekly cap: only the proof
        # holds them.
        cls.company.cobranza_frequency_cap = 10
        cls.move = cls._invoice(cls.customer, 300.0, days_overdue=4)
        cls.env["cobranza.cadence"]._run(cls.company, today=NOW.date(), now=NOW)
        cls.env["cobranza.message"]._process_queue(now=NOW)
        cls.reminder = cls.env["cobranza.message"].search(
            [("partner_id", "=", cls.customer.id), ("direction", "=", "out")])
        cls.accountant = cls.manager

    def send_file(self, media_id, content=JPEG, mime="image/jpeg", kind="image", caption=None,
                  filename=None, account=None, phone_number_id="PNID1", waba_id="WABA1"):
        """The customer sends a file on WhatsApp: Meta's webhook, the download from the mock."""
        self.mock.inbound_media[media_id] = (mime, content)
        payload = graph_mock.inbound_media_payload(
            WA_ID, media_id, kind=kind, mime_type=mime, caption=caption, filename=filename,
            phone_number_id=phone_number_id, waba_id=waba_id)
        self.env["cobranza.webhook.event"].sudo()._handle_payload(account or self.wa_account,
                                                                  payload)
        self.env["cobranza.message"]._process_queue()  # the automatic answer goes out
        return self.env["cobranza.message"].search(
            [("partner_id", "=", self.customer.id), ("direction", "=", "in")],
            order="id desc", limit=1)

    def proofs(self, partner=None):
        return self.env["cobranza.payment.proof"].sudo().search(
            [("partner_id", "=", (partner or self.customer).id)])

    def sent_texts(self):
        """What reached Meta as free-form messages, once the sender ran."""
        self.env["cobranza.message"]._process_queue()
        return [m for m in self.mock.sent_messages() if m["type"] != "template"]

    def run_cadence_later(self, days=1):
        later = fields.Datetime.now() + datetime.timedelta(days=days)
        return self.env["cobranza.cadence"]._run(self.company, today=later.date(), now=later)

    def register_payment(self, proof, user=None):
        """Confirm, as the accountant, through Odoo's payment register wizard."""
        action = proof.with_user(user or self.accountant).action_confirm()
        self.assertEqual(action["res_model"], "account.payment.register")
        wizard = Form(self.env["account.payment.register"].with_user(
            user or self.accountant).with_context(**action["context"]))
        return wizard, wizard.save()


@tagged("post_install", "-at_install")
class TestPaymentProof(ProofCommon):

    def test_an_image_after_a_reminder_is_a_proof_being_verified(self):
        self.assertEqual(self.reminder.state, "sent")
        steps = len(self.steps_for(self.move))
        inbound = self.send_file("9001")
        proof = self.proofs()
        self.assertEqual(len(proof), 1)
        self.assertEqual((proof.state, proof.company_id, proof.move_ids, proof.message_id),
                         ("pending", self.company, self.move, inbound))
        self.assertEqual(proof.attachment_ids.sudo().raw, JPEG)
        self.assertEqual((inbound.intent, inbound.needs_person), ("paid", False),
                         "a photo with no text after a reminder is not 'not understood'")
        self.assertIn("file:", inbound.intent_evidence)
        # The invoice: the file, the state, the pause.
        self.assertEqual(self.move.cobranza_proof_state, "verifying")
        self.assertIn(self.move, self.env["account.move"].search(
            [("cobranza_proof_state", "=", "verifying")]))
        self.assertIn(JPEG, self.move.message_ids.attachment_ids.sudo().mapped("raw"))
        self.assertGreater(self.move.cobranza_paused_until, fields.Date.today())
        # The accountant's activity carries the file.
        activity = proof.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref(
            "cobranza_whatsapp.mail_activity_type_payment_proof"))
        self.assertEqual(activity.user_id, self.env["cobranza.payment.notification"]
                         ._accountant_for(self.company))
        self.assertEqual(activity.attachment_ids.sudo().raw, JPEG)
        # The customer hears at once, in the window the file opened, as a reply to it.
        texts = [m for m in self.mock.sent_messages() if m["type"] == "text"]
        self.assertEqual(len(texts), 1, texts)
        self.assertIn("We received your proof of payment", texts[0]["text"]["body"])
        self.assertEqual(texts[0]["context"], {"message_id": inbound.wamid})
        self.assertFalse(self.mock.failed_statuses())
        # The cadence leaves the invoice alone while the proof is verified, day after day.
        self.run_cadence_later(days=1)
        self.move.sudo().cobranza_paused_until = False  # e.g. a plan cancelled meanwhile
        self.env["cobranza.payment.proof"]._cron_hold_reminders()
        self.assertEqual(self.move.cobranza_paused_until, proof.hold_until)
        self.run_cadence_later(days=1)
        self.assertEqual(len(self.steps_for(self.move)), steps, "no reminder step")
        self.assertFalse(self.env["cobranza.message"].search(
            [("move_ids", "=", self.move.id), ("state", "=", "queued")]))

    def test_confirm_registers_the_payment_with_odoo_and_thanks_the_customer(self):
        self.send_file("9002")
        proof = self.proofs()
        self.mock.reset()
        _form, wizard = self.register_payment(proof)
        self.assertEqual(wizard.amount, 300.0, "nothing written: the whole invoice")
        self.assertEqual(proof.state, "pending", "not before the payment is registered")
        wizard.action_create_payments()
        self.assertEqual(proof.state, "confirmed")
        self.assertEqual(proof.decided_by_id, self.accountant)
        self.assertEqual(len(proof.payment_ids), 1)
        self.assertIn(self.move.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.move.cobranza_proof_state, "confirmed")
        self.assertFalse(proof.activity_ids, "the verification is done")
        self.assertFalse(self.move.cobranza_paused_until, "the pause it had is given back")
        # The customer hears it once: in the window, as an answer (the payment is in the
        # bank's hands: Odoo's own thanks comes when the invoice is paid).
        texts = self.sent_texts()
        self.assertEqual(len(self.mock.sent_messages()), 1)
        self.assertIn("We confirmed your payment of", texts[0]["text"]["body"])
        self.assertIn("300.00", texts[0]["text"]["body"])
        self.assertEqual(self.env["cobranza.message"].search(
            [("partner_id", "=", self.customer.id), ("template_id.purpose", "=", "thanks")]
        ).mapped("state"), ["cancelled"], "the answer said it: Odoo's thanks is not sent")

    def test_confirm_outside_the_window_thanks_with_the_template(self):
        self.send_file("9012")
        proof = self.proofs()
        self.customer.with_company(self.company).sudo().cobranza_window_until = \
            fields.Datetime.now() - datetime.timedelta(hours=1)
        self.mock.reset()
        _form, wizard = self.register_payment(proof)
        wizard.action_create_payments()
        self.assertEqual(proof.state, "confirmed")
        queued = self.env["cobranza.message"].search(
            [("partner_id", "=", self.customer.id), ("template_id.purpose", "=", "thanks")])
        self.assertEqual(queued.mapped("state"), ["queued"], "one thanks, not two")
        # Sent in the customer's contact hours, as every template is.
        queued.sudo().scheduled_at = NOW
        self.env["cobranza.message"]._process_queue(now=NOW)
        thanks = self.env["cobranza.whatsapp.template"].search(
            [("company_id", "=", self.company.id), ("purpose", "=", "thanks")])
        self.assertEqual([m.get("template", {}).get("name")
                          for m in self.mock.sent_messages()], [thanks.name])
        self.assertFalse(self.mock.failed_statuses())

    def test_confirm_when_the_invoice_is_already_paid(self):
        self.send_file("9003")
        proof = self.proofs()
        self._pay(self.move, 300.0, fields.Date.today())
        self.mock.reset()
        self.assertTrue(proof.with_user(self.accountant).action_confirm())
        self.assertEqual(proof.state, "confirmed")
        self.assertFalse(proof.payment_ids)
        # The payment's own thanks went out already: no second one.
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(len(self.mock.sent_messages()), 1)

    def test_reject_tells_the_customer_why_and_reminders_resume(self):
        self.send_file("9004")
        proof = self.proofs()
        steps = len(self.steps_for(self.move))
        mine = proof.with_user(self.accountant)
        with self.assertRaises(UserError):
            mine.action_reject()
        mine.reason = "No vemos el depósito en la cuenta"
        self.mock.reset()
        mine.action_reject()
        self.assertEqual((proof.state, proof.decided_by_id), ("rejected", self.accountant))
        self.assertEqual(self.move.cobranza_proof_state, "rejected")
        self.assertFalse(proof.activity_ids)
        texts = self.sent_texts()
        self.assertEqual(len(texts), 1)
        self.assertIn("could not verify", texts[0]["text"]["body"])
        self.assertIn("No vemos el depósito en la cuenta", texts[0]["text"]["body"])
        self.assertFalse(self.move.cobranza_paused_until)
        self.run_cadence_later(days=1)
        self.assertGreater(len(self.steps_for(self.move)), steps, "the reminders resume")
        with self.assertRaises(UserError):
            mine.action_confirm()

    def test_reject_outside_the_window_asks_the_collector_to_call(self):
        self.send_file("9005")
        proof = self.proofs()
        self.customer.with_company(self.company).sudo().cobranza_window_until = \
            fields.Datetime.now() - datetime.timedelta(hours=1)
        proof.with_user(self.accountant).write({"reason": "Monto distinto"})
        self.mock.reset()
        proof.with_user(self.accountant).action_reject()
        self.assertFalse(self.sent_texts(), "no free-form message outside the window")
        call = self.customer.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(
            "cobranza_whatsapp.mail_activity_type_collection_call"))
        self.assertEqual(len(call), 1)
        self.assertIn("Monto distinto", str(call.note))

    def test_a_pdf_with_an_amount_prefills_the_payment(self):
        inbound = self.send_file("9006", content=PDF, mime="application/pdf", kind="document",
                                 filename="transferencia.pdf", caption="ya pagué 150")
        proof = self.proofs()
        self.assertEqual((proof.amount, inbound.intent), (150.0, "paid"))
        self.assertEqual(proof.attachment_ids.sudo().name, "transferencia.pdf")
        self.mock.reset()
        _form, wizard = self.register_payment(proof)
        self.assertEqual(wizard.amount, 150.0)
        wizard.action_create_payments()
        self.assertEqual((proof.state, self.move.payment_state), ("confirmed", "partial"))
        self.assertEqual(self.move.amount_residual, 150.0)
        self.assertFalse(self.move.cobranza_paused_until, "the rest is reminded again")
        texts = self.sent_texts()
        self.assertEqual(len(texts), 1)
        self.assertIn("We confirmed your payment of", texts[0]["text"]["body"])
        self.assertIn("150.00", texts[0]["text"]["body"])

    def test_the_same_file_twice_is_one_proof(self):
        self.send_file("9007")
        self.mock.reset()
        again = self.send_file("9008", caption="??")  # Meta gives each sending its own id
        proof = self.proofs()
        self.assertEqual(len(proof), 1)
        self.assertEqual(proof.received_again, 1)
        self.assertEqual(len(proof.activity_ids), 1)
        self.assertIn("Same file", again.action_taken)
        texts = self.sent_texts()
        self.assertEqual(len(texts), 1)
        self.assertIn("We already have this proof", texts[0]["text"]["body"])

    def test_a_file_with_a_dispute_is_not_a_proof(self):
        inbound = self.send_file("9009", caption="esta factura está mal")
        self.assertFalse(self.proofs())
        self.assertEqual(inbound.intent, "dispute")
        self.assertTrue(self.move.cobranza_disputed)
        self.assertFalse(self.move.cobranza_proof_state)

    def test_a_file_from_a_customer_never_reminded_goes_to_a_person(self):
        self.reminder.sudo().sent_at = fields.Datetime.now() - datetime.timedelta(
            days=payment_proof.AFTER_REMINDER_DAYS + 1)
        inbound = self.send_file("9010")
        self.assertFalse(self.proofs())
        self.assertEqual(inbound.intent, "unknown")
        self.assertTrue(inbound.needs_person)

    def test_who_sees_and_who_decides(self):
        self.send_file("9011")
        proof = self.proofs()
        collector = new_test_user(
            self.env, login="proof_collector", groups="cobranza_whatsapp.group_cobranza_user",
            company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        billing = new_test_user(
            self.env, login="proof_billing", groups="account.group_account_invoice",
            company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        seen = self.env["cobranza.payment.proof"].with_user(collector).search([])
        self.assertEqual(seen, proof)
        form = Form(proof.with_user(collector))  # the form, with its file, opens for them
        self.assertEqual(len(form.attachment_ids), 1)
        self.assertEqual(proof.attachment_ids.with_user(collector).raw, JPEG)
        Form(self.move.with_user(billing))  # the invoice with its proof, for billing
        self.assertTrue(self.move.with_user(collector).cobranza_proof_state)
        with self.assertRaises(AccessError):
            proof.with_user(collector).action_confirm()
        with self.assertRaises(AccessError):
            proof.with_user(collector).write({"reason": "x"})
        with self.assertRaises(AccessError):
            proof.with_user(billing).write({"amount": 1.0})
        self.assertEqual(proof.state, "pending")
        _form, wizard = self.register_payment(proof, user=billing)
        wizard.action_create_payments()
        self.assertEqual((proof.state, proof.decided_by_id), ("confirmed", billing))


@tagged("post_install", "-at_install")
class TestPaymentProofTwoCompanies(ProofCommon):
    """The proof is the company's whose number received it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.company_b._cobranza_load_defaults()
        cls.account_b = cls.env["cobranza.whatsapp.account"].sudo().create({
            "name": "B WhatsApp", "company_id": cls.company_b.id, "mode": "live",
            "phone_number_id": "PNID2", "waba_id": "WABA2", "rate_limit": 0,
            "api_url": cls.mock.url, "access_token": "token-b", "app_secret": "secret-b",
            "app_id": cls.mock.app_id,
        })
        allow_api_host(cls.env, cls.mock.url)
        cls.customer.with_company(cls.company_b).write({
            "cobranza_optin_date": NOW - datetime.timedelta(days=60),
            "cobranza_optin_source": "Contract with B"})
        cls.move_b = cls.env["account.move"].with_company(cls.company_b).create({
            "move_type": "out_invoice", "partner_id": cls.customer.id,
            "company_id": cls.company_b.id, "invoice_date": NOW.date(),
            "invoice_date_due": NOW.date(),
            "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1,
                                                 "price_unit": 800.0, "tax_ids": []})]})
        cls.move_b.action_post()
        reminder_b = cls.env["cobranza.message"].sudo().create({
            "partner_id": cls.customer.id, "company_id": cls.company_b.id,
            "channel": "whatsapp", "state": "queued", "account_id": cls.account_b.id,
            "move_ids": [Command.set(cls.move_b.ids)]})
        reminder_b._set_sending(account_id=cls.account_b.id)
        reminder_b._set_sent("wamid.B1")

    def test_a_proof_sent_to_b_is_b_s(self):
        self.send_file("9101", account=self.account_b, phone_number_id="PNID2",
                       waba_id="WABA2")
        proof = self.proofs()
        self.assertEqual((proof.company_id, proof.move_ids), (self.company_b, self.move_b))
        self.assertTrue(self.move_b.cobranza_paused_until)
        self.assertFalse(self.move.cobranza_paused_until, "company A's invoice is not held")
        self.assertEqual(self.move_b.sudo().cobranza_proof_state, "verifying")
        self.assertFalse(self.move.cobranza_proof_state)
        # Company A's people do not see it; the same file sent to A is A's own proof.
        self.assertFalse(self.env["cobranza.payment.proof"].with_user(self.accountant).search(
            [("id", "=", proof.id)]))
        self.send_file("9102")
        proofs = self.proofs()
        self.assertEqual(len(proofs), 2)
        self.assertEqual(set(proofs.mapped("company_id")), {self.company, self.company_b})
        self.assertEqual(proofs.filtered(lambda p: p.company_id == self.company).move_ids,
                         self.move)
