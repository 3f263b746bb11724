import datetime

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.base.tests.common import new_test_user
from odoo.tests import BaseCase

from ..tools import graph_api
from . import graph_mock

# A Wednesday inside business hours in Lima (UTC-5): 15:00 UTC is 10:00 local.
NOW = datetime.datetime(2026, 11, 18, 15, 0, 0)
TODAY = NOW.date()


def allow_api_host(env, url):
    """Let the accounts' token go to `url`'s host and port (the loopback mock): what a system
    administrator does with the system parameter; Meta's host needs no such thing."""
    host = graph_api.urllib.parse.urlsplit(url)
    entry = f"{host.hostname}:{host.port}" if host.port else host.hostname
    param = env["ir.config_parameter"].sudo()
    allowed = graph_api.parse_allowed_hosts(param.get_param(graph_api.ALLOWED_HOSTS_PARAM, ""))
    param.set_param(graph_api.ALLOWED_HOSTS_PARAM, ",".join(sorted(allowed | {entry})))
    return [entry]


def render_pdfs_offline(env):
    """Real PDF rendering in a test without wkhtmltopdf fetching the report's assets from
    this Odoo: under Odoo's own runner the HTTP server does not answer while a test runs, and
    wkhtmltopdf, which has no timeout, would wait for ever. A closed port makes it give up at
    once; Odoo keeps the PDF it made (exit code 1)."""
    env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")


class CobranzaCommon(AccountTestInvoicingCommon):
    """A company with the default cadence, a sandbox account and a few customers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        # The accounting test user also manages collections in these tests.
        cls.env.user.group_ids |= cls.env.ref("cobranza_whatsapp.group_cobranza_manager")
        cls.company.write({"cobranza_frequency_cap": 2, "country_id": cls.env.ref("base.pe").id})
        cls.company._cobranza_load_defaults()
        cls.wa_account = cls.env["cobranza.whatsapp.account"].create({
            "name": "Test WhatsApp",
            "company_id": cls.company.id,
            "mode": "sandbox",
            "phone_number_id": "PNID1",
            "waba_id": "WABA1",
            "rate_limit": 0,
        })
        cls.templates = cls.env["cobranza.whatsapp.template"].search(
            [("company_id", "=", cls.company.id)]
        )
        cls.templates.write({"account_id": cls.wa_account.id})
        cls.templates.action_submit()
        cls.levels = cls.env["cobranza.level"].search([("company_id", "=", cls.company.id)])
        cls.level_by_offset = {level.offset_days: level for level in cls.levels}
        cls.pe = cls.env.ref("base.pe")
        cls.mx = cls.env.ref("base.mx")
        cls.es = cls.env.ref("base.es")
        cls.customer = cls._customer("María Quispe", "+51 987 654 321", cls.pe)
        cls.collector = new_test_user(
            cls.env, login="collector", groups="account.group_account_invoice,"
            "cobranza_whatsapp.group_cobranza_user", company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)], name="Carla Collector",
        )
        cls.manager = new_test_user(
            cls.env, login="cobranza_manager", groups="account.group_account_manager,"
            "cobranza_whatsapp.group_cobranza_manager", company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)], name="Mario Manager",
        )
        cls.salesman = new_test_user(
            cls.env, login="salesman", groups="base.group_user,base.group_partner_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
            name="Sara Sales",
        )

    @classmethod
    def _customer(cls, name, phone, country, consent=True, **values):
        vals = {
            "name": name,
            "phone": phone,
            "country_id": country.id,
            "email": f"{name.split()[0].lower()}@example.com",
            "lang": "en_US",
            "tz": {"PE": "America/Lima", "MX": "America/Mexico_City",
                   "ES": "Europe/Madrid"}.get(country.code, "UTC"),
        }
        if consent:
            vals.update(cobranza_optin_date=NOW - datetime.timedelta(days=90),
                        cobranza_optin_source="Contract")
        vals.update(values)
        return cls.env["res.partner"].create(vals)

    @classmethod
    def _invoice(cls, partner, amount, days_overdue, currency=None, post=True):
        """A posted customer invoice due `days_overdue` days before TODAY."""
        due = TODAY - datetime.timedelta(days=days_overdue)
        move = cls.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "company_id": cls.company.id,
            "invoice_date": min(due - datetime.timedelta(days=30), TODAY),
            "invoice_date_due": due,
            "currency_id": (currency or cls.company.currency_id).id,
            "invoice_line_ids": [Command.create({
                "name": "Goods", "quantity": 1, "price_unit": amount, "tax_ids": [],
            })],
        })
        if post:
            move.action_post()
        return move

    @classmethod
    def _dated_invoice(cls, amount, invoice_date, due, company_data=None, partner=None):
        """A posted customer invoice with its own dates, in `company_data`'s company."""
        company_data = company_data or cls.company_data
        company = company_data["company"]
        move = cls.env["account.move"].with_company(company).create({
            "move_type": "out_invoice", "partner_id": (partner or cls.customer).id,
            "company_id": company.id, "journal_id": company_data["default_journal_sale"].id,
            "invoice_date": invoice_date, "invoice_date_due": due,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1,
                                                 "price_unit": amount, "tax_ids": []})],
        })
        move.action_post()
        return move

    @classmethod
    def _pay(cls, move, amount, date):
        cls.env["account.payment.register"].with_company(move.company_id).with_context(
            active_model="account.move", active_ids=move.ids,
        ).create({"payment_date": date, "amount": amount})._create_payments()

    def run_cadence(self, now=NOW, **kwargs):
        return self.env["cobranza.cadence"]._run(
            self.company, today=now.date(), now=now, **kwargs
        )

    def queue_reminder(self, partner=None):
        """An invoice 4 days overdue, the cadence run: its reminder, due now."""
        partner = partner or self.customer
        move = self._invoice(partner, 500.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        message.scheduled_at = fields.Datetime.now() - datetime.timedelta(minutes=1)
        return message

    def messages_for(self, partner):
        return self.env["cobranza.message"].search(
            [("partner_id", "=", partner.id)], order="id"
        )

    def steps_for(self, moves):
        return self.env["cobranza.step"].search([("move_id", "in", moves.ids)], order="id")

    @staticmethod
    def days(n):
        return datetime.timedelta(days=n)

    @staticmethod
    def today():
        return fields.Date.today()


class LiveAccountCommon(CobranzaCommon):
    """The WhatsApp account in live mode, talking to the project's loopback Graph API."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = graph_mock.GraphMock().start()
        cls.addClassCleanup(cls.mock.stop)
        allow_api_host(cls.env, cls.mock.url)
        cls.wa_account.sudo().write({
            "mode": "live", "api_url": cls.mock.url, "access_token": "test-token",
            "app_secret": "test-secret", "app_id": cls.mock.app_id,
        })
        # The WABA has the company's templates, approved: the mock checks every template
        # message against them (name, language, parameter count, document header).
        cls.mock.approve_templates(cls.mock_templates(cls.templates))

    @staticmethod
    def mock_templates(templates):
        return [{"name": t.name, "language": t.language, "body": t.body,
                 "category": t.category,
                 "header": "DOCUMENT" if t.header_type == "document" else None}
                for t in templates]

    def setUp(self):
        super().setUp()
        self.mock.reset()


class GraphMockCase(BaseCase):
    """Database-free tests against the project's loopback Graph API, reset for each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mock = graph_mock.GraphMock().start()
        cls.addClassCleanup(cls.mock.stop)

    def setUp(self):
        super().setUp()
        self.mock.reset()
