"""The customer asks, the product answers inside the window the customer opened: the balance,
an invoice's PDF, how to pay; what it is not sure of goes to a person. The answers reach the
strict loopback Graph API (tests/graph_mock.py), which refuses what Meta refuses."""

import datetime
from decimal import Decimal
from unittest.mock import patch

import freezegun

from odoo import Command
from odoo.tests import BaseCase, tagged
from odoo.tools.translate import code_translations

from ..tools import meta_api, self_service
from . import graph_mock
from .common import NOW, TODAY, LiveAccountCommon

D = Decimal


def _english(message, **params):
    return message % params if params else message


def _writer(locale="en_US"):
    return self_service.Writer(locale, _english)


def _invoice(ref, amount, due, move_id=1, url="https://x.test/my/invoices/1?access_token=t",
             currency="PEN", symbol="S/", **values):
    return self_service.Line("invoice", ref, D(amount), currency, symbol, due=due,
                             pay_url=url, move_id=move_id, **values)


# === WITHOUT A DATABASE: tools/self_service.py === #


def answer_of(inbound):
    """The automatic answer to a customer's message."""
    return inbound.search([("answer_to_id", "=", inbound.id)], limit=1)


@tagged("post_install", "-at_install")
class TestBalanceText(BaseCase):
    def test_overdue_apart_credits_netted(self):
        lines = [
            _invoice("F001-00000130", "500", TODAY + datetime.timedelta(days=10), 2,
                     url="https://x.test/pay/130"),
            _invoice("F001-00000123", "200", TODAY - datetime.timedelta(days=4), 1,
                     url="https://x.test/pay/123"),
            self_service.Line("credit_note", "NC01-00000004", D(50), "PEN", "S/"),
            self_service.Line("payment", "PBNK1/2026/00003", D(30), "PEN", "S/"),
        ]
        text = self_service.balance_message(lines, TODAY, _writer("es_PE"), name="María",
                                            company="Andina S.A.C.")
        self.assertIn("María, this is your balance with Andina S.A.C. on 18 nov. 2026:", text)
        overdue = text.index("*Overdue invoices*")
        not_due = text.index("*Invoices not yet due*")
        self.assertLess(overdue, text.index("F001-00000123"))
        self.assertLess(text.index("F001-00000123"), not_due)
        self.assertLess(not_due, text.index("F001-00000130"))
        self.assertIn("• F001-00000123: S/ 200.00, overdue since 14 nov. 2026\n"
                      "  Pay: https://x.test/pay/123", text)
        self.assertIn("• F001-00000130: S/ 500.00, due 28 nov. 2026\n"
                      "  Pay: https://x.test/pay/130", text)
        self.assertIn("Credit note NC01-00000004: -S/ 50.00", text)
        self.assertIn("Payment PBNK1/2026/00003 not yet applied: -S/ 30.00", text)
        self.assertTrue(text.endswith("Total to pay: S/ 620.00 (overdue: S/ 200.00)"), text)

    def test_currencies_are_not_added_together(self):
        lines = [_invoice("INV/1", "100", TODAY, 1),
                 _invoice("INV/2", "40", TODAY, 2, currency="USD", symbol="$"),
                 self_service.Line("payment", "P1", D(150), "PEN", "S/")]
        text = self_service.balance_message(lines, TODAY, _writer("es_PE"), name="A",
                                            company="B")
        self.assertIn("Total to pay: $ 40.00 USD", text)
        self.assertIn("Balance in your favour: S/ 50.00", text)

    def test_nothing_owed(self):
        text = self_service.balance_message([], TODAY, _writer(), name="María",
                                            company="Andina")
        self.assertEqual(text, "María, you have no pending invoices with Andina on "
                               "Nov 18, 2026.")

    def test_many_invoices_stay_within_a_message(self):
        lines = [_invoice(f"F001-{n:08d}", "10", TODAY - datetime.timedelta(days=n), n,
                          url="https://x.test/" + "p" * 300) for n in range(1, 40)]
        text = self_service.balance_message(lines, TODAY, _writer(), name="A", company="B",
                                            portal_url="https://x.test/my/invoices")
        self.assertLessEqual(len(text), self_service.TEXT_LIMIT)
        self.assertIn("And 29 more invoices: https://x.test/my/invoices", text)
        self.assertIn("F001-00000039", text, "the oldest debts are listed first")
        self.assertNotIn("F001-00000001", text)


