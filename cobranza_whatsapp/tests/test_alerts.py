"""Alerts for people: a high-risk customer who pays, a large dispute, a spike in failed
sends reach the company's recipients once per event, only that company's, and only when
switched on and past the thresholds."""

import datetime

from odoo import Command, fields
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import ValidationError
from odoo.tests import BaseCase, tagged

from ..tools import alerts as rules
from .common import TODAY, CobranzaCommon


@tagged("post_install", "-at_install")
class TestAlertRules(BaseCase):
    """The spike rule as a manager sets it: at least N failures, K times a usual hour."""

    def test_spike_needs_the_minimum_and_the_multiple(self):
        # No failures the week before: the minimum alone decides.
        self.assertTrue(rules.failed_send_spike(20, 0, minimum=20, factor=3))
        self.assertFalse(rules.failed_send_spike(19, 0, minimum=20, factor=3))
        # 168 failures in the week before: a usual hour has 1; 20 is 20 times that.
        self.assertTrue(rules.failed_send_spike(20, 168, minimum=20, factor=20))
        self.assertFalse(rules.failed_send_spike(20, 168, minimum=20, factor=21))
        # A company that always fails a lot: 30 an hour usually, 60 now is only twice.
        self.assertFalse(rules.failed_send_spike(60, 30 * 168, minimum=20, factor=3))
        self.assertTrue(rules.failed_send_spike(90, 30 * 168, minimum=20, factor=3))
        # Nothing failed: never a spike, whatever the settings.
        self.assertFalse(rules.failed_send_spike(0, 0, minimum=0, factor=1))

    def test_usual_hour_and_window(self):
        self.assertEqual(rules.usual_per_hour(336), 2.0)
        now = datetime.datetime(2026, 11, 18, 15, 20)
        start, end, since = rules.spike_window(now)
        self.assertEqual((start, end), (datetime.datetime(2026, 11, 18, 14, 20), now))
        self.assertEqual(since, datetime.datetime(2026, 11, 11, 14, 20))
        self.assertEqual(rules.spike_key(now), "2026-11-18 15:00")

    def test_dispute_above_the_amount(self):
        self.assertTrue(rules.dispute_alerts(5000.01, 5000))
        self.assertFalse(rules.dispute_alerts(5000, 5000))


class AlertsCommon(CobranzaCommon):
    """Company A tells its manager; company B tells its own collector."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data_b = cls.setup_other_company(name="Company B")
        cls.company_b = cls.data_b["company"]
        cls.user_b = new_test_user(
            cls.env, login="alerts_b", groups="account.group_account_invoice,"
            "cobranza_whatsapp.group_cobranza_user", company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)], name="Bea B")
        cls.company.cobranza_alert_user_ids = cls.manager
        cls.company_b.cobranza_alert_user_ids = cls.user_b
        cls.risky = cls._customer("Raúl Riesgo", "+51 987 000 444", cls.pe)
        cls.risky.with_company(cls.company).cobranza_risk_manual = "high"

    def alerts(self, kind, company=None):
        return self.env["cobranza.alert"].sudo().search([
            ("kind", "=", kind), ("company_id", "=", (company or self.company).id)])

    @staticmethod
    def told(alert):
        """Who the alert's messages reached (their inbox or e-mail)."""
        return alert.message_ids.notified_partner_ids


