"""Automatic answers inside the customer service window: text, reply buttons, lists and the
invoice PDF, built to Meta's limits and checked by the strict loopback mock."""

from odoo.tests import BaseCase, tagged

from ..tools import intent, meta_api
from . import graph_mock
from .common import LiveAccountCommon


def _buttons(n, title="Opción"):
    return [(f"ID{i}", f"{title} {i}") for i in range(n)]


class TestInteractiveBuilders(BaseCase):
    """The builders refuse what Meta refuses, and the mock (written apart from them) agrees
    on every case."""

    def assert_both(self, accepted, build):
        if accepted:
            interactive = build()
            self.assertTrue(graph_mock._interactive_ok(interactive), interactive)
        else:
            with self.assertRaises(meta_api.PayloadError):
                build()

    def test_reply_buttons_limits(self):
        cases = [
            (True, lambda: meta_api.reply_buttons("¿Qué desea?", _buttons(3))),
            (True, lambda: meta_api.reply_buttons("x" * 1024, _buttons(1), header="h" * 60,
                                                  footer="f" * 60)),
            (False, lambda: meta_api.reply_buttons("¿Qué desea?", _buttons(4))),
            (False, lambda: meta_api.reply_buttons("¿Qué desea?", [])),
            (False, lambda: meta_api.reply_buttons("x" * 1025, _buttons(1))),
            (False, lambda: meta_api.reply_buttons("ok", [("A", "t" * 21)])),
            (False, lambda: meta_api.reply_buttons("ok", [("A", "Sí"), ("A", "No")])),
            (False, lambda: meta_api.reply_buttons("ok", [("A", "Sí"), ("B", "Sí")])),
            (False, lambda: meta_api.reply_buttons("ok", [(" A", "Sí")])),
            (False, lambda: meta_api.reply_buttons("ok", [("A" * 257, "Sí")])),
            (False, lambda: meta_api.reply_buttons("", _buttons(1))),
            (False, lambda: meta_api.reply_buttons("ok", _buttons(1), header="h" * 61)),
        ]
        for accepted, build in cases:
            with self.subTest(accepted=accepted):
                self.assert_both(accepted, build)

    def test_list_limits(self):
        rows = [(f"R{i}", f"Factura {i}", "S/ 100.00 vence 05/12") for i in range(10)]
        cases = [
            (True, lambda: meta_api.list_message("Sus facturas", "Ver facturas",
                                                 [("", rows)])),
            (True, lambda: meta_api.list_message("Sus facturas", "Ver", [
                ("Vencidas", rows[:4]), ("Por vencer", rows[4:])])),
            (False, lambda: meta_api.list_message("Sus facturas", "Ver", [
                ("", rows), ("Más", [("R99", "Otra", "")])])),
            (False, lambda: meta_api.list_message("Sus facturas", "Ver", [
                ("", rows[:2]), ("", rows[2:4])])),
            (False, lambda: meta_api.list_message("Sus facturas", "b" * 21, [("", rows)])),
            (False, lambda: meta_api.list_message("Sus facturas", "Ver", [
                ("", [("R1", "t" * 25, "")])])),
            (False, lambda: meta_api.list_message("Sus facturas", "Ver", [
                ("", [("R1", "t", "d" * 73)])])),
            (False, lambda: meta_api.list_message("Sus facturas", "Ver", [
                ("", [("R1", "a", ""), ("R1", "b", "")])])),
            (False, lambda: meta_api.list_message("x" * 4097, "Ver", [("", rows)])),
        ]
        for accepted, build in cases:
            with self.subTest(accepted=accepted):
                self.assert_both(accepted, build)

    def test_shorten_fits_a_title(self):
        self.assertEqual(meta_api.shorten("Factura F/2026/00042", 24), "Factura F/2026/00042")
        cut = meta_api.shorten("Inversiones y Servicios del Sur S.A.C.", 20)
        self.assertEqual(len(cut), 20)
        self.assertTrue(cut.endswith("…"))

    def test_document_needs_the_file(self):
        with self.assertRaises(meta_api.PayloadError):
            meta_api.build_document_payload("51987654321", {"filename": "F.pdf"})
        payload = meta_api.build_document_payload("51987654321", {"id": "1", "filename": "F.pdf"},
                                                  caption="Su factura", reply_to="wamid.IN1")
        self.assertEqual(payload["document"],
                         {"id": "1", "filename": "F.pdf", "caption": "Su factura"})
        self.assertEqual(payload["context"], {"message_id": "wamid.IN1"})

    def test_error_is_translated_with_its_parts(self):
        with self.assertRaises(meta_api.PayloadError) as caught:
            meta_api.reply_buttons("ok", [("A", "t" * 21)])
        self.assertEqual(str(caught.exception),
                         "A button's title must have 1 to 20 characters.")