@tagged("post_install", "-at_install")
class TestWhichInvoice(BaseCase):
    NAMES = {1: "F001-00000123", 2: "F001-00000130", 3: "INV/2026/00042",
             4: "INV/2025/00042"}

    def test_a_number_as_customers_write_it(self):
        cases = {
            "reenvíe la factura F001-123": [1],
            "me pasas la f001-00000130 porfa": [2],
            "la factura INV/2026/00042": [3],
            "la 42 por favor": [3, 4],  # both end alike: the customer chooses
            "la factura 130": [2],
            "mándame la factura": [],
            "la factura de S/ 130": [],
            "la de 130 soles": [],
            "la del 15/12": [],
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(self_service.invoices_named(text, self.NAMES), expected)

    def test_named_then_replied_then_open(self):
        self.assertEqual(self_service.invoices_to_send([3], [1], [1, 2]), ([3], False))
        self.assertEqual(self_service.invoices_to_send([], [1], [1, 2]), ([1], False))
        self.assertEqual(self_service.invoices_to_send([], [], [2]), ([2], False))
        self.assertEqual(self_service.invoices_to_send([], [], [1, 2]), ([1, 2], True))
        self.assertEqual(self_service.invoices_to_send([], [], []), ([], False))

    def test_the_list_is_what_meta_accepts(self):
        lines = [_invoice(f"FACTURA ELECTRONICA F001-{n:08d}", "1234567.5",
                          TODAY + datetime.timedelta(days=n - 6), n) for n in range(1, 13)]
        body, button, sections = self_service.invoice_choice(lines, TODAY, _writer("es_PE"))
        interactive = meta_api.list_message(body, button, sections)
        self.assertTrue(graph_mock._interactive_ok(interactive))
        rows = [row for _title, rows in sections for row in rows]
        self.assertEqual(len(rows), 10, "Meta's limit: the ten due first")
        self.assertEqual(rows[0][0], "INVOICE:1")
        self.assertEqual([title for title, _rows in sections],
                         ["Overdue invoices", "Invoices not yet due"])
        self.assertEqual(rows[0][2], "S/ 1,234,567.50, overdue since 13 nov. 2026")


@tagged("post_install", "-at_install")
class TestHowToPayText(BaseCase):
    ACCOUNT = self_service.BankAccount("BCP", "191-1234567-0-12", clearing="00219100123456701234",
                                       clearing_label="CCI", currency="PEN",
                                       holder="Andina S.A.C.")
    PROVIDER = self_service.Provider("Pagos en línea", ("Card", "Yape"))

    def test_text_first_then_accounts_and_links(self):
        text = self_service.how_to_pay_message(
            _writer(), company="Andina", text="Yape: 987 654 321", accounts=[self.ACCOUNT],
            providers=[self.PROVIDER], pay_lines=[_invoice("F1", "10", TODAY, 1)])
        self.assertTrue(text.startswith("Yape: 987 654 321\n\n*Bank transfer or deposit*"), text)
        self.assertIn("• BCP · Account 191-1234567-0-12 (PEN) · CCI 00219100123456701234 · "
                      "Holder: Andina S.A.C.", text)
        self.assertIn("*Online, with Card, Yape*\n• F1 (S/ 10.00): "
                      "https://x.test/my/invoices/1?access_token=t", text)

    def test_only_the_companys_text(self):
        text = self_service.how_to_pay_message(
            _writer(), company="Andina", text="Deposite en BCP 191-1", text_only=True,
            accounts=[self.ACCOUNT])
        self.assertEqual(text, "Deposite en BCP 191-1")

    def test_generated_when_there_is_no_text(self):
        iban = self_service.BankAccount("Santander", "ES9121000418450200051332", iban=True)
        text = self_service.how_to_pay_message(_writer(), company="Andina", accounts=[iban],
                                               text_only=True)
        self.assertEqual(text, "You can pay Andina like this:\n\n*Bank transfer or deposit*\n"
                               "• Santander · IBAN ES9121000418450200051332")

    def test_nothing_to_tell(self):
        self.assertEqual(self_service.how_to_pay_message(_writer(), company="Andina"), "")


# === WITH ODOO AND THE STRICT MOCK === #


class SelfServiceCommon(LiveAccountCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bcp = cls.env["res.bank"].create({"name": "BCP"})
        cls.bank_account = cls.env["res.partner.bank"].create({
            "partner_id": cls.company.partner_id.id, "bank_id": cls.bcp.id,
            "acc_number": "191-1234567-0-12", "clearing_number": "00219100123456701234",
        })
        cls.provider = cls.env["payment.provider"].create({
            "name": "Pagos en línea", "state": "test", "is_published": True,
            "company_id": cls.company.id,
        })

    def _wa(self, partner=None):
        return (partner or self.customer).phone.replace("+", "").replace(" ", "")

    def customer_writes(self, text, context_id=None, partner=None):
        payload = graph_mock.inbound_text_payload(self._wa(partner), text,
                                                  context_id=context_id)
        return self._deliver(payload, partner)

    def customer_taps(self, reply_id, title, kind="list_reply", partner=None):
        payload = graph_mock.inbound_interactive_payload(self._wa(partner), reply_id, title,
                                                         kind=kind)
        return self._deliver(payload, partner)

    def _deliver(self, payload, partner):
        self.env["cobranza.webhook.event"].sudo()._handle_payload(self.wa_account, payload)
        return self.env["cobranza.message"].search(
            [("partner_id", "=", (partner or self.customer).id), ("direction", "=", "in")],
            order="id desc", limit=1)

    def sent(self):
        """What Meta received, after the sender's run."""
        self.env["cobranza.message"]._process_queue()
        self.assertFalse(self.mock.failed_statuses(), "inside the window: Meta delivers")
        return self.mock.sent_messages()

    def answers(self, partner=None):
        return self.env["cobranza.message"].search(
            [("partner_id", "=", (partner or self.customer).id), ("auto_answer", "=", True)])

    def work_items(self, message):
        return self.env["cobranza.work.item"].search([("message_id", "=", message.id)])

    def assert_answered(self, inbound):
        self.assertFalse(inbound.needs_person, inbound.action_taken)
        self.assertFalse(self.customer.with_company(self.company).cobranza_handoff)
        self.assertFalse(self.work_items(inbound), "answered: not in the work queue")

    def assert_handed_over(self, inbound):
        self.assertTrue(inbound.needs_person)
        self.assertFalse(self.answers())
        self.assertTrue(self.work_items(inbound), "a person has it in the work queue")
        self.assertTrue(self.customer.with_company(self.company).activity_ids)

    def refund(self, partner, amount):
        move = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": partner.id, "company_id": self.company.id,
            "invoice_date": TODAY, "invoice_line_ids": [Command.create({
                "name": "Returned goods", "quantity": 1, "price_unit": amount, "tax_ids": []})],
        })
        move.action_post()
        return move

    def unapplied_payment(self, partner, amount):
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id,
            "amount": amount, "date": TODAY,
            "journal_id": self.company_data["default_journal_bank"].id,
        })
        payment.action_post()
        return payment


