import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

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
        # The broken promise is told on day 5 (a business message: the day's one).
        with freeze_time(NOW + datetime.timedelta(days=5)):
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

    def test_a_partial_promise_is_kept_when_the_promised_part_arrives(self):
        """Reported: "le pago 500 soles el viernes", 500 paid, judged broken and the
        customer told so."""
        move = self._invoice(self.customer, 1200.0, days_overdue=4)
        promise = self.env["cobranza.promise"]._record(
            self.customer, move, NOW.date() + datetime.timedelta(days=2), amount=500.0)
        self.assertEqual((promise.amount, promise.residual_at_promise), (500.0, 1200.0))
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": NOW.date(), "amount": 500.0})._create_payments()
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(promise.amount_paid, 500.0)
        with freeze_time(NOW + datetime.timedelta(days=5)):
            self.env["cobranza.promise"]._cron_check(today=NOW.date() + datetime.timedelta(days=5))
        self.assertEqual(promise.state, "kept")
        self.assertFalse(self.customer.cobranza_broken_promises)
        self.assertFalse(self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "broken_promise"))

    def test_a_partial_promise_short_of_its_amount_is_broken(self):
        move = self._invoice(self.customer, 1200.0, days_overdue=4)
        promise = self.env["cobranza.promise"]._record(
            self.customer, move, NOW.date() + datetime.timedelta(days=2), amount=500.0)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": NOW.date(), "amount": 300.0})._create_payments()
        with freeze_time(NOW + datetime.timedelta(days=5)):
            self.env["cobranza.promise"]._cron_check(today=NOW.date() + datetime.timedelta(days=5))
        self.assertEqual(promise.state, "broken")

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


