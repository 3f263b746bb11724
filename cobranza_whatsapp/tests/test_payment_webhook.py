import hashlib
import hmac
import json

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import NOW, CobranzaCommon

SECRET = "pay-secret-for-tests"
URL = "/cobranza_whatsapp/payment"


@tagged("post_install", "-at_install")
class TestPaymentWebhook(CobranzaCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.sudo().cobranza_payment_webhook_secret = SECRET
        cls.bank = cls.company_data["default_journal_bank"]

    def post(self, body, secret=SECRET, signature=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        if signature is None:
            signature = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Cobranza-Signature": signature}
        response = self.url_open(URL, data=data, headers=headers)
        self.env.invalidate_all()
        return response

    def notice(self, moves, amount, event_id="evt-1", currency=None, **extra):
        body = {
            "id": event_id,
            "invoice": moves.mapped("name") if len(moves) > 1 else moves.name,
            "amount": str(amount),
            "currency": currency or moves[:1].currency_id.name,
            "date": NOW.date().isoformat(),
            "reference": "OP-778899",
            "payer": {"name": "María Quispe", "phone": "+51987654321"},
        }
        body.update(extra)
        return body

    def notifications(self):
        return self.env["cobranza.payment.notification"].search([])

    def assert_payment_reconciled(self, move, amount):
        payments = self.env["account.payment"].search([("partner_id", "=", move.partner_id.id)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.state, "paid")
        self.assertAlmostEqual(payments.amount, amount)
        self.assertEqual(payments.journal_id, self.bank)
        self.assertIn(move, payments.reconciled_invoice_ids)

    def test_full_payment_reconciles(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        response = self.post(self.notice(move, "500.00"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["result"], "reconciled")
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.amount_residual, 0.0)
        self.assert_payment_reconciled(move, 500.0)
        self.assertEqual(self.notifications().state, "reconciled")

    def test_partial_payment(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        response = self.post(self.notice(move, 200))
        self.assertEqual(response.json()["result"], "partial")
        self.assertEqual(move.payment_state, "partial")
        self.assertAlmostEqual(move.amount_residual, 300.0)
        self.assertEqual(response.json()["residual"], {move.name: 300.0})

    def test_overpayment_is_kept_for_a_person(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        response = self.post(self.notice(move, "650"))
        self.assertEqual(response.json()["result"], "exception")
        self.assertIn("above", response.json()["reason"])
        self.assertEqual(move.payment_state, "not_paid")
        notification = self.notifications()
        self.assertEqual(notification.state, "exception")
        self.assertTrue(notification.activity_ids, "the accountants get an activity")
        self.assertFalse(self.env["account.payment"].search([("partner_id", "=",
                                                               self.customer.id)]))

    def test_several_invoices_one_payment(self):
        a = self._invoice(self.customer, 300.0, days_overdue=5)
        b = self._invoice(self.customer, 200.0, days_overdue=9)
        response = self.post(self.notice(a | b, "500"))
        self.assertEqual(response.json()["result"], "reconciled")
        self.assertTrue(all(m.payment_state in ("paid", "in_payment") for m in a | b))
        payments = self.env["account.payment"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(payments), 1, "one grouped payment, as Register Payment does")

    def test_foreign_currency(self):
        eur = self.setup_other_currency("EUR")
        move = self._invoice(self.customer, 100.0, days_overdue=3, currency=eur)
        response = self.post(self.notice(move, "100", currency="EUR"))
        self.assertEqual(response.json()["result"], "reconciled")
        payment = self.env["account.payment"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(payment.currency_id, eur)

    def test_currency_mismatch(self):
        move = self._invoice(self.customer, 100.0, days_overdue=3)
        response = self.post(self.notice(move, "100", currency="EUR"))
        self.assertEqual(response.json()["result"], "exception")
        self.assertEqual(move.payment_state, "not_paid")

    def test_unknown_and_cancelled_and_paid_invoices(self):
        move = self._invoice(self.customer, 100.0, days_overdue=3)
        body = self.notice(move, "100", event_id="evt-unknown")
        body["invoice"] = "INV/1999/99999"
        self.assertEqual(self.post(body).json()["result"], "exception")
        self.post(self.notice(move, "100", event_id="evt-pay"))
        again = self.post(self.notice(move, "100", event_id="evt-again")).json()
        self.assertEqual(again["result"], "exception")
        self.assertIn("already paid", again["reason"])
        cancelled = self._invoice(self.customer, 50.0, days_overdue=3)
        cancelled.button_draft()
        cancelled.button_cancel()
        result = self.post(self.notice(cancelled, "50", event_id="evt-cancel")).json()
        self.assertEqual(result["result"], "exception")
        self.assertEqual(len(self.notifications()), 4, "every notice is kept")

    def test_replay_is_a_duplicate_and_changes_nothing(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        first = self.post(self.notice(move, 200)).json()
        second = self.post(self.notice(move, 200)).json()
        self.assertEqual(first["result"], "partial")
        self.assertEqual(second["result"], "duplicate")
        self.assertAlmostEqual(move.amount_residual, 300.0)
        self.assertEqual(len(self.env["account.payment"].search(
            [("partner_id", "=", self.customer.id)])), 1)

    def test_bad_signature_changes_nothing(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        for signature in ("sha256=" + "0" * 64, "", "sha1=abc"):
            response = self.post(self.notice(move, 500), signature=signature)
            self.assertEqual(response.status_code, 401)
        response = self.post(self.notice(move, 500), secret="wrong-secret")
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.notifications())
        self.assertEqual(move.payment_state, "not_paid")

    def test_no_secret_configured_refuses_everything(self):
        self.company.sudo().cobranza_payment_webhook_secret = False
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        response = self.post(self.notice(move, 500), secret="")
        self.assertEqual(response.status_code, 401)

    def test_malformed_bodies_are_400_and_store_nothing(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        good = self.notice(move, 500)
        cases = {
            "not json": None,
            "missing id": {k: v for k, v in good.items() if k != "id"},
            "missing invoice": {k: v for k, v in good.items() if k != "invoice"},
            "negative amount": dict(good, amount="-5"),
            "zero amount": dict(good, amount=0),
            "text amount": dict(good, amount="cien"),
            "bad date": dict(good, date="31/12/2026"),
            "bad currency": dict(good, currency="soles"),
            "list body": [good],
        }
        for label, body in cases.items():
            raw = b"{not json" if body is None else json.dumps(body).encode()
            response = self.post(None, raw=raw)
            self.assertEqual(response.status_code, 400, label)
            self.assertTrue(response.json()["error"], label)
        self.assertFalse(self.notifications())

    def test_accountant_applies_a_corrected_notice(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        body = self.notice(move, "500")
        body["invoice"] = "TYPO-42"
        self.post(body)
        notification = self.notifications()
        self.assertEqual(notification.state, "exception")
        notification.write({"move_ids": [(6, 0, move.ids)], "journal_id": self.bank.id})
        notification.action_apply()
        self.assertEqual(notification.state, "reconciled")
        self.assertIn(move.payment_state, ("paid", "in_payment"))

    def test_payment_stops_reminders_and_thanks_the_customer(self):
        move = self._invoice(self.customer, 500.0, days_overdue=5)
        self.run_cadence()
        reminder = self.messages_for(self.customer)
        self.env["cobranza.message"]._process_queue()
        second = self._invoice(self.customer, 80.0, days_overdue=1)
        queued = self.env["cobranza.message"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "channel": "whatsapp", "state": "queued", "move_ids": [(6, 0, move.ids)],
            "template_id": reminder.template_id.id, "level_id": reminder.level_id.id,
        })
        self.post(self.notice(move, "500"))
        self.assertEqual(queued.state, "cancelled")
        thanks = self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "thanks")
        self.assertEqual(len(thanks), 1)
        # It leaves inside the customer's contact hours, whatever the hour the test runs.
        opens = self.env["cobranza.cadence"]._contact_times(
            self.customer, self.company, fields.Datetime.now())[self.customer.id]
        self.env["cobranza.message"]._process_queue(now=opens)
        self.assertIn(thanks.state, ("sent", "delivered", "read"))
        self.assertIn("500.00", thanks.body)
        self.assertFalse(second.cobranza_state == "paid")
