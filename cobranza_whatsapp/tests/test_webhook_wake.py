"""The webhook's own work per POST: the signing secrets kept in memory until an account
changes, and one wake-up of the processing cron for a burst of POSTs (issue #19)."""

import json

from odoo import sql_db
from odoo.tests import HttpCase, tagged

from ..tools import meta_api
from . import graph_mock
from .common import CobranzaCommon

URL = "/cobranza_whatsapp/webhook"


@tagged("post_install", "-at_install")
class TestWebhookWake(CobranzaCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wa_account.sudo().write({"app_secret": "first-secret",
                                     "phone_number_id": "PNID1", "waba_id": "WABA1"})
        cls.cron = cls.env.ref("cobranza_whatsapp.ir_cron_webhook_received")

    def post(self, payload, secret):
        data = json.dumps(payload).encode()
        return self.url_open(URL, data=data, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_api.compute_signature(secret, data)})

    def triggers(self):
        self.env.cr.execute("SELECT id FROM ir_cron_trigger WHERE cron_id = %s",
                            [self.cron.id])
        return [row[0] for row in self.env.cr.fetchall()]

    def receive(self, wamid):
        payload = graph_mock.status_payload([graph_mock.status_item(wamid, "delivered")])
        return self.env["cobranza.webhook.event"].sudo()._receive_webhook(
            self.wa_account.sudo(), payload)

    def test_a_changed_secret_is_used_at_once(self):
        payload = graph_mock.status_payload([graph_mock.status_item("wamid.W1", "sent")])
        self.assertEqual(self.post(payload, "first-secret").status_code, 200)
        self.wa_account.sudo().app_secret = "second-secret"
        self.assertEqual(self.post(payload, "first-secret").status_code, 401,
                         "the old secret is refused as soon as the account changed")
        self.assertEqual(self.post(payload, "second-secret").status_code, 200)
        self.wa_account.sudo().active = False
        self.assertEqual(self.post(payload, "second-secret").status_code, 401,
                         "an archived account's secret signs nothing")

    def test_one_trigger_for_a_burst(self):
        self.env.cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", [self.cron.id])
        for index in range(5):
            self.assertEqual(self.receive(f"wamid.BURST{index}")["new"], 1)
        self.assertEqual(len(self.triggers()), 1, "five POSTs wake the cron once")
        # The cron ran and took its trigger: the next POST wakes it again.
        self.env.cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", [self.cron.id])
        self.receive("wamid.AFTER")
        self.assertEqual(len(self.triggers()), 1)
        self.receive("wamid.AFTER")  # a duplicate stores nothing and wakes nobody
        self.assertEqual(len(self.triggers()), 1)

    def test_a_trigger_being_taken_is_not_counted_on(self):
        """A run of the cron that started deletes its trigger (and holds the row until it
        ends): it may not see these events, so a new trigger is made."""
        self.env.cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", [self.cron.id])
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as setup:
            setup.execute("INSERT INTO ir_cron_trigger (cron_id, call_at) "
                          "VALUES (%s, now() AT TIME ZONE 'UTC' - interval '1 second') "
                          "RETURNING id", [self.cron.id])
            taken = setup.fetchone()[0]
            setup.commit()
        try:
            with db.cursor() as cron_run:
                cron_run.execute("DELETE FROM ir_cron_trigger WHERE id = %s", [taken])
                self.receive("wamid.DURING")
                mine = [t for t in self.triggers() if t != taken]
                self.assertEqual(len(mine), 1, "a trigger of its own wakes the next run")
                cron_run.rollback()
        finally:
            with db.cursor() as cleanup:
                cleanup.execute("DELETE FROM ir_cron_trigger WHERE id = %s", [taken])
                cleanup.commit()

    def queries(self, url, data=b"{}", headers=None):
        """The queries one request runs, and its answer's status."""
        count = self.cr.sql_log_count
        response = self.url_open(url, data=data, headers=headers)
        return self.cr.sql_log_count - count, response.status_code

    def signed_post(self, wamid):
        payload = graph_mock.status_payload([graph_mock.status_item(wamid, "sent")])
        data = json.dumps(payload).encode()
        return self.queries(URL, data, {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_api.compute_signature("first-secret", data)})

    def test_a_post_costs_one_query_of_its_own(self):
        """A POST is authenticated by its signature, not by a session: no query to find the
        public user (``auth="public"`` costs one), and the new events stored and the cron's
        trigger looked for in one statement. What a refused POST costs is Odoo's own work
        per request, no more than a bare ``auth="none"`` route (``/web/health``)."""
        self.signed_post("wamid.Q0")  # the caches filled, the cron's trigger made
        self.queries("/web/health", data=None)
        bare, code = self.queries("/web/health", data=None)
        self.assertEqual(code, 200)
        refused, code = self.queries(URL, headers={"X-Hub-Signature-256": "sha256=00"})
        self.assertEqual(code, 401)
        self.assertLessEqual(refused, bare, "a refused POST costs no query of its own")
        stored, code = self.signed_post("wamid.Q1")
        self.assertEqual(code, 200)
        self.assertEqual(stored, refused + 1, "one statement stores it and finds the trigger")
        self.assertEqual(self.env["cobranza.webhook.event"].search_count(
            [("key", "like", "%wamid.Q1%")]), 1)
        self.assertEqual(len(self.triggers()), 1)