@tagged("post_install", "-at_install")
class TestBalance(SelfServiceCommon):
    def test_balance_nets_credit_notes_and_payments_as_odoo_counts(self):
        overdue = self._invoice(self.customer, 300.0, days_overdue=4)
        self._pay(overdue, 100.0, TODAY)  # partly paid: 200 left
        not_due = self._invoice(self.customer, 500.0, days_overdue=-10)
        credit_note = self.refund(self.customer, 50.0)
        payment = self.unapplied_payment(self.customer, 30.0)
        inbound = self.customer_writes("cuanto e debo")
        self.assertEqual(inbound.intent, "balance")
        sent = self.sent()
        self.assertEqual(len(sent), 1)
        self.assertEqual((sent[0]["type"], sent[0]["context"]),
                         ("text", {"message_id": inbound.wamid}))
        body = sent[0]["text"]["body"]
        self.assertLess(body.index("*Overdue invoices*"), body.index(overdue.name))
        self.assertLess(body.index(overdue.name), body.index("*Invoices not yet due*"))
        self.assertLess(body.index("*Invoices not yet due*"), body.index(not_due.name))
        self.assertIn(f"{overdue.name}: $200.00 USD, overdue since Nov 14, 2026", body)
        self.assertIn(f"{not_due.name}: $500.00 USD, due Nov 28, 2026", body)
        answer = answer_of(inbound)
        for move in overdue | not_due:
            # The pay link as the message carries it: its tracked short URL (link_tracker).
            self.assertIn(f"Pay: {move._cobranza_pay_url(answer)}", body)
        self.assertIn(f"Credit note {credit_note.name}: -$50.00 USD", body)
        self.assertIn(f"Payment {payment.move_id.name} not yet applied: -$30.00 USD", body)
        # The total is the customer's receivable as Odoo counts it.
        credit = self.customer.with_company(self.company).credit
        self.assertEqual(credit, 620.0)
        self.assertIn("Total to pay: $620.00 USD (overdue: $200.00 USD)", body)
        answer = self.answers()
        self.assertEqual((answer.state, answer.answer_to_id, answer.move_ids),
                         ("sent", inbound, overdue | not_due))
        self.assertEqual(inbound.action_taken, "Balance sent automatically")
        self.assert_answered(inbound)
        self.assertTrue(any("Automatic WhatsApp answer" in (body or "")
                            for body in overdue.message_ids.mapped("body")),
                        "the invoice's timeline shows the answer")

    def test_in_the_customers_language_and_formats(self):
        self.env["res.lang"]._activate_lang("es_PE")
        self.customer.lang = "es_PE"
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        self.customer_writes("me regala el saldo")
        body = self.sent()[0]["text"]["body"]
        self.assertIn(f"{move.name}: $ 300.00 USD", body)
        self.assertIn("14 nov. 2026", body)

    def test_answered_in_the_customers_language_else_the_companys(self):
        """The texts go through es.po in the customer's language (here a catalogue of two
        sentences stands for es.po), the company's when the customer has none."""
        self.env["res.lang"]._activate_lang("es_PE")
        spanish = {self_service.BALANCE_INTRO: "%(name)s, este es su saldo con %(company)s "
                                               "al %(date)s:",
                   self_service.OVERDUE: "Facturas vencidas"}
        self._invoice(self.customer, 300.0, days_overdue=4)
        with patch.dict(code_translations.python_translations,
                        {("cobranza_whatsapp", "es_PE"): spanish}):
            self.customer.lang = "es_PE"
            self.customer_writes("cuánto debo")
            self.customer.lang = False
            self.company.partner_id.lang = "es_PE"
            self.customer_writes("cuánto debo")
            self.company.partner_id.lang = "en_US"
            self.customer_writes("cuánto debo")
        self.assertEqual(len(self.sent()), 3)
        bodies = self.answers().sorted("id").mapped("body")
        for body in bodies[:2]:
            self.assertTrue(body.startswith("María Quispe, este es su saldo con "), body)
            self.assertIn("al 18 nov. 2026:\n\n*Facturas vencidas*", body)
        self.assertTrue(bodies[2].startswith("María Quispe, this is your balance with "))

    def test_nothing_owed_is_said(self):
        inbound = self.customer_writes("q facturas tengo pendientes")
        body = self.sent()[0]["text"]["body"]
        self.assertIn("you have no pending invoices with", body)
        self.assert_answered(inbound)

    def test_switched_off_or_for_a_person_goes_to_a_person(self):
        self._invoice(self.customer, 300.0, days_overdue=4)
        self.company.cobranza_auto_answers = False
        inbound = self.customer_writes("cuánto debo?")
        self.assertEqual(inbound.intent, "balance")
        self.assert_handed_over(inbound)
        self.company.cobranza_auto_answers = True
        self.company.cobranza_intent_balance = "person"
        inbound = self.customer_writes("mi saldo porfa")
        self.assert_handed_over(inbound)
        self.assertFalse(self.sent())

    def test_a_question_with_a_request_goes_to_a_person(self):
        self._invoice(self.customer, 300.0, days_overdue=4)
        inbound = self.customer_writes("cuánto debo? no puedo pagar todo")
        self.assert_handed_over(inbound)