@tagged("post_install", "-at_install")
class TestHighRiskPayment(AlertsCommon):

    def test_a_high_risk_customer_paying_alerts_once_per_payment(self):
        move = self._invoice(self.risky, 800.0, days_overdue=40)
        self._pay(move, 300.0, TODAY)
        (alert,) = self.alerts("paid_high_risk")
        self.assertEqual((alert.move_id, alert.partner_id), (move, self.risky))
        self.assertEqual(alert.name, f"High-risk customer paid: {move.name}")
        self.assertAlmostEqual(alert.amount, 300.0)
        self.assertEqual(alert.user_ids, self.manager)
        self.assertEqual(self.told(alert), self.manager.partner_id)
        self.assertIn(move.name, alert.message_ids[0].body)
        # The same payment matched again (undone and redone) is the same event.
        partial = move.line_ids.matched_credit_ids
        payment_line = partial.credit_move_id
        move.js_remove_outstanding_partial(partial.id)
        self.assertEqual(move.payment_state, "not_paid")
        move.js_assign_outstanding_line(payment_line.id)
        self.assertEqual(len(self.alerts("paid_high_risk")), 1)
        # Another payment is another event.
        self._pay(move, 500.0, TODAY)
        self.assertEqual(len(self.alerts("paid_high_risk")), 2)
        self.assertFalse(self.alerts("paid_high_risk", self.company_b))

    def test_no_alert_below_high_risk_switched_off_or_without_recipients(self):
        ordinary = self._customer("Olga Ordinaria", "+51 987 000 555", self.pe)
        ordinary.with_company(self.company).cobranza_risk_manual = "medium"
        self._pay(self._invoice(ordinary, 400.0, days_overdue=40), 400.0, TODAY)
        self.assertFalse(self.alerts("paid_high_risk"))
        self.company.cobranza_alert_paid_high_risk = False
        self._pay(self._invoice(self.risky, 400.0, days_overdue=40), 400.0, TODAY)
        self.assertFalse(self.alerts("paid_high_risk"))
        self.company.write({"cobranza_alert_paid_high_risk": True,
                            "cobranza_alert_user_ids": [Command.clear()]})
        self._pay(self._invoice(self.risky, 400.0, days_overdue=40), 400.0, TODAY)
        self.assertFalse(self.alerts("paid_high_risk"))

    def test_a_credit_note_is_no_payment(self):
        move = self._invoice(self.risky, 400.0, days_overdue=40)
        move._reverse_moves(cancel=True)  # posted and matched with the invoice
        self.assertEqual(move.payment_state, "reversed")
        self.assertFalse(self.alerts("paid_high_risk"))

    def test_each_company_its_own_risk_and_people(self):
        # High risk for A only: paying company B is nothing to B's people.
        move_b = self._dated_invoice(900.0, TODAY - datetime.timedelta(days=60),
                                     TODAY - datetime.timedelta(days=30),
                                     company_data=self.data_b, partner=self.risky)
        self._pay(move_b, 200.0, TODAY)
        self.assertFalse(self.alerts("paid_high_risk", self.company_b))
        # High risk for B too: B's collector is told, not A's manager.
        self.risky.with_company(self.company_b).cobranza_risk_manual = "high"
        self._pay(move_b, 300.0, TODAY)
        (alert,) = self.alerts("paid_high_risk", self.company_b)
        self.assertEqual(self.told(alert), self.user_b.partner_id)
        self.assertFalse(self.alerts("paid_high_risk"))
        Alert = self.env["cobranza.alert"]
        self.assertEqual(Alert.with_user(self.user_b).search([]), alert)
        self.assertFalse(Alert.with_user(self.manager).search([]))

    def test_a_recipient_outside_the_company_is_not_told(self):
        self.company.cobranza_alert_user_ids = self.manager | self.user_b
        self._pay(self._invoice(self.risky, 400.0, days_overdue=40), 100.0, TODAY)
        (alert,) = self.alerts("paid_high_risk")
        self.assertEqual(self.told(alert), self.manager.partner_id)


