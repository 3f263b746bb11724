from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CobranzaCommon


@tagged("post_install", "-at_install")
class TestSecurity(CobranzaCommon):
    def test_sales_user_reads_status_but_changes_nothing(self):
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        partner = self.customer.with_user(self.salesman)
        self.assertEqual(partner.cobranza_consent, "optin")
        self.assertTrue(partner.cobranza_risk)
        self.assertEqual(len(self.messages_for(self.customer).with_user(self.salesman)), 1)
        with self.assertRaises(AccessError):
            partner.cobranza_risk_manual = "high"
        with self.assertRaises(AccessError):
            self.messages_for(self.customer).with_user(self.salesman).state = "cancelled"
        with self.assertRaises(AccessError):
            self.level_by_offset[3].with_user(self.salesman).offset_days = 4
        self.assertTrue(move.with_user(self.collector).cobranza_level_id)

    def test_collector_works_cases_manager_configures(self):
        partner = self.customer.with_user(self.collector)
        partner.cobranza_risk_manual = "high"
        self.assertEqual(partner.cobranza_risk, "high")
        with self.assertRaises(AccessError):
            self.level_by_offset[3].with_user(self.collector).offset_days = 4
        with self.assertRaises(AccessError):
            self.wa_account.with_user(self.collector).rate_limit = 5
        self.level_by_offset[30].with_user(self.manager).offset_days = 31
        self.wa_account.with_user(self.manager).rate_limit = 10

    def test_tokens_only_for_system_admins(self):
        self.wa_account.sudo().write({"access_token": "EAAfake", "app_secret": "shh"})
        for user in (self.manager, self.collector):
            data = self.wa_account.with_user(user).read(["name"])[0]
            self.assertNotIn("access_token", data)
            with self.assertRaises(AccessError):
                self.wa_account.with_user(user).read(["access_token"])
            with self.assertRaises(AccessError):
                self.wa_account.with_user(user).read(["app_secret"])

    def test_multi_company_isolation(self):
        other = self.setup_other_company()["company"]
        other._cobranza_load_defaults()
        other_account = self.env["cobranza.whatsapp.account"].create({
            "name": "Other", "company_id": other.id,
        })
        self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        for user in (self.collector, self.manager):
            env = self.env(user=user)
            self.assertFalse(
                env["cobranza.whatsapp.account"].search([("id", "=", other_account.id)])
            )
            self.assertFalse(env["cobranza.level"].search([("company_id", "=", other.id)]))
            self.assertEqual(env["cobranza.message"].search_count([]), 1)
            self.assertFalse(env["cobranza.whatsapp.template"].search(
                [("company_id", "=", other.id)]))
