import datetime

from odoo.tests import tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestPromise(CobranzaCommon):
    def test_promise_pauses_then_broken_resumes(self):
        move = self._invoice(self.customer, 400.0, days_overdue=4)
        promise = self.env["cobranza.promise"]._record(
            self.customer, move, NOW.date() + datetime.timedelta(days=2))
        self.assertEqual(move.cobranza_state, "promised")
        stats = self.run_cadence()
        self.assertEqual(stats["steps"], 0, "reminders wait for the promised date")
        judged = self.env["cobranza.promise"]._cron_check(
            today=NOW.date() + datetime.timedelta(days=5))
        self.assertEqual(judged, 1)
        self.assertEqual(promise.state, "broken")
        self.assertEqual(self.customer.cobranza_broken_promises, 1)
        self.assertFalse(move.cobranza_paused_until)
        broken = self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "broken_promise")
        self.assertEqual(len(broken), 1)
        stats = self.run_cadence(now=NOW + datetime.timedelta(days=6))
        self.assertEqual(stats["steps"], 1, "the cadence resumes")

    def test_promise_kept_by_payment(self):
        move = self._invoice(self.customer, 400.0, days_overdue=4)
        promise = self.env["cobranza.promise"]._record(
            self.customer, move, NOW.date() + datetime.timedelta(days=2))
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": NOW.date()})._create_payments()
        self.assertEqual(promise.state, "kept")
        self.env["cobranza.promise"]._cron_check(today=NOW.date() + datetime.timedelta(days=9))
        self.assertEqual(promise.state, "kept")
        self.assertEqual(self.customer.cobranza_broken_promises, 0)

    def test_broken_promises_raise_risk(self):
        self.customer.cobranza_broken_promises = 3
        self._invoice(self.customer, 100.0, days_overdue=2)
        self.run_cadence()
        self.assertEqual(self.customer.cobranza_risk, "high")
