import datetime
import importlib
import shutil

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestTours(CobranzaCommon, HttpCase):
    """The workspace in a real browser (headless Chromium), as two of its users see it."""

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
        cls.accountant = cls.collector
        cls.accountant.group_ids |= cls.env.ref("account.group_account_invoice")

    def test_accountant_sends_a_reminder_from_the_invoice(self):
        self.assertEqual(self.move.cobranza_state, "reminded")
        before = len(self.messages_for(self.customer))
        self.start_tour(f"/odoo/account.move/{self.move.id}",
                        "cobranza_accountant_tour", login=self.accountant.login)
        self.assertEqual(len(self.messages_for(self.customer)), before + 1)

    def test_sales_user_sees_status_read_only(self):
        self.start_tour(f"/odoo/res.partner/{self.customer.id}", "cobranza_sales_tour",
                        login=self.salesman.login)
