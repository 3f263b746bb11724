"""Exactly-once under real concurrency: separate transactions that commit, as workers do.

These tests cannot live inside the test transaction (other workers would not see its
data), so they commit their own fixtures in the main company and clean up after.
"""
# Committing is the point of these tests: each worker's transaction must be real.
# pylint: disable=invalid-commit

import datetime
import hashlib
import hmac
import json
import threading
import uuid
from unittest.mock import patch

import requests

from odoo import Command, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import config

from . import graph_mock
from .common import allow_api_host

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ROUND_THE_CLOCK_FIELDS = ["hour_from", "hour_to", "use_public_holidays", *WEEKDAYS]


def run_in_threads(target, count):
    errors = []

    def wrapped(index):
        try:
            target(index)
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


@tagged("post_install", "-at_install", "cobranza_concurrency")
class TestConcurrency(BaseCase):
    """Two cadence runs, two senders, and a replayed payment notification, all at once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        # odoo-bin runs the suite while holding Registry._lock, which every HTTP request and
        # every Registry() call takes: lift it as HttpCase does, but keep real cursors (each
        # worker here must be its own committed transaction, not the test's cursor).
        cls.startClassPatcher(patch.object(Registry, "_lock", DummyRLock()))
        cls.tag = uuid.uuid4().hex[:8]

    def env_cursor(self):
        return self.registry.cursor()

    def setUp(self):
        super().setUp()
        self.created = {"partners": [], "moves": []}
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            self.company_id = company.id
            account = env["cobranza.whatsapp.account"].search(
                [("company_id", "=", company.id), ("name", "=", "Concurrency")], limit=1)
            if not account:
                account = env["cobranza.whatsapp.account"].create({
                    "name": "Concurrency", "company_id": company.id, "mode": "sandbox",
                    "phone_number_id": f"PN{self.tag}", "rate_limit": 0,
                })
            self.account_id = account.id
            env["cobranza.whatsapp.template"].search(
                [("company_id", "=", company.id)]).write(
                {"status": "approved", "account_id": account.id})
            today = datetime.date.today()
            partners = env["res.partner"].create([{
                "name": f"Concurrent {self.tag} {i}",
                "phone": f"+51 9{i % 90 + 10} 555 {i % 900 + 100}",
                "country_id": env.ref("base.pe").id, "tz": "UTC",
                "email": f"c{i}@example.com",
                "cobranza_optin_date": datetime.datetime(2026, 1, 1),
                "cobranza_optin_source": "test",
            } for i in range(12)])
            moves = env["account.move"].create([{
                "move_type": "out_invoice", "partner_id": partner.id,
                "company_id": company.id, "invoice_date": today - datetime.timedelta(days=40),
                "invoice_date_due": today - datetime.timedelta(days=4),
                "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1,
                                                     "price_unit": 100.0, "tax_ids": []})],
            } for partner in partners])
            moves.action_post()
            self.created["partners"] = partners.ids
            self.created["moves"] = moves.ids
            cr.commit()

    def tearDown(self):
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            moves = env["account.move"].browse(self.created["moves"]).exists()
            messages = env["cobranza.message"].search(
                [("partner_id", "in", self.created["partners"])])
            env["cobranza.step"].search([("move_id", "in", moves.ids)]).unlink()
            cr.execute("DELETE FROM cobranza_message_post WHERE message_id = ANY(%s)",
                       (messages.ids,))
            env["cobranza.webhook.event"].search([]).filtered(
                lambda e: any(m.wamid and m.wamid in (e.payload or "") for m in messages)
            ).unlink()
            messages.unlink()
            env["cobranza.payment.notification"].search(
                [("external_id", "like", f"conc-{self.tag}%")]).unlink()
            moves.button_draft()
            moves.button_cancel()
            for values in self.created.get("windows", []):
                window_id = values.pop("id")
                env["cobranza.contact.window"].browse(window_id).write(values)
            cr.commit()
        super().tearDown()

    def _window_open(self, env):
        """Messages are due now whatever the hour: the window is not what is tested here
        (the contact windows open round the clock until tearDown)."""
        env["cobranza.message"].search(
            [("partner_id", "in", self.created["partners"])]).write(
            {"scheduled_at": datetime.datetime.now() - datetime.timedelta(minutes=1)})
        windows = env["cobranza.contact.window"].search([])
        self.created["windows"] = windows.read(ROUND_THE_CLOCK_FIELDS)
        windows.write({"hour_from": 0, "hour_to": 24, "use_public_holidays": False,
                       **dict.fromkeys(WEEKDAYS, True)})

    def test_two_cadence_runs_then_two_senders(self):
        def cadence(_index):
            with self.env_cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                company = env["res.company"].browse(self.company_id)
                env["cobranza.cadence"]._run(company, partner_ids=self.created["partners"],
                                             auto_commit=True)
                cr.commit()

        errors = run_in_threads(cadence, 2)
        self.assertFalse([e for e in errors if "could not serialize" not in str(e)], errors)
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            steps = env["cobranza.step"].search([("move_id", "in", self.created["moves"])])
            self.assertEqual(len(steps), 12, "one step per invoice, not one per run")
            messages = env["cobranza.message"].search(
                [("partner_id", "in", self.created["partners"])])
            self.assertEqual(len(messages), 12)
            self._window_open(env)
            account = env["cobranza.whatsapp.account"].browse(self.account_id)
            mock = graph_mock.GraphMock(latency=0.005).start()
            allow_api_host(env, mock.url)
            account.write({"mode": "live", "api_url": mock.url, "access_token": "tok"})
            cr.commit()
        try:
            def sender(_index):
                with self.env_cursor() as cr:
                    env = api.Environment(cr, api.SUPERUSER_ID, {})
                    env["cobranza.message"]._process_queue(auto_commit=True, batch_size=3)
                    cr.commit()

            errors = run_in_threads(sender, 2)
            self.assertFalse(errors)
            posted = mock.sent_messages()
        finally:
            mock.stop()
            with self.env_cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                env["cobranza.whatsapp.account"].browse(self.account_id).mode = "sandbox"
                cr.commit()
        self.assertEqual(len(posted), 12, "each message posted to Meta exactly once")
        self.assertEqual(len({p["to"] for p in posted}), 12)
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            messages = env["cobranza.message"].search(
                [("partner_id", "in", self.created["partners"])])
            self.assertEqual(set(messages.mapped("state")), {"sent"})
            self.assertEqual(set(messages.mapped("attempts")), {1})

    def test_lost_answers_in_the_cron_are_posted_once(self):
        """The cron's own transactions: a post whose answer was lost is committed as
        leaving, never as answered, and no later run posts it again."""
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            env["cobranza.cadence"]._run(company, partner_ids=self.created["partners"])
            self._window_open(env)
            pdf_mode = company.cobranza_pdf_mode
            company.cobranza_pdf_mode = "link"  # each send is one request, the message
            mock = graph_mock.GraphMock().start()
            allow_api_host(env, mock.url)
            env["cobranza.whatsapp.account"].browse(self.account_id).write(
                {"mode": "live", "api_url": mock.url, "access_token": "tok"})
            cr.commit()
        mock.fail_next(3, lost_answer="no_id")
        try:
            for _run in range(2):
                with self.env_cursor() as cr:
                    env = api.Environment(cr, api.SUPERUSER_ID, {})
                    env["cobranza.message"]._process_queue(auto_commit=True, batch_size=5)
                    cr.commit()
            posted = mock.sent_messages()
        finally:
            mock.stop()
            with self.env_cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                env["cobranza.whatsapp.account"].browse(self.account_id).mode = "sandbox"
                env["res.company"].browse(self.company_id).cobranza_pdf_mode = pdf_mode
                cr.commit()
        self.assertEqual(len(posted), 12, "each message posted to Meta exactly once")
        self.assertEqual(len({p["to"] for p in posted}), 12)
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            messages = env["cobranza.message"].search(
                [("partner_id", "in", self.created["partners"])])
            lost = messages.filtered(lambda m: m.state == "sending")
            self.assertEqual(len(lost), 3)
            self.assertEqual(set((messages - lost).mapped("state")), {"sent"})
            self.assertEqual(set(lost.mapped("error_message")),
                             {"Meta's answer was lost; waiting for Meta's confirmation."})
            cr.execute("SELECT count(*) FROM cobranza_message_post WHERE message_id = ANY(%s) "
                       "AND answer_lost AND finished_at IS NULL", (lost.ids,))
            self.assertEqual(cr.fetchone()[0], 3, "journaled as leaving, never as answered")

    def test_payment_notification_replayed_concurrently(self):
        secret = "conc-secret"
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            move = env["account.move"].browse(self.created["moves"][0])
            move.company_id.cobranza_payment_webhook_secret = secret
            body = json.dumps({
                "id": f"conc-{self.tag}", "invoice": move.name, "amount": "100.00",
                "currency": move.currency_id.name, "date": datetime.date.today().isoformat(),
                "reference": "REPLAY",
            }).encode()
            cr.commit()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        url = f"http://127.0.0.1:{config['http_port']}/cobranza_whatsapp/payment"
        results = []

        def replay(_index):
            response = requests.post(url, data=body, timeout=60, headers={
                "Content-Type": "application/json", "X-Cobranza-Signature": signature})
            results.append((response.status_code, response.json().get("result")))

        errors = run_in_threads(replay, 12)
        self.assertFalse(errors)
        self.assertEqual(sorted(r for _s, r in results).count("reconciled"), 1, results)
        self.assertEqual(sorted(r for _s, r in results).count("duplicate"), 11, results)
        with self.env_cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            move = env["account.move"].browse(self.created["moves"][0])
            payments = env["account.payment"].search([("partner_id", "=", move.partner_id.id)])
            self.assertEqual(len(payments), 1, "exactly one payment for the notification")
            self.assertIn(move.payment_state, ("paid", "in_payment"))
            move.company_id.cobranza_payment_webhook_secret = False
            payments.action_draft()
            payments.action_cancel()
            cr.commit()
