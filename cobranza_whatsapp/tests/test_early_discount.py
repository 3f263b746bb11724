"""Odoo's early-payment discount in the friendly reminder: the discounted amount and its
deadline as Odoo computes them, in a template of its own, and the early payment closed with
Odoo's discount line when the payment webhook brings it."""

import datetime
import hashlib
import hmac
import json

import freezegun

from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import NOW, TODAY, CobranzaCommon, LiveAccountCommon

DAY = datetime.timedelta(days=1)
SECRET = "pay-secret-early-discount"


class EarlyDiscountCommon(CobranzaCommon):
    """A payment term of 5 % if paid within 28 days, net 30; an invoice of 1,000 dated 27
    days ago: due in 3 days (the friendly reminder's day), the discount open until
    tomorrow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.term = cls._epd_term(cls.company)
        cls.preventive = cls.level_by_offset[-3]
        cls.discount_template = cls.preventive.early_discount_template_id

    @classmethod
    def _epd_term(cls, company):
        return cls.env["account.payment.term"].create({
            "name": "5% within 28 days, net 30", "company_id": company.id,
            "early_discount": True, "discount_percentage": 5, "discount_days": 28,
            "line_ids": [Command.create({"value": "percent", "value_amount": 100,
                                         "nb_days": 30})],
        })

    @classmethod
    def _epd_invoice(cls, amount=1000.0, invoice_date=None, partner=None, term=None):
        move = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": (partner or cls.customer).id,
            "company_id": cls.company.id,
            "invoice_date": invoice_date or TODAY - datetime.timedelta(days=27),
            "invoice_payment_term_id": (term or cls.term).id,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1,
                                                 "price_unit": amount, "tax_ids": []})],
        })
        move.action_post()
        return move

    def values(self, moves, template=None):
        return (template or self.discount_template)._render_values_for(
            self.customer, moves, self.company)


@tagged("post_install", "-at_install")
class TestEarlyDiscountValues(EarlyDiscountCommon):
    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_the_discounted_amount_and_its_deadline_while_open(self):
        move = self._epd_invoice()
        self.assertEqual(move.invoice_date_due, TODAY + 3 * DAY)
        values = self.values(move)
        self.assertIs(values["early_discount_active"], True)
        # A Spanish template to a Peruvian customer: Peru's formats.
        self.assertEqual(values["early_discount_amount"], "$ 950.00 USD")
        self.assertEqual(values["early_discount_date"], "19 de noviembre de 2026")
        self.assertEqual(values["amount_due"], "$ 1,000.00 USD", "what is owed stays what it is")

    def test_nothing_once_the_deadline_passed(self):
        move = self._epd_invoice()
        with freezegun.freeze_time(NOW + 2 * DAY):
            values = self.values(move)
            self.assertIs(values["early_discount_active"], False)
            self.assertEqual((values["early_discount_amount"], values["early_discount_date"]),
                             ("", ""))

    def test_nothing_after_a_partial_payment_as_odoo_rules(self):
        move = self._epd_invoice()
        self._pay(move, 100.0, TODAY)
        self.assertIs(self.values(move)["early_discount_active"], False)

    def test_nothing_without_the_terms_or_for_several_invoices(self):
        plain = self._invoice(self.customer, 1000.0, days_overdue=-3)
        self.assertIs(self.values(plain)["early_discount_active"], False)
        self.assertIs(self.values(plain | self._epd_invoice())["early_discount_active"], False)

    def test_nothing_when_the_company_switches_it_off(self):
        move = self._epd_invoice()
        self.company.cobranza_early_discount = False
        self.assertEqual(self.values(move)["early_discount_amount"], "")


@tagged("post_install", "-at_install")
class TestEarlyDiscountReminder(EarlyDiscountCommon):
    """The cadence sends the level's discount template while the discount is open."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def test_the_friendly_reminder_takes_the_discount_template(self):
        move = self._epd_invoice()
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        plain = self._invoice(other, 1000.0, days_overdue=-3)
        self.run_cadence()
        (message,) = self.messages_for(self.customer)
        self.assertEqual((message.move_ids, message.level_id), (move, self.preventive))
        self.assertEqual(message.template_id, self.discount_template)
        self.assertEqual(message.template_id.name, "recordatorio_preventivo_descuento")
        self.assertEqual(message.template_id.company_id, self.company)
        self.assertEqual(self.messages_for(other).move_ids, plain)
        self.assertEqual(self.messages_for(other).template_id, self.preventive.template_id)

    def test_a_discount_already_ended_gets_the_usual_reminder(self):
        self._epd_invoice(invoice_date=TODAY - datetime.timedelta(days=29))  # ended yesterday
        self.run_cadence()
        self.assertEqual(self.messages_for(self.customer).template_id,
                         self.preventive.template_id)

    def test_the_company_switches_it_off(self):
        self.company.cobranza_early_discount = False
        self._epd_invoice()
        self.run_cadence()
        self.assertEqual(self.messages_for(self.customer).template_id,
                         self.preventive.template_id)

    def test_each_company_has_its_own_discount_template(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        company_b._cobranza_load_defaults()
        level_b = self.env["cobranza.level"].search([("company_id", "=", company_b.id),
                                                     ("offset_days", "=", -3)])
        self.assertEqual(level_b.early_discount_template_id.company_id, company_b)
        self.assertEqual(level_b.early_discount_template_id.name, self.discount_template.name)
        self.assertNotEqual(level_b.early_discount_template_id, self.discount_template)


@tagged("post_install", "-at_install")
class TestEarlyDiscountSent(EarlyDiscountCommon, LiveAccountCommon):
    """What Meta receives (the strict loopback mock): the approved discount template with
    every variable filled."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def queue(self):
        move = self._epd_invoice()
        self.run_cadence()
        message = self.messages_for(self.customer)
        message.scheduled_at = NOW - datetime.timedelta(minutes=1)
        return move, message

    def test_the_payload_tells_the_discounted_amount_and_its_deadline(self):
        move, message = self.queue()
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent", message.error_message)
        (payload,) = self.mock.sent_messages()
        self.assertEqual(payload["template"]["name"], "recordatorio_preventivo_descuento")
        body = next(c for c in payload["template"]["components"] if c["type"] == "body")
        self.assertEqual([p["text"] for p in body["parameters"]], [
            "María Quispe", self.company.name, move.name, "$ 1,000.00 USD",
            "21 de noviembre de 2026", "19 de noviembre de 2026", "$ 950.00 USD"])
        self.assertIn("el monto a pagar es $ 950.00 USD", message.body)

    def test_a_deadline_gone_by_when_it_leaves_is_never_told(self):
        """Queued while open, held past the deadline: the level's usual reminder goes
        instead, with no discount and no lapsed deadline."""
        _move, message = self.queue()
        with freezegun.freeze_time(NOW + 2 * DAY):
            self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "sent", message.error_message)
        (payload,) = self.mock.sent_messages()
        self.assertEqual(payload["template"]["name"], message.level_id.template_id.name)
        self.assertEqual(message.template_id, message.level_id.template_id)
        self.assertNotIn("950", message.body)


@tagged("post_install", "-at_install")
class TestEarlyPaymentWebhook(EarlyDiscountCommon, HttpCase):
    """A bank's notice of the discounted amount within the deadline pays the invoice in
    full, with Odoo's early-payment discount line, as Register Payment does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().cobranza_payment_webhook_secret = SECRET

    def post(self, move, amount, event_id="evt-epd-1"):
        data = json.dumps({
            "id": event_id, "invoice": move.name, "amount": amount,
            "currency": move.currency_id.name, "date": NOW.date().isoformat(),
            "reference": f"OP-{event_id}", "payer": {"name": "María Quispe"},
        }).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
        response = self.url_open("/cobranza_whatsapp/payment", data=data, headers={
            "Content-Type": "application/json", "X-Cobranza-Signature": signature})
        self.env.invalidate_all()
        return response.json()

    def test_the_discounted_amount_within_the_deadline_pays_the_invoice(self):
        move = self._epd_invoice()
        answer = self.post(move, "950.00")
        self.assertEqual(answer["result"], "reconciled", answer)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.amount_residual, 0.0)
        payment = self.env["cobranza.payment.notification"].search(
            [("external_id", "=", "evt-epd-1")]).payment_ids
        self.assertAlmostEqual(payment.amount, 950.0)
        discount_account = self.company.account_journal_early_pay_discount_loss_account_id
        self.assertTrue(discount_account)
        discount = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == discount_account)
        self.assertAlmostEqual(discount.debit, 50.0)

    def test_the_discounted_amount_after_the_deadline_is_a_partial_payment(self):
        move = self._epd_invoice(invoice_date=TODAY - datetime.timedelta(days=29))
        answer = self.post(move, "950.00", event_id="evt-epd-2")
        self.assertEqual(answer["result"], "partial", answer)
        self.assertAlmostEqual(move.amount_residual, 50.0)


@tagged("post_install", "-at_install")
class TestEarlyDiscountSmsMail(EarlyDiscountCommon):
    """The shipped SMS and e-mail reminders say the discounted amount and its deadline while
    the discount is open, nothing once it closed."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    def render(self, move):
        sms = self.env.ref("cobranza_whatsapp.sms_template_reminder")
        mail = self.env.ref("cobranza_whatsapp.mail_template_reminder")
        return (sms._render_field("body", move.ids)[move.id],
                mail._render_field("body_html", move.ids)[move.id])

    def test_open_discount_is_told_then_not(self):
        move = self._epd_invoice()
        sms, mail = self.render(move)
        self.assertIn("950.00", sms)
        self.assertIn("950.00", mail)
        with freezegun.freeze_time(NOW + 3 * DAY):
            sms, mail = self.render(move)
        self.assertNotIn("950.00", sms)
        self.assertNotIn("950.00", mail)
        self.company.cobranza_early_discount = False
        sms, mail = self.render(move)
        self.assertNotIn("950.00", sms)