@tagged("post_install", "-at_install")
class TestLargeDispute(AlertsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.cobranza_alert_dispute_amount = 5000.0
        cls.company_b.cobranza_alert_dispute_amount = 5000.0
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    def reply(self, move, text="no reconozco esta factura, el monto esta mal"):
        message = self.env["cobranza.message"].sudo().create({
            "direction": "in", "state": "received", "partner_id": move.partner_id.id,
            "company_id": move.company_id.id, "body": text,
            "received_at": fields.Datetime.now(), "move_ids": [Command.set(move.ids)]})
        message._understand({})
        return message

    def reviews(self, move):
        return move.activity_ids.filtered(lambda a: a.activity_type_id == self.todo)

    def test_a_dispute_above_the_amount_is_a_to_do_once(self):
        move = self._invoice(self.customer, 6000.0, days_overdue=10)
        message = self.reply(move)
        self.assertTrue(move.cobranza_disputed)
        (alert,) = self.alerts("dispute")
        self.assertEqual((alert.move_id, alert.message_id), (move, message))
        self.assertAlmostEqual(alert.amount, 6000.0)
        (review,) = self.reviews(move)
        self.assertEqual(review.user_id, self.manager)
        self.assertEqual(review.summary, "Large disputed invoice: review")
        self.assertIn("no reconozco", review.note)
        # The customer insists: the invoice is already disputed, no second alert.
        self.reply(move, "les digo que esa factura no es mia")
        self.assertEqual(len(self.alerts("dispute")), 1)
        self.assertEqual(len(self.reviews(move)), 1)

    def test_no_alert_at_or_below_the_amount_or_switched_off(self):
        at_threshold = self._invoice(self.customer, 5000.0, days_overdue=10)
        self.reply(at_threshold)
        self.assertTrue(at_threshold.cobranza_disputed)
        self.assertFalse(self.alerts("dispute"))
        self.assertFalse(self.reviews(at_threshold))
        self.company.cobranza_alert_dispute = False
        large = self._invoice(self.customer, 9000.0, days_overdue=10)
        self.reply(large)
        self.assertTrue(large.cobranza_disputed)
        self.assertFalse(self.alerts("dispute"))

    def test_company_b_dispute_goes_to_company_b(self):
        move_b = self._dated_invoice(7000.0, TODAY - datetime.timedelta(days=40),
                                     TODAY - datetime.timedelta(days=10),
                                     company_data=self.data_b)
        self.reply(move_b)
        self.assertFalse(self.alerts("dispute"))
        (alert,) = self.alerts("dispute", self.company_b)
        self.assertEqual(self.reviews(move_b).user_id, self.user_b)
        self.assertEqual(alert.user_ids, self.user_b)


@tagged("post_install", "-at_install")
class TestFailedSendSpike(AlertsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"cobranza_alert_failed_min": 20, "cobranza_alert_failed_factor": 3})
        cls.company_b.write({"cobranza_alert_failed_min": 20,
                             "cobranza_alert_failed_factor": 3})
        # Ten minutes before a clock hour: the checks after it are in another hour.
        cls.now = datetime.datetime(2026, 11, 18, 14, 50)

    def fail(self, count, at=None, company=None, times=None):
        self.env["cobranza.message"].sudo().create([{
            "direction": "out", "channel": "whatsapp", "state": "failed",
            "partner_id": self.customer.id, "company_id": (company or self.company).id,
            "error_message": "Meta is down", "failed_at": failed_at,
        } for failed_at in times or [at] * count])

    def check(self, now=None):
        return self.env["cobranza.alert"]._check_failed_sends(now or self.now)

    def test_a_spike_alerts_once_an_hour(self):
        self.fail(20, self.now - datetime.timedelta(seconds=30))
        (alert,) = self.check()
        self.assertEqual((alert.kind, alert.name), ("failed_spike", "Spike in failed sends"))
        self.assertEqual((alert.failed_count, alert.usual_failed), (20, 0.0))
        self.assertEqual(self.told(alert), self.manager.partner_id)
        self.assertIn("20 messages failed", alert.message_ids[0].body)
        action = alert.action_open_failed_messages()
        self.assertEqual(self.env["cobranza.message"].search_count(action["domain"]), 20)
        # The next checks within the hour see the same spike (the same failures).
        self.assertFalse(self.check(self.now + datetime.timedelta(minutes=15)))
        self.assertFalse(self.check(self.now + datetime.timedelta(minutes=59)))
        self.assertEqual(len(self.alerts("failed_spike")), 1)
        # It lasts: told again after the hour.
        later = self.now + datetime.timedelta(minutes=61)
        self.fail(20, later - datetime.timedelta(minutes=5))
        self.assertEqual(len(self.check(later)), 1)
        self.assertEqual(len(self.alerts("failed_spike")), 2)

    def test_no_spike_below_the_minimum_or_the_usual_multiple(self):
        self.fail(19, self.now - datetime.timedelta(minutes=10))
        self.assertFalse(self.check())
        # 20 now, but 168 in the week before (1 a usual hour) and 21 times asked for.
        self.fail(1, self.now - datetime.timedelta(minutes=5))
        self.fail(0, times=[self.now - datetime.timedelta(hours=1.5 + hour)
                            for hour in range(168)])
        self.company.cobranza_alert_failed_factor = 21
        self.assertFalse(self.check())
        self.company.cobranza_alert_failed_factor = 20
        (alert,) = self.check()
        self.assertAlmostEqual(alert.usual_failed, 1.0)

    def test_switched_off_and_other_company(self):
        self.fail(25, self.now - datetime.timedelta(minutes=10), company=self.company_b)
        self.company_b.cobranza_alert_failed_spike = False
        self.assertFalse(self.check())
        self.company_b.cobranza_alert_failed_spike = True
        (alert,) = self.check()
        self.assertEqual(alert.company_id, self.company_b)
        self.assertEqual(self.told(alert), self.user_b.partner_id)
        self.assertFalse(self.alerts("failed_spike"))

    def test_settings_are_checked(self):
        with self.assertRaises(ValidationError):
            self.company.cobranza_alert_failed_min = 0
        with self.assertRaises(ValidationError):
            self.company.cobranza_alert_failed_factor = 0.5

    def test_the_cron_runs(self):
        self.fail(20, fields.Datetime.now() - datetime.timedelta(minutes=1))
        # The scheduled action's code, run in this transaction.
        self.env.ref("cobranza_whatsapp.ir_cron_alert_failed_sends").ir_actions_server_id.run()
        self.assertEqual(len(self.alerts("failed_spike")), 1)