@tagged("post_install", "-at_install")
class TestAutomaticAnswers(LiveAccountCommon):
    """`_answer` on a customer's message: queued, sent once through the sender, threaded to
    the customer's message, logged on the customer and the invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.move = cls._invoice(cls.customer, 300.0, days_overdue=4)
        # These tests write the answers themselves: the questions are only recorded (the
        # automation's own answers are tests/test_self_service.py's).
        cls.company.write({f"cobranza_intent_{name}": "none"
                           for name in intent.SELF_SERVICE_INTENTS})

    def _wa(self):
        return self.customer.phone.replace("+", "").replace(" ", "")

    def _customer_writes(self, text):
        payload = graph_mock.inbound_text_payload(self._wa(), text)
        self.env["cobranza.webhook.event"].sudo()._handle_payload(self.wa_account, payload)
        return self.env["cobranza.message"].search(
            [("partner_id", "=", self.customer.id), ("direction", "=", "in")],
            order="id desc", limit=1)

    def _answers(self):
        return self.env["cobranza.message"].search(
            [("partner_id", "=", self.customer.id), ("auto_answer", "=", True)])

    def test_buttons_answer_reaches_meta_as_a_reply(self):
        inbound = self._customer_writes("hola, una consulta")
        inbound.move_ids = self.move
        answer = inbound._answer("¿En qué le ayudo?", buttons=[
            ("BALANCE", "Mi saldo"), ("INVOICE", "Mi factura"), ("PERSON", "Un asesor")])
        self.assertEqual((answer.kind, answer.state, answer.answer_to_id),
                         ("interactive", "queued", inbound))
        self.assertIn("[Mi saldo]", answer.body, "the conversation shows the buttons")
        self.env["cobranza.message"]._process_queue()
        sent = self.mock.sent_messages()
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["type"], "interactive")
        self.assertEqual(sent[0]["context"], {"message_id": inbound.wamid})
        self.assertEqual([b["reply"]["id"] for b in sent[0]["interactive"]["action"]["buttons"]],
                         ["BALANCE", "INVOICE", "PERSON"])
        self.assertEqual(answer.state, "sent")
        self.assertFalse(self.mock.failed_statuses(), "inside the window: Meta delivers it")
        notes = self.move.message_ids.mapped("body")
        self.assertTrue(any("Automatic WhatsApp answer" in (n or "") for n in notes),
                        "the invoice's timeline shows the answer")

    def test_invoice_copy_goes_as_a_document(self):
        inbound = self._customer_writes("mandame la factura porfa")
        answer = inbound._answer("Aquí tiene su factura.", document_moves=self.move)
        self.assertEqual((answer.kind, answer.move_ids), ("document", self.move))
        self.env["cobranza.message"]._process_queue()
        uploads = [r for r in self.mock.requests if r["path"].endswith("/media")]
        self.assertEqual(len(uploads), 1, "the PDF is uploaded to Meta first")
        sent = self.mock.sent_messages()[0]
        self.assertEqual(sent["type"], "document")
        self.assertEqual(sent["document"]["filename"], self.move.name.replace("/", "_") + ".pdf")
        self.assertEqual(sent["document"]["caption"], "Aquí tiene su factura.")
        self.assertEqual(answer.state, "sent")

    def test_no_answer_outside_the_window_or_when_switched_off(self):
        inbound = self._customer_writes("cuanto debo")
        self.company.cobranza_auto_answers = False
        self.assertFalse(inbound._answer("Su saldo es S/ 300.00"))
        self.company.cobranza_auto_answers = True
        self.customer.with_company(self.company).sudo().cobranza_window_until = \
            "2020-01-01 00:00:00"
        self.assertFalse(inbound._answer("Su saldo es S/ 300.00"))
        self.assertFalse(self._answers())

    def test_a_message_meta_would_refuse_is_not_queued(self):
        inbound = self._customer_writes("hola")
        self.assertFalse(inbound._answer("Elija", buttons=_buttons(4)))
        self.assertFalse(self._answers())

    def test_meta_fails_free_form_outside_its_window(self):
        """Odoo believes the window is open (set by hand) but the customer never wrote to
        Meta: Meta takes the text, then fails it with 131047; the message ends failed, with
        no fallback to another channel."""
        self.customer.with_company(self.company).sudo().cobranza_window_until = \
            "2999-01-01 00:00:00"
        message = self.env["cobranza.message"]._send_text(self.customer, "Hola María")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent")
        failed = self.mock.failed_statuses()
        self.assertEqual(len(failed), 1)
        self.env["cobranza.webhook.event"].sudo()._handle_payload(
            self.wa_account, graph_mock.status_payload(failed))
        self.assertEqual((message.state, message.error_code), ("failed", 131047))
        self.assertFalse(self.env["cobranza.message"].search(
            [("fallback_of_id", "=", message.id)]))
