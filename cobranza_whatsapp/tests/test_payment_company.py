import datetime
import hashlib
import hmac
import json

from odoo import Command
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import BaseCase, HttpCase, tagged

from ..tools import payment_notice
from .common import NOW, TODAY, CobranzaCommon

SECRET_A = "pay-secret-of-company-a"
SECRET_B = "pay-secret-of-company-b"
URL = "/cobranza_whatsapp/payment"


class TestPaymentDates(BaseCase):
    """A payment date that cannot be true, judged without a database."""

    def test_future_and_before_invoice(self):
        issued, today = datetime.date(2026, 10, 1), datetime.date(2026, 11, 18)
        self.assertEqual(payment_notice.date_problem(datetime.date(2099, 12, 15), issued, today),
                         "future")
        self.assertEqual(payment_notice.date_problem(datetime.date(1, 1, 1), issued, today),
                         "before_invoice")
        self.assertEqual(payment_notice.date_problem(today + datetime.timedelta(days=1), issued,
                                                     today), "future")
        self.assertIsNone(payment_notice.date_problem(today, issued, today))
        self.assertIsNone(payment_notice.date_problem(issued, issued, today))
        self.assertIsNone(payment_notice.date_problem(datetime.date(2020, 1, 1), None, today))


@tagged("post_install", "-at_install")
class TestPaymentCompany(CobranzaCommon, HttpCase):
    """Two companies sharing a customer, each with its own payment webhook secret: a notice
    pays only the invoices of the company whose secret signs it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data_b = cls.setup_other_company(name="Company B")
        cls.company_b = cls.data_b["company"]
        cls.bank = cls.company_data["default_journal_bank"]
        cls.bank_b = cls.data_b["default_journal_bank"]
        cls.company.sudo().cobranza_payment_webhook_secret = SECRET_A
        cls.company_b.sudo().cobranza_payment_webhook_secret = SECRET_B
        cls.customer.company_id = False  # a customer of both companies
        # The first invoice of each company: the same number in both.
        cls.move_a = cls._invoice(cls.customer, 500.0, days_overdue=5)
        cls.move_b = cls._invoice_b(500.0)
        assert cls.move_a.name == cls.move_b.name, (cls.move_a.name, cls.move_b.name)
        cls.billing_a = new_test_user(
            cls.env, login="billing_a", groups="account.group_account_invoice",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Beatriz Billing")

    @classmethod
    def _invoice_b(cls, amount):
        move = cls.env["account.move"].with_company(cls.company_b).create({
            "move_type": "out_invoice",
            "partner_id": cls.customer.id,
            "company_id": cls.company_b.id,
            "journal_id": cls.data_b["default_journal_sale"].id,
            "invoice_date": TODAY - datetime.timedelta(days=35),
            "invoice_date_due": TODAY - datetime.timedelta(days=5),
            "invoice_line_ids": [Command.create({
                "name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": [],
            })],
        })
        move.action_post()
        return move

    def post(self, body, secret=SECRET_A):
        data = json.dumps(body).encode()
        signature = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        response = self.url_open(URL, data=data, headers={
            "Content-Type": "application/json", "X-Cobranza-Signature": signature})
        self.env.invalidate_all()
        return response

    def notice(self, invoice, amount="500.00", event_id="evt-1", **extra):
        return {"id": event_id, "invoice": invoice, "amount": amount,
                "currency": self.move_a.currency_id.name, "date": NOW.date().isoformat(),
                "reference": "OP-778899", "payer": {"name": "María Quispe"}, **extra}

    def notification(self, event_id, company):
        return self.env["cobranza.payment.notification"].sudo().search(
            [("external_id", "=", event_id), ("company_id", "=", company.id)])

    # === one secret, one company === #

    def test_same_number_is_paid_in_the_secrets_company(self):
        response = self.post(self.notice(self.move_a.name), secret=SECRET_B)
        self.assertEqual(response.json()["result"], "reconciled")
        self.assertIn(self.move_b.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.move_a.payment_state, "not_paid",
                         "the same number in the other company is not an exception, nor paid")
        notification = self.notification("evt-1", self.company_b)
        self.assertEqual(notification.move_ids, self.move_b)
        self.assertEqual(notification.payment_ids.journal_id, self.bank_b)
        # The same event id from the other company's sender is its own notice, not a replay.
        response = self.post(self.notice(self.move_a.name), secret=SECRET_A)
        self.assertEqual(response.json()["result"], "reconciled")
        self.assertIn(self.move_a.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.notification("evt-1", self.company).payment_ids.journal_id,
                         self.bank)
        # A replay is still a duplicate, in its company.
        again = self.post(self.notice(self.move_a.name), secret=SECRET_B).json()
        self.assertEqual((again["result"], again["original"]), ("duplicate", "reconciled"))
        self.assertEqual(len(self.env["cobranza.payment.notification"].sudo().search(
            [("external_id", "=", "evt-1")])), 2)

    def test_secret_of_a_cannot_pay_an_invoice_of_b(self):
        only_b = self._invoice_b(120.0)
        self.assertFalse(self.env["account.move"].search_count(
            [("name", "=", only_b.name), ("company_id", "=", self.company.id)]))
        response = self.post(self.notice(only_b.name, amount="120", event_id="evt-b-by-a"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["result"], "exception")
        self.assertIn("Unknown invoice", response.json()["reason"])
        self.assertEqual(only_b.payment_state, "not_paid")
        notification = self.notification("evt-b-by-a", self.company)
        self.assertTrue(notification, "stored with the company whose secret signed it")
        self.assertFalse(notification.move_ids)
        self.assertEqual(notification.activity_ids.user_id.company_ids & self.company,
                         self.company, "an accountant of company A reviews it")

    def test_the_old_database_wide_secret_pays_nothing(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "cobranza_whatsapp.payment_webhook_secret", "old-global-secret")
        response = self.post(self.notice(self.move_a.name), secret="old-global-secret")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.move_a.payment_state, "not_paid")
        self.assertFalse(self.env["cobranza.payment.notification"].sudo().search([]))

    def test_a_company_without_secret_accepts_nothing(self):
        self.company_b.sudo().cobranza_payment_webhook_secret = False
        response = self.post(self.notice(self.move_b.name), secret="")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.move_b.payment_state, "not_paid")

    def test_secret_is_the_system_administrators_own(self):
        with self.assertRaises(AccessError):
            _ = self.company.with_user(self.billing_a).cobranza_payment_webhook_secret
        self.assertNotIn("cobranza_payment_webhook_secret",
                         self.env["res.company"].with_user(self.billing_a).fields_get())
        with self.assertRaises(ValidationError):
            self.company_b.sudo().cobranza_payment_webhook_secret = SECRET_A

    def test_billing_user_of_a_reads_only_a(self):
        self.post(self.notice(self.move_a.name, event_id="evt-a"), secret=SECRET_A)
        self.post(self.notice(self.move_a.name, event_id="evt-b"), secret=SECRET_B)
        Notification = self.env["cobranza.payment.notification"].with_user(self.billing_a)
        self.assertEqual(Notification.search([]).mapped("external_id"), ["evt-a"])
        with self.assertRaises(AccessError):
            Notification.browse(self.notification("evt-b", self.company_b).id).read(["amount"])

    # === changed only through its actions === #

    def test_write_refused_to_a_billing_user(self):
        self.post(self.notice(self.move_a.name, amount="200", event_id="evt-partial"))
        applied = self.notification("evt-partial", self.company).with_user(self.billing_a)
        self.assertEqual(applied.state, "partial")
        forged = {"amount": 1.0, "state": "received", "reference": "X", "date": "2026-01-01",
                  "reason": "fine", "external_id": "evt-x", "payment_ids": [Command.clear()],
                  "company_id": self.company_b.id, "move_ids": [Command.clear()]}
        for field, value in forged.items():
            with self.subTest(field), self.assertRaises(UserError):
                applied.write({field: value})
        self.env.invalidate_all()
        self.assertEqual((applied.state, applied.amount), ("partial", 200.0))
        # A notice to review: its invoices and journal may be fixed, then applied.
        self.post(self.notice("TYPO-42", amount="300", event_id="evt-typo"))
        review = self.notification("evt-typo", self.company).with_user(self.billing_a)
        self.assertEqual(review.state, "exception")
        with self.assertRaises(UserError):
            review.write({"amount": 1.0})
        review.write({"move_ids": [Command.set(self.move_a.ids)], "journal_id": self.bank.id})
        review.action_apply()
        self.assertEqual(review.state, "reconciled")
        self.assertIn(self.move_a.payment_state, ("paid", "in_payment"))
        with self.assertRaises(UserError):
            review.write({"journal_id": False})

    def test_a_person_cannot_move_a_notice_to_the_other_company(self):
        both = new_test_user(
            self.env, login="billing_ab", groups="account.group_account_invoice",
            company_id=self.company.id,
            company_ids=[Command.set((self.company | self.company_b).ids)])
        self.post(self.notice("TYPO-7", event_id="evt-typo-7"))
        review = self.notification("evt-typo-7", self.company).with_user(both).with_context(
            allowed_company_ids=(self.company | self.company_b).ids)
        with self.assertRaises(UserError):
            review.write({"move_ids": [Command.set(self.move_b.ids)]})
        self.assertEqual(review.company_id, self.company)
        self.assertEqual(self.move_b.payment_state, "not_paid")

    # === bad input kept for a person, never applied === #

    def test_webhook_text_is_text_and_written_by_odoobot(self):
        link = '<a href="https://evil.example/pay">Pay here</a><img src=x onerror=alert(1)>'
        response = self.post(self.notice([self.move_a.name, link], event_id="evt-html"))
        self.assertEqual(response.json()["result"], "exception")
        notification = self.notification("evt-html", self.company)
        activity = notification.activity_ids
        self.assertEqual(len(activity), 1)
        note = str(activity.note)
        self.assertNotIn("<a", note)
        self.assertNotIn("<img", note)
        self.assertIn("&lt;a", note, "shown as the sender wrote it")
        odoobot = self.env.ref("base.user_root")
        self.assertEqual(activity.create_uid, odoobot)
        authors = notification.message_ids.author_id
        self.assertEqual(authors, self.env.ref("base.partner_root"))
        self.assertNotIn(self.env.ref("base.public_user").sudo().partner_id, authors)

    def test_impossible_dates_are_kept_for_review(self):
        for event_id, date in (("evt-2099", "2099-12-15"), ("evt-year-1", "0001-01-01")):
            with self.subTest(date):
                response = self.post(self.notice(self.move_a.name, event_id=event_id,
                                                 date=date))
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json()["result"], "exception")
                self.assertIn("dated", response.json()["reason"])
                notification = self.notification(event_id, self.company)
                self.assertTrue(notification.activity_ids)
                self.assertFalse(notification.payment_ids)
                # Not even a person applies a payment dated that way.
                notification.write({"move_ids": [Command.set(self.move_a.ids)]})
                with self.assertRaises(UserError):
                    notification.with_user(self.billing_a).action_apply()
        self.assertEqual(self.move_a.payment_state, "not_paid")

    def test_same_operation_under_another_event_id_is_a_possible_duplicate(self):
        first = self.post(self.notice(self.move_a.name, amount="100", event_id="evt-op"))
        self.assertEqual(first.json()["result"], "partial")
        second = self.post(self.notice(self.move_a.name, amount="100", event_id="evt-op-2"))
        self.assertEqual(second.json()["result"], "exception")
        self.assertIn("Possible duplicate", second.json()["reason"])
        self.assertIn("evt-op", second.json()["reason"])
        self.assertAlmostEqual(self.move_a.amount_residual, 400.0, msg="paid once")
        # Another amount, or the same operation in the other company, is no duplicate.
        other = self.post(self.notice(self.move_a.name, amount="50", event_id="evt-op-3"))
        self.assertEqual(other.json()["result"], "partial")
        in_b = self.post(self.notice(self.move_b.name, amount="100", event_id="evt-op-2"),
                         secret=SECRET_B)
        self.assertEqual(in_b.json()["result"], "partial")
        # A person who checked it is a second payment may still apply it.
        review = self.notification("evt-op-2", self.company).with_user(self.billing_a)
        review.action_apply()
        self.assertEqual(review.state, "partial")
        self.assertAlmostEqual(self.move_a.amount_residual, 250.0)
