import datetime
import importlib
import shutil

from odoo import Command, fields
from odoo.addons.base.tests.common import new_test_user
from odoo.tests import HttpCase, tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestTours(CobranzaCommon, HttpCase):
    """The workspace in a real browser (headless Chromium), as each of its users sees it,
    each with the fewest rights their role has."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo skips browser tests silently without these; here that would hide a failure.
        if not (shutil.which("chromium") or shutil.which("google-chrome")):
            raise RuntimeError("The browser tours need Chromium: scripts/setup.sh installs it.")
        importlib.import_module("websocket")
        cls.move = cls._invoice(cls.customer, 300.0, days_overdue=4)
        cls.env["cobranza.cadence"]._run(cls.company, today=NOW.date(), now=NOW)
        cls.env["cobranza.message"]._process_queue(now=NOW)
        # The browser runs on the real clock: keep the invoice 4 days overdue on the day the
        # test runs, so "Send reminder now" picks the same level whatever the date.
        real_due = fields.Date.context_today(cls.move) - datetime.timedelta(days=4)
        cls.env.cr.execute("UPDATE account_move SET invoice_date_due = %s WHERE id = %s",
                           (real_due, cls.move.id))
        cls.env.cr.execute("UPDATE account_move_line SET date_maturity = %s "
                           "WHERE move_id = %s AND date_maturity IS NOT NULL",
                           (real_due, cls.move.id))
        cls.env.invalidate_all()
        users = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.accountant = new_test_user(
            cls.env, login="tour_accountant", name="Ana Accountant", **users,
            groups="account.group_account_invoice,cobranza_whatsapp.group_cobranza_user")
        cls.collector_es = new_test_user(
            cls.env, login="tour_collector", name="Carlos Cobrador", lang="es_419", **users,
            groups="base.group_user,cobranza_whatsapp.group_cobranza_user")
        cls.sales_rep = new_test_user(cls.env, login="tour_sales", name="Sara Sales",
                                      groups="base.group_user", **users)

    @classmethod
    def _spanish(cls):
        cls.env["res.lang"]._activate_lang("es_419")
        cls.env["ir.module.module"]._load_module_terms(["web", "cobranza_whatsapp"], ["es_419"])

    def test_collector_answers_a_reply_from_the_work_queue(self):
        self._spanish()
        self.collector_es.lang = "es_419"
        reply = self.env["cobranza.message"]._receive(self.wa_account, {
            "from": "51987654321", "text": "Quiero hablar con una persona",
            "message_id": "wamid.TOUR1"})
        self.assertTrue(reply.needs_person)
        self.assertTrue(self.customer.cobranza_handoff)
        self.start_tour("/odoo", "cobranza_collector_tour", login=self.collector_es.login)
        promise = self.env["cobranza.promise"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.source_message_id, reply)
        self.assertEqual(promise.move_ids, self.move)
        self.assertFalse(reply.needs_person)
        self.assertFalse(self.customer.cobranza_handoff, "the reminders resume")
        self.assertIn("Carlos Cobrador", " ".join(self.customer.message_ids.mapped("body")))

    def test_accountant_sends_a_reminder_from_the_invoice(self):
        self.assertEqual(self.move.cobranza_state, "reminded")
        before = len(self.messages_for(self.customer))
        self.start_tour("/odoo", "cobranza_accountant_tour", login=self.accountant.login)
        self.assertEqual(len(self.messages_for(self.customer)), before + 1)

    def test_sales_rep_sees_status_read_only(self):
        self.env["cobranza.promise"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "move_ids": [Command.set(self.move.ids)],
            "date": fields.Date.today() + datetime.timedelta(days=3)})
        self.start_tour(f"/odoo/res.partner/{self.customer.id}", "cobranza_sales_tour",
                        login=self.sales_rep.login)

    def _proof(self):
        """The customer's photo of the transfer, as the sandbox's customers send it."""
        reply = self.env["cobranza.message"].sudo()._receive(self.wa_account, {
            "from": "51987654321", "text": "ya pagué 300", "message_id": "wamid.TOURPROOF",
            "type": "image", "media": {"id": "sandbox-receipt-TOUR01", "mime_type": "image/png"}})
        proof = self.env["cobranza.payment.proof"].sudo().search(
            [("message_id", "=", reply.id)])
        self.assertEqual(proof.state, "pending", reply.action_taken)
        return proof

    def test_accountant_confirms_a_proof_of_payment(self):
        proof = self._proof()
        self.start_tour("/odoo", "cobranza_proof_tour", login=self.accountant.login)
        self.assertEqual(proof.state, "confirmed")
        self.assertEqual(self.move.payment_state in ("paid", "in_payment"), True)

    def test_collector_sees_a_proof_and_cannot_decide_it(self):
        proof = self._proof()
        self.start_tour("/odoo", "cobranza_proof_collector_tour",
                        login=self.collector_es.login)
        self.assertEqual(proof.state, "pending")