@tagged("post_install", "-at_install")
class TestInvoiceCopy(SelfServiceCommon):
    def test_the_invoice_of_the_reminder_replied_to(self):
        reminder = self.queue_reminder()
        other = self._invoice(self.customer, 80.0, days_overdue=1)
        self.env["cobranza.message"]._process_queue()
        self.mock.reset()
        inbound = self.customer_writes("pasame la factura plis", context_id=reminder.wamid)
        self.assertEqual(inbound.intent, "invoice_copy")
        sent = self.sent()
        self.assertEqual(len(sent), 1)
        move = reminder.move_ids
        self.assertNotEqual(move, other)
        self.assertEqual(sent[0]["type"], "document")
        self.assertEqual(sent[0]["context"], {"message_id": inbound.wamid})
        document = sent[0]["document"]
        self.assertEqual(document["filename"], move.name.replace("/", "_") + ".pdf")
        self.assertIn(move._cobranza_pay_url(answer_of(inbound)), document["caption"])
        self.assertIn(document["id"], self.mock.media_ids, "the PDF was uploaded to Meta")
        self.assert_answered(inbound)

    def test_the_invoice_named_by_its_number(self):
        first = self._invoice(self.customer, 100.0, days_overdue=10)
        second = self._invoice(self.customer, 200.0, days_overdue=2)
        number = second.name.rsplit("/", 1)[-1].lstrip("0")
        inbound = self.customer_writes(f"reenvíe la factura {number} por favor")
        sent = self.sent()
        self.assertEqual(sent[0]["document"]["filename"],
                         second.name.replace("/", "_") + ".pdf")
        self.assertEqual(self.answers().move_ids, second)
        self.assertNotEqual(first, second)
        self.assert_answered(inbound)

    def test_several_open_then_the_customers_choice(self):
        late = self._invoice(self.customer, 100.0, days_overdue=10)
        soon = self._invoice(self.customer, 200.0, days_overdue=-5)
        inbound = self.customer_writes("me pasas la factura?")
        sent = self.sent()
        self.assertEqual(sent[0]["type"], "interactive")
        interactive = sent[0]["interactive"]
        self.assertEqual(interactive["type"], "list")
        sections = interactive["action"]["sections"]
        self.assertEqual([s["title"] for s in sections],
                         ["Overdue invoices", "Invoices not yet due"])
        self.assertEqual([row["id"] for s in sections for row in s["rows"]],
                         [f"INVOICE:{late.id}", f"INVOICE:{soon.id}"])
        self.assertEqual(sections[1]["rows"][0]["title"], soon.name)
        self.assert_answered(inbound)
        self.mock.reset()
        choice = self.customer_taps(f"INVOICE:{soon.id}", soon.name)
        self.assertEqual((choice.intent, choice.needs_person), ("invoice_copy", False))
        sent = self.sent()
        self.assertEqual(sent[0]["type"], "document")
        self.assertEqual(sent[0]["document"]["filename"], soon.name.replace("/", "_") + ".pdf")

    def test_a_row_naming_someone_elses_invoice_goes_to_a_person(self):
        stranger = self._customer("Otro Cliente", "+51 912 345 678", self.pe)
        theirs = self._invoice(stranger, 100.0, days_overdue=3)
        self._invoice(self.customer, 50.0, days_overdue=3)
        inbound = self.customer_taps(f"INVOICE:{theirs.id}", theirs.name)
        self.assert_handed_over(inbound)
        self.assertFalse(self.sent())

    def test_no_invoice_at_all_goes_to_a_person(self):
        inbound = self.customer_writes("mándame la factura")
        self.assert_handed_over(inbound)