@tagged("post_install", "-at_install")
class TestPromiseByHand(CobranzaCommon):
    """A promise a customer made on the phone, entered by a collector with the collections
    group alone: it reads like the automation's and pauses the reminders alike."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.only_collector = new_test_user(
            cls.env, login="promise_collector",
            groups="base.group_user,cobranza_whatsapp.group_cobranza_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Paco Promise")
        cls.mxn = cls.setup_other_currency("MXN")
        cls.mexican = cls._customer("Lupita Hernández", "+52 55 1234 5678", cls.mx)

    def test_a_promise_from_the_menu_in_mxn(self):
        move = self._invoice(self.mexican, 2500.0, days_overdue=4, currency=self.mxn)
        untouched = self._invoice(self.customer, 100.0, days_overdue=4)
        Promise = self.env["cobranza.promise"].with_user(self.only_collector)
        with Form(Promise) as form:  # Collections › Promises to Pay › New
            form.partner_id = self.mexican
            form.move_ids.add(move)
            form.date = NOW.date() + datetime.timedelta(days=3)
        promise = form.record
        self.assertEqual((promise.amount, promise.currency_id), (2500.0, self.mxn))
        self.assertEqual(promise.display_name, "Lupita Hernández: $\xa02,500.00 by 11/21/2026")
        self.assertEqual(move.cobranza_state, "promised")
        self.assertEqual(move.cobranza_paused_until, NOW.date() + datetime.timedelta(days=5))
        self.run_cadence()
        self.assertFalse(self.steps_for(move), "no reminder before the promised date")
        self.assertTrue(self.steps_for(untouched), "the invoice without a promise is reminded")

    def test_record_promise_from_the_invoice_and_the_customer(self):
        first = self._invoice(self.mexican, 300.0, days_overdue=4, currency=self.mxn)
        second = self._invoice(self.mexican, 200.0, days_overdue=9, currency=self.mxn)
        for source, moves, days in ((first, first, 2), (self.mexican, first | second, 4)):
            with self.subTest(source=source._name):
                action = source.with_user(self.only_collector).action_cobranza_record_promise()
                Promise = self.env[action["res_model"]].with_user(self.only_collector)
                with Form(Promise.with_context(**action["context"])) as form:
                    self.assertEqual(form.partner_id, self.mexican)
                    self.assertEqual({move.id for move in form.move_ids}, set(moves.ids))
                    self.assertEqual(form.amount, sum(moves.mapped("amount_residual")))
                    self.assertEqual(form.currency_id, self.mxn)
                    form.amount = 150.0  # what the customer promised
                    form.date = NOW.date() + datetime.timedelta(days=days)
                self.assertEqual(form.record.amount, 150.0)
                self.assertEqual(set(moves.mapped("cobranza_paused_until")),
                                 {NOW.date() + datetime.timedelta(days=days + 2)})

    def test_the_automation_names_and_pauses_alike(self):
        move = self._invoice(self.mexican, 700.0, days_overdue=4, currency=self.mxn)
        promise = self.env["cobranza.promise"]._record(
            self.mexican, move, NOW.date() + datetime.timedelta(days=3))
        self.assertEqual((promise.amount, promise.currency_id), (700.0, self.mxn))
        self.assertEqual(promise.display_name, "Lupita Hernández: $\xa0700.00 by 11/21/2026")
        self.assertEqual(move.cobranza_paused_until, NOW.date() + datetime.timedelta(days=5))


@tagged("post_install", "-at_install")
class TestPromiseHorizon(CobranzaCommon):
    """A promise for a date years away is no promise: it pauses nothing and goes to a
    person, whoever makes it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.cobranza_collector_id = cls.collector

    def reply(self, move, text):
        message = self.env["cobranza.message"].sudo().create({
            "direction": "in", "state": "received", "partner_id": self.customer.id,
            "company_id": self.company.id, "channel": "whatsapp", "body": text,
            "move_ids": [Command.set(move.ids)],
        })
        message._understand({})
        return message

    def test_a_reply_beyond_the_horizon_goes_to_a_person(self):
        move = self._invoice(self.customer, 400.0, days_overdue=4)
        message = self.reply(move, "le pago el 15/12/2099")
        self.assertEqual(message.intent, "promise")
        self.assertFalse(self.env["cobranza.promise"].search(
            [("partner_id", "=", self.customer.id)]), "no promise recorded")
        self.assertFalse(move.cobranza_paused_until, "the reminders do not wait 73 years")
        self.assertNotEqual(move.cobranza_state, "promised")
        self.assertTrue(message.needs_person, "in the work queue")
        self.assertIn("45 days", message.action_taken)
        self.assertTrue(self.customer.activity_ids.filtered(
            lambda a: a.user_id == self.collector))
        self.assertTrue(any("45 days" in str(body)
                            for body in self.customer.message_ids.mapped("body")),
                        "the reason is where the collector looks")
        item = self.env["cobranza.work.item"].search(
            [("message_id", "=", message.id), ("kind", "=", "reply")])
        self.assertTrue(item)

    def test_a_reply_within_the_horizon_pauses(self):
        move = self._invoice(self.customer, 400.0, days_overdue=4)
        date = self.today() + datetime.timedelta(days=10)
        message = self.reply(move, f"le pago el {date.strftime('%d/%m/%Y')}")
        promise = self.env["cobranza.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(promise.date, date)
        self.assertEqual(move.cobranza_state, "promised")
        self.assertEqual(move.cobranza_paused_until, date + datetime.timedelta(days=2))
        self.assertFalse(message.needs_person)

    def test_the_horizon_is_the_companys(self):
        self.company.cobranza_promise_horizon_days = 5
        move = self._invoice(self.customer, 400.0, days_overdue=4)
        date = self.today() + datetime.timedelta(days=10)
        message = self.reply(move, f"le pago el {date.strftime('%d/%m/%Y')}")
        self.assertFalse(self.env["cobranza.promise"].search(
            [("partner_id", "=", self.customer.id)]))
        self.assertIn("5 days", message.action_taken)
        with self.assertRaises(ValidationError):
            self.company.cobranza_promise_horizon_days = 0

    def test_a_collector_cannot_record_a_promise_beyond_it(self):
        move = self._invoice(self.customer, 400.0, days_overdue=4)
        Promise = self.env["cobranza.promise"].with_user(self.collector)
        with self.assertRaises(ValidationError):
            Promise.create({"partner_id": self.customer.id, "move_ids": [Command.set(move.ids)],
                            "date": "2099-12-15"})
        promise = Promise.create({"partner_id": self.customer.id,
                                  "move_ids": [Command.set(move.ids)],
                                  "date": self.today() + datetime.timedelta(days=45)})
        with self.assertRaises(ValidationError):
            promise.date = self.today() + datetime.timedelta(days=46)
        self.assertEqual(move.cobranza_paused_until, self.today() + datetime.timedelta(days=47))
