from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import BaseCase, tagged

from ..tools import graph_api
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


@tagged("post_install", "-at_install")
class TestApiUrlAllowlist(BaseCase):
    """Where a token may go, without a database: Meta's Graph API over https, or a host a
    system administrator allowed; the client refuses anything else before any request."""

    def test_only_metas_host_over_https_by_default(self):
        allowed = graph_api.api_url_allowed
        self.assertTrue(allowed("https://graph.facebook.com"))
        self.assertTrue(allowed("https://GRAPH.facebook.com:443/"))
        for url in ("http://graph.facebook.com", "https://graph.facebook.com:8443",
                    "https://graph.facebook.com.example.com", "https://example.com",
                    "https://user:pw@graph.facebook.com", "https://graph.facebook.com@evil.io",
                    "https://evil.io\\@graph.facebook.com", "https://graph.facebook.com\n",
                    "file:///etc/passwd", "graph.facebook.com", "", None,
                    "https://lookaside.fbsbx.com/file", "http://127.0.0.1:8069"):
            self.assertFalse(allowed(url), url)
        # Meta's media CDN, for the downloads Meta hands out, over https only.
        self.assertTrue(allowed("https://lookaside.fbsbx.com/whatsapp?mid=1", media=True))
        self.assertFalse(allowed("http://lookaside.fbsbx.com/whatsapp", media=True))

    def test_the_parameter_allows_a_host_or_one_port(self):
        hosts = graph_api.parse_allowed_hosts(" 127.0.0.1:8765, Proxy.Example ,")
        self.assertEqual(hosts, {"127.0.0.1:8765", "proxy.example"})
        allowed = graph_api.api_url_allowed
        self.assertTrue(allowed("http://127.0.0.1:8765", hosts))
        self.assertFalse(allowed("http://127.0.0.1:8766", hosts))
        self.assertTrue(allowed("https://proxy.example:9443/graph", hosts))
        self.assertTrue(allowed("http://proxy.example", hosts))
        self.assertFalse(allowed("http://proxy.example.evil.io", hosts))
        self.assertTrue(allowed("https://api.example", "api.example:443"))

    def test_the_client_refuses_before_any_request(self):
        def no_network(*_args, **_kwargs):
            raise AssertionError("a request was made")

        with patch.object(graph_api.requests.Session, "request", no_network):
            with self.assertRaises(graph_api.ApiUrlRefused) as refused:
                graph_api.GraphApi(api_url="https://evil.io/steal", version="v27.0",
                                   token="T0K3N")
            self.assertNotIn("T0K3N", str(refused.exception))
            self.assertIn("https://evil.io/steal", str(refused.exception))
            self.assertEqual(refused.exception.kind, "account", "the queue waits, intact")
            client = graph_api.GraphApi(api_url="http://127.0.0.1:9", version="v27.0",
                                        token="T0K3N", allowed_hosts=["127.0.0.1:9"])
            # An address in Meta's answer (a media download) is checked the same way.
            with self.assertRaises(graph_api.ApiUrlRefused):
                client._fetch("https://evil.io/media?mid=1")
            with self.assertRaises(graph_api.ApiUrlRefused):
                client._fetch("http://lookaside.fbsbx.com/media?mid=1")