@tagged("post_install", "-at_install")
class TestHowToPay(SelfServiceCommon):
    def test_bank_accounts_and_online_payment_with_the_pay_links(self):
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        self.company.cobranza_how_to_pay_text = "Yape / Plin: 987 654 321 (Andina S.A.C.)"
        inbound = self.customer_writes("a que cuenta les consigno")
        self.assertEqual(inbound.intent, "how_to_pay")
        body = self.sent()[0]["text"]["body"]
        self.assertTrue(body.startswith("Yape / Plin: 987 654 321 (Andina S.A.C.)\n\n"), body)
        self.assertIn("• BCP · Account 191-1234567-0-12 · CCI 00219100123456701234 · Holder: "
                      f"{self.company.name}", body)
        self.assertIn("*Online, with Pagos en línea*", body)
        self.assertIn(f"{move.name} ($300.00 USD): {move._cobranza_pay_url(answer_of(inbound))}",
                      body)
        self.assert_answered(inbound)

    def test_only_the_companys_text(self):
        self.company.cobranza_how_to_pay_text = "Deposite en la cuenta BCP 191-1"
        self.company.cobranza_how_to_pay_text_only = True
        self.provider.state = "disabled"
        self.customer_writes("me das el CCI")
        self.assertEqual(self.sent()[0]["text"]["body"], "Deposite en la cuenta BCP 191-1")

    def test_nothing_to_tell_goes_to_a_person(self):
        self.bank_account.unlink()
        self.provider.state = "disabled"
        inbound = self.customer_writes("aceptan yape?")
        self.assert_handed_over(inbound)


@tagged("post_install", "-at_install")
class TestTwoCompanies(SelfServiceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        data_b = cls.setup_other_company(name="Company B")
        cls.company_b = data_b["company"]
        cls.env["res.partner.bank"].create({
            "partner_id": cls.company_b.partner_id.id, "acc_number": "B-999-888-777",
        })
        cls.env["payment.provider"].create({
            "name": "B Pagos", "state": "enabled", "is_published": True,
            "company_id": cls.company_b.id})
        cls.move_b = cls._dated_invoice(
            700.0, TODAY - datetime.timedelta(days=40), TODAY - datetime.timedelta(days=5),
            company_data=data_b)

    def test_company_bs_invoices_and_accounts_are_never_in_as_answers(self):
        move_a = self._invoice(self.customer, 300.0, days_overdue=4)
        self.customer_writes("estado de cuenta")
        self.customer_writes("datos para transferencia")
        self.customer_writes("necesito el pdf")
        sent = self.sent()  # posted in parallel: in any order
        texts = [message["text"]["body"] for message in sent if message["type"] == "text"]
        balance = next(text for text in texts if "Total to pay" in text)
        self.assertIn(move_a.name, balance)
        self.assertNotIn("700.00", balance, "company B's invoice")
        self.assertIn("$300.00 USD", balance.rsplit("\n", 1)[-1])
        body = next(text for text in texts if "Bank transfer" in text)
        self.assertIn("191-1234567-0-12", body)
        self.assertNotIn("B-999-888-777", body)
        self.assertNotIn("B Pagos", body)
        document = next(message for message in sent if message["type"] == "document")
        self.assertEqual(document["document"]["filename"], move_a.name.replace("/", "_") + ".pdf")
