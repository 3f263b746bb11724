"""Who may do what, per group and per company, and where the credentials can never go.

The rights are the README's "Security" section: internal users read the collection status,
collectors work cases, managers configure; portal and public users see none of it; every
model is isolated per company; tokens and secrets are for system administrators only.
"""

import contextlib
import warnings

import freezegun
from lxml import etree

from odoo import Command
from odoo.addons.base.tests.common import new_test_user
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

from ..tools import graph_api
from . import graph_mock
from .common import NOW, CobranzaCommon, allow_api_host

TOKEN = "EAAGaccessTOKENfor-tests-3f9"
APP_SECRET = "app-secret-for-access-tests"
VERIFY_TOKEN = "verify-token-for-access-tests"
PAY_SECRET = "pay-secret-for-access-tests"
SECRETS = (TOKEN, APP_SECRET, VERIFY_TOKEN, PAY_SECRET)
TOKEN_FIELDS = ("access_token", "app_secret", "verify_token")
# Where the token goes: system administrators only.
ENDPOINT_FIELDS = ("api_url", "api_version", "timeout")
# What Meta told the set-up check: the managers who configure the account, not collectors.
SETUP_FIELDS = ("verified_name", "quality_rating", "registration_state", "app_subscribed",
                "messaging_limit", "setup_checked_at", "setup_problems")
# A customer's words: the collection users'.
MESSAGE_WORDS = ("body", "wa_id", "attachment_ids", "intent_evidence")

# r = read, w = write, c = create, u = unlink. What the README's Security section and
# security/ir.model.access.csv promise for each role.
# The accountant is an internal user without the collections groups. Portal and public
# users have no right at all (the roles left out below).
EXPECTED = {
    "cobranza.message": {"sales": "r", "accountant": "r", "collector": "rwc", "manager": "rwcu"},
    "cobranza.whatsapp.account": {"collector": "r", "manager": "rwcu"},
    "cobranza.whatsapp.template": {"sales": "r", "accountant": "r", "collector": "r",
                                   "manager": "rwcu"},
    "cobranza.level": {"sales": "r", "accountant": "r", "collector": "r", "manager": "rwcu"},
    "cobranza.promise": {"sales": "r", "accountant": "r", "collector": "rwc", "manager": "rwcu"},
    "cobranza.payment.plan": {"sales": "r", "accountant": "r", "collector": "rwc",
                              "manager": "rwcu"},
    "cobranza.payment.notification": {"accountant": "rw", "collector": "r", "manager": "r"},
    "cobranza.webhook.event": {"manager": "r"},
    "cobranza.work.item": {"collector": "r", "manager": "r"},
    # Accountants decide proofs of payment; collectors see them.
    "cobranza.payment.proof": {"accountant": "rw", "collector": "r", "manager": "r"},
    "cobranza.alert": {"collector": "r", "manager": "ru"},
    "cobranza.kpi.alert": {"manager": "rwcu"},
}

# The collection fields every internal user reads and only collectors change.
PARTNER_FIELDS = ("cobranza_risk", "cobranza_risk_manual", "cobranza_risk_reason",
                  "cobranza_customer_type", "cobranza_collector_id", "cobranza_consent",
                  "cobranza_optin_date", "cobranza_handoff", "cobranza_pay_probability",
                  "cobranza_pay_probability_reason", "cobranza_broken_promises",
                  "cobranza_total_overdue", "cobranza_last_outcome")
MOVE_FIELDS = ("cobranza_state", "cobranza_level_id", "cobranza_excluded", "cobranza_disputed",
               "cobranza_exclusion_reason", "cobranza_paused_until", "cobranza_handoff",
               "cobranza_pay_probability_reason", "cobranza_days_overdue")


class AccessCommon(CobranzaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = [Command.set(cls.company.ids)]
        cls.users = {
            "sales": cls.salesman,
            "collector": new_test_user(
                cls.env, login="only_collector", groups="cobranza_whatsapp.group_cobranza_user",
                company_id=cls.company.id, company_ids=company, name="Olga Collector"),
            "manager": new_test_user(
                cls.env, login="only_manager", groups="cobranza_whatsapp.group_cobranza_manager",
                company_id=cls.company.id, company_ids=company, name="Omar Manager"),
            "accountant": new_test_user(
                cls.env, login="only_accountant", groups="account.group_account_invoice",
                company_id=cls.company.id, company_ids=company, name="Ana Accountant"),
        }
        cls.contact = cls.env["res.partner"].create({
            "name": "María's assistant", "parent_id": cls.customer.id, "type": "invoice"})
        cls.users["portal"] = new_test_user(
            cls.env, login="portal_customer", groups="base.group_portal",
            partner_id=cls.contact.id, company_id=cls.company.id, company_ids=company)
        cls.users["public"] = cls.env.ref("base.public_user").sudo()  # of the main company
        cls.wa_account.sudo().write({"access_token": TOKEN, "app_secret": APP_SECRET,
                                     "verify_token": VERIFY_TOKEN})
        cls.env["ir.config_parameter"].sudo().set_param(
            "cobranza_whatsapp.payment_webhook_secret", PAY_SECRET)

        cls.move = cls._invoice(cls.customer, 300.0, days_overdue=4)
        cls.env["cobranza.cadence"]._run(cls.company, today=NOW.date(), now=NOW)
        cls.message = cls.env["cobranza.message"].search([("partner_id", "=", cls.customer.id)])
        cls.message.sudo().account_id = cls.wa_account  # what the sender records
        cls.customer.write({"cobranza_risk_manual": "high", "cobranza_collector_id":
                            cls.users["collector"].id})
        cls.customer.cobranza_risk_reason = "Pays 45 days late on average"
        cls.move.write({"cobranza_exclusion_reason": "Internal note", "cobranza_handoff": True})
        cls.records = cls._records(cls.company, cls.move, cls.message)

    @classmethod
    def _records(cls, company, move, message):
        """One record of each model, created the way the addon creates them."""
        env = cls.env
        promise = env["cobranza.promise"]._record(move.partner_id, move, NOW.date())
        plan = env["cobranza.payment.plan"].create({
            "partner_id": move.partner_id.id, "company_id": company.id,
            "currency_id": move.currency_id.id, "amount_total": 100.0})
        notification = env["cobranza.payment.notification"].sudo().create({
            "external_id": f"evt-access-{company.id}", "move_ids": [Command.set(move.ids)],
            "state": "exception", "reason": "Amount above what is owed"})
        account = env["cobranza.whatsapp.account"].search([("company_id", "=", company.id)],
                                                          limit=1)
        event_ids = env["cobranza.webhook.event"]._store(account, [{
            "key": f"status:wamid.ACCESS{company.id}:read", "kind": "status",
            "wamid": f"wamid.ACCESS{company.id}", "status": "read"}])
        env.flush_all()
        work_item = env["cobranza.work.item"].search([("move_id", "=", move.id)], limit=1)
        assert work_item, "the hand-off puts the invoice in the work queue"
        proof = env["cobranza.payment.proof"].sudo().create({
            "company_id": company.id, "partner_id": move.partner_id.id,
            "move_ids": [Command.set(move.ids)], "checksum": f"access-{company.id}"})
        alert = env["cobranza.alert"].sudo().create({
            "company_id": company.id, "kind": "dispute", "key": f"access-{company.id}",
            "move_id": move.id})
        kpi_alert = env["cobranza.kpi.alert"].sudo().create({"company_id": company.id})
        return {
            "cobranza.message": message,
            "cobranza.whatsapp.account": account,
            "cobranza.whatsapp.template": message.template_id,
            "cobranza.level": message.level_id,
            "cobranza.promise": promise,
            "cobranza.payment.plan": plan,
            "cobranza.payment.notification": notification,
            "cobranza.webhook.event": env["cobranza.webhook.event"].browse(event_ids),
            "cobranza.work.item": work_item,
            "cobranza.payment.proof": proof,
            "cobranza.alert": alert,
            "cobranza.kpi.alert": kpi_alert,
        }

    @contextlib.contextmanager
    def rolled_back(self):
        with contextlib.closing(self.env.cr.savepoint()):
            yield
        self.env.invalidate_all()

    def assert_no_secret(self, data, label=None):
        text = repr(data)
        for secret in SECRETS:
            self.assertNotIn(secret, text, label)


@tagged("post_install", "-at_install")
class TestAccessRights(AccessCommon):

    READ_FIELD = {"cobranza.work.item": "kind", "cobranza.alert": "kind",
                  "cobranza.kpi.alert": "kpi", "cobranza.whatsapp.account": "name",
                  "cobranza.whatsapp.template": "name", "cobranza.level": "name"}
    WRITE_VALUES = {
        "cobranza.message": {"body": "edited"},
        "cobranza.whatsapp.account": {"rate_limit": 7.0},
        "cobranza.whatsapp.template": {"sequence": 3},
        "cobranza.level": {"sequence": 3},
        "cobranza.promise": {"note": "edited"},
        "cobranza.payment.plan": {"grace_days": 4},
        # What a person may fix on a notification to review (the rest is the sender's).
        "cobranza.payment.notification": {"journal_id": False},
        "cobranza.webhook.event": {"attempts": 1},
        # The one thing a person writes on a proof (the rest is the customer's).
        "cobranza.payment.proof": {"reason": "edited"},
        "cobranza.alert": {"amount": 1.0},
        "cobranza.kpi.alert": {"threshold": 20.0},
    }

    def create_values(self, model):
        company = self.company.id
        return {
            "cobranza.message": {"partner_id": self.customer.id, "company_id": company,
                                 "channel": "call", "body": "Called"},
            "cobranza.whatsapp.account": {"name": "Second", "company_id": company},
            "cobranza.whatsapp.template": {"name": "access_test", "body": "Hola",
                                           "company_id": company, "header_type": "none"},
            "cobranza.level": {"name": "Access", "offset_days": 90, "channel": "call",
                               "company_id": company},
            "cobranza.promise": {"partner_id": self.customer.id, "date": NOW.date(),
                                 "company_id": company},
            "cobranza.payment.plan": {"partner_id": self.customer.id, "company_id": company,
                                      "currency_id": self.move.currency_id.id,
                                      "amount_total": 50.0},
            "cobranza.payment.notification": {"external_id": "evt-created"},
            "cobranza.webhook.event": {"key": "created", "kind": "status"},
            "cobranza.payment.proof": {"company_id": company, "partner_id": self.customer.id,
                                       "checksum": "created"},
            "cobranza.alert": {"company_id": company, "kind": "dispute", "key": "created"},
            "cobranza.kpi.alert": {"company_id": company, "kpi": "dso"},
        }.get(model)

    def allowed(self, operation):
        """Run the operation for real; False when the ORM refuses it for access."""
        with self.rolled_back():
            try:
                operation()
            except AccessError:
                return False
        return True

    def rights(self, user, model):
        record = self.records[model]
        Model = self.env[model].with_user(user)
        field = self.READ_FIELD.get(model, "state")
        found = ""
        if self.allowed(lambda: record.with_user(user).read([field])):
            found += "r"
            self.assertIn(record, Model.search([("id", "=", record.id)]))
        if model == "cobranza.work.item":  # a view over other tables: nobody writes it
            for operation in ("write", "create", "unlink"):
                self.assertFalse(Model.has_access(operation), (user.login, operation))
            return found
        if self.allowed(lambda: record.with_user(user).write(self.WRITE_VALUES[model])):
            found += "w"
        if self.allowed(lambda: Model.create(self.create_values(model))):
            found += "c"
        if self.allowed(lambda: self.env[model].sudo().create(self.create_values(model))
                        .with_user(user).unlink()):
            found += "u"
        return found

    def test_rights_per_group(self):
        """Each role's read/write/create/unlink on every collections model, done for real."""
        found = {model: {role: self.rights(user, model) for role, user in self.users.items()}
                 for model in EXPECTED}
        expected = {model: {role: rights.get(role, "") for role in self.users}
                    for model, rights in EXPECTED.items()}
        self.assertEqual(found, expected)

    def test_system_admins_read_the_credentials(self):
        """The one role that reads them (so the refusals below are not vacuous)."""
        admin = new_test_user(self.env, login="sysadmin",
                              groups="base.group_system,cobranza_whatsapp.group_cobranza_manager",
                              company_id=self.company.id,
                              company_ids=[Command.set(self.company.ids)])
        values = self.wa_account.with_user(admin).read(list(TOKEN_FIELDS))[0]
        self.assertEqual([values[f] for f in TOKEN_FIELDS], [TOKEN, APP_SECRET, VERIFY_TOKEN])

    def test_internal_users_read_collection_fields_only_collectors_change_them(self):
        sales, collector = self.users["sales"], self.users["collector"]
        accountant = self.users["accountant"]
        for user in (sales, collector, self.users["manager"]):
            values = self.customer.with_user(user).read(list(PARTNER_FIELDS))[0]
            self.assertEqual((values["cobranza_risk"], values["cobranza_collector_id"][0]),
                             ("high", collector.id))
        values = self.move.with_user(accountant).read(list(MOVE_FIELDS))[0]
        self.assertEqual((values["cobranza_state"], values["cobranza_exclusion_reason"]),
                         ("handoff", "Internal note"))
        # Sales reps change none of it, by write or by creating a customer with it.
        for vals in ({"cobranza_optin_date": NOW}, {"cobranza_handoff": True},
                     {"cobranza_collector_id": sales.id}, {"cobranza_optout_date": NOW}):
            with self.subTest(vals=vals):
                self.assertFalse(self.allowed(
                    lambda v=vals: self.customer.with_user(sales).write(v)))
                self.assertFalse(self.allowed(lambda v=vals: self.env["res.partner"].with_user(
                    sales).create(dict(v, name="New customer"))))
        # ...but still create and edit customers, as the form sends the empty fields too.
        created = self.env["res.partner"].with_user(sales).create({
            "name": "New customer", "cobranza_risk_manual": False, "cobranza_handoff": False,
            "cobranza_optin_date": False, "cobranza_collector_id": False})
        created.with_user(sales).write({"phone": "+51 987 111 222"})
        # Invoicing users without the collections group do not change collection data.
        for vals in ({"cobranza_excluded": True}, {"cobranza_paused_until": NOW.date()},
                     {"cobranza_handoff": False}):
            with self.subTest(vals=vals):
                self.assertFalse(self.allowed(
                    lambda v=vals: self.move.with_user(accountant).write(v)))
        self.assertFalse(self.allowed(lambda: self.env["account.move"].with_user(accountant)
                                      .create({"move_type": "out_invoice",
                                               "partner_id": self.customer.id,
                                               "cobranza_excluded": True})))
        self.assertTrue(self.allowed(lambda: self.env["account.move"].with_user(accountant)
                                     .create({"move_type": "out_invoice",
                                              "partner_id": self.customer.id,
                                              "cobranza_excluded": False})))
        # Collectors do.
        self.customer.with_user(collector).write({"cobranza_handoff": True,
                                                  "cobranza_optin_date": NOW})
        invoicing_collector = self.collector  # collections + invoicing (tests/common.py)
        self.move.with_user(invoicing_collector).write({"cobranza_excluded": True})
        self.assertEqual(self.move.cobranza_state, "excluded")

    def test_portal_and_public_see_no_collection_data(self):
        """A customer on the portal reads its own invoices and contact, never how it is
        rated or chased."""
        portal, public = self.users["portal"], self.users["public"]
        self.assertEqual(self.move.with_user(portal).read(["name"])[0]["name"], self.move.name)
        for user, partner in ((portal, self.customer), (public, public.partner_id)):
            partner = partner.with_user(user)
            readable = [field for field in PARTNER_FIELDS
                        if self.allowed(lambda f=field, p=partner: p.read([f]))]
            self.assertEqual(readable, [], user.login)
            self.assertFalse([key for key in partner.fields_get() if key.startswith("cobranza_")])
            # The same fields through the user record (res.users inherits res.partner).
            own = user.with_user(user)
            self.assertFalse([field for field in PARTNER_FIELDS
                              if self.allowed(lambda f=field, u=own: u.read([f]))])
        readable = [field for field in MOVE_FIELDS
                    if self.allowed(lambda f=field: self.move.with_user(portal).read([f]))]
        self.assertEqual(readable, [])
        fields = self.env["account.move"].with_user(portal).fields_get()
        self.assertFalse([key for key in fields if key.startswith("cobranza_")])
        values = self.move.with_user(portal).web_read({"name": {}, "amount_residual": {}})
        self.assertEqual(values[0]["amount_residual"], 300.0, "the portal still works")


@tagged("post_install", "-at_install")
class TestSmartButtons(AccessCommon):
    """No smart button on the customer opens an access error: what a user sees, opens."""

    RELATIONAL = ("many2one", "one2many", "many2many")

    def click_smart_buttons(self, user, partner):
        """Each smart button the user's form shows (ours and other modules'), clicked as
        the web client does: its action, the list it opens read with the list's fields,
        then the first record's form. Returns {method name or model: records listed}."""
        partner = partner.with_user(user)
        arch = partner.get_views([(False, "form")])["views"]["form"]["arch"]
        clicked = {}
        for button in etree.fromstring(arch).xpath("//div[@name='button_box']/button"):
            if button.get("type") == "object":
                action = getattr(partner, button.get("name"))()
                label = button.get("name")
            else:
                # As /web/action/load reads it.
                action = self.env["ir.actions.act_window"].with_user(user).sudo().browse(
                    int(button.get("name")))._get_action_dict()
                label = action["res_model"]
            context = safe_eval(button.get("context") or "{}", {"id": partner.id})
            Model = self.env[action["res_model"]].with_user(user).with_context(**context)
            domain = action.get("domain") or []
            domain = safe_eval(domain) if isinstance(domain, str) else domain
            if context.get("search_default_partner_id"):  # the filter the button sets
                domain = [*domain, ("partner_id", "=", context["search_default_partner_id"])]
            views = {mode: view_id for view_id, mode in action.get("views") or []}
            list_view = Model.get_views([(views.get("list") or False, "list")])
            types = {name: info["type"] for name, info
                     in list_view["models"][Model._name]["fields"].items()}
            columns = etree.fromstring(list_view["views"]["list"]["arch"]).xpath("./field/@name")
            spec = {name: {"fields": {"display_name": {}}} if types[name] in self.RELATIONAL
                    else {} for name in columns}
            records = Model.web_search_read(domain, spec)["records"]
            if records:
                form_view = self.env["ir.ui.view"].browse(views["form"]) \
                    if views.get("form") else None
                Form(Model.browse(records[0]["id"]), view=form_view)
            clicked[label] = len(records)
        return clicked

    def test_a_sales_rep_sees_the_summary_and_opens_what_is_shown(self):
        sales = self.users["sales"]
        clicked = self.click_smart_buttons(sales, self.customer)
        self.assertEqual(clicked.get("cobranza.promise"), 1)
        self.assertFalse({"action_cobranza_open_overdue", "action_cobranza_open_messages"}
                         & set(clicked), "invoices and their messages are not the rep's")
        customer = Form(self.customer.with_user(sales))  # the Collections tab, read
        self.assertEqual((customer.cobranza_total_overdue, customer.cobranza_oldest_due),
                         (300.0, str(self.move.invoice_date_due)))
        self.assertIn("Promised", customer.cobranza_promise_status)
        self.assertEqual(customer.cobranza_next_action, "A collector follows up")

    def test_a_collector_opens_every_smart_button(self):
        clicked = self.click_smart_buttons(self.users["collector"], self.customer)
        self.assertEqual({label: clicked.get(label) for label in (
            "action_cobranza_open_overdue", "cobranza.promise", "action_cobranza_open_messages")},
            {"action_cobranza_open_overdue": 1, "cobranza.promise": 1,
             "action_cobranza_open_messages": 1})


@tagged("post_install", "-at_install")
class TestCredentialsNeverLeave(AccessCommon):
    """Every RPC read path a non-administrator has, tried against the four secrets."""

    def refused(self, operation, label=None):
        """True when the ORM refuses; else whatever came back must hold no secret."""
        with self.rolled_back(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # read_group, still an RPC
            try:
                data = operation()
            except UserError:  # AccessError, or "no rights to export"
                return True
        self.assert_no_secret(data, label)
        return False

    @staticmethod
    def token_paths(user, account, field):
        """Every way an RPC client asks for one field of the account, directly or through
        a collection message's many2one."""
        Account = account.browse().with_user(user)
        account = account.with_user(user)
        message = account.env["cobranza.message"].with_user(user)
        domain = [("id", "=", account.id)]
        return {
            "read": lambda: account.read([field]),
            "search_read": lambda: Account.search_read(domain, [field]),
            "web_read": lambda: account.web_read({field: {}}),
            "web_search_read": lambda: Account.web_search_read(domain, {field: {}}),
            "formatted_read_group": lambda: Account.formatted_read_group(
                domain, [field], ["__count"]),
            "formatted_read_group aggregate": lambda: Account.formatted_read_group(
                domain, [], [f"{field}:array_agg"]),
            "read_group": lambda: Account.read_group(domain, [field], [field]),
            "export_data": lambda: account.export_data([field]),
            "search on it": lambda: Account.search_count([(field, "=like", TOKEN[:3] + "%")]),
            "related web_read": lambda: message.search([("account_id", "=", account.id)])
            .web_read({"account_id": {"fields": {field: {}}}}),
            "related search": lambda: message.search_count(
                [(f"account_id.{field}", "=like", TOKEN[:3] + "%")]),
            "related group": lambda: message.formatted_read_group(
                [], [f"account_id.{field}"], ["__count"]),
        }

    def test_tokens_through_every_read_path(self):
        for role in ("collector", "manager"):
            user = self.users[role]
            for field in TOKEN_FIELDS:
                paths = self.token_paths(user, self.wa_account, field)
                leaked = [name for name, path in paths.items() if not self.refused(path)]
                self.assertEqual(leaked, [], (role, field))
            # What the user may read, read in full, holds no credential.
            Account = self.env["cobranza.whatsapp.account"].with_user(user)
            account = self.wa_account.with_user(user)
            domain = [("id", "=", self.wa_account.id)]
            fields = Account.fields_get()
            self.assertFalse(set(TOKEN_FIELDS) & set(fields))
            self.assert_no_secret(account.read(list(fields)))
            self.assert_no_secret(Account.search_read(domain))
            self.assert_no_secret(account.web_read({name: {} for name in fields
                                                    if fields[name]["type"] not in (
                                                        "one2many", "many2many")}))
            self.assert_no_secret(self.message.with_user(user).web_read(
                {"account_id": {"fields": {"display_name": {}, "mode": {}, "state": {}}}}))
            self.assert_no_secret(self.message.with_user(user).read(
                ["account_id", "to_number", "body", "error_message", "state"]))
            self.assert_no_secret(account.copy_data())

    def test_payment_secret_through_settings(self):
        """The payment webhook secret lives in Settings: only system admins open them."""
        field, key = "cobranza_payment_webhook_secret", "cobranza_whatsapp.payment_webhook_secret"
        for role in ("collector", "manager", "accountant", "sales"):
            Settings = self.env["res.config.settings"].with_user(self.users[role])
            Parameter = self.env["ir.config_parameter"].with_user(self.users[role])
            paths = {
                "default_get": lambda S=Settings: S.default_get([field]),
                "onchange of a new form": lambda S=Settings: S.onchange({}, [], {field: {}}),
                "create and read": lambda S=Settings: S.create({}).read([field]),
                "get_param": lambda P=Parameter: P.get_param(key),
                "search_read": lambda P=Parameter: P.search_read([("key", "=", key)]),
            }
            for name, path in paths.items():
                self.refused(path, f"{role}: {name}")  # refused, or answered without it
            self.assertNotIn(field, Settings.fields_get())


@tagged("post_install", "-at_install")
class TestCompanyIsolation(AccessCommon):
    """Company B's people never see company A's collections, accounts or tokens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.company_b._cobranza_load_defaults()
        b_only = [Command.set(cls.company_b.ids)]
        cls.b_users = [
            new_test_user(cls.env, login=f"b_{groups.split('.')[-1]}", groups=groups,
                          company_id=cls.company_b.id, company_ids=b_only)
            for groups in ("cobranza_whatsapp.group_cobranza_user",
                           "cobranza_whatsapp.group_cobranza_manager,account.group_account_invoice",
                           "base.group_system,cobranza_whatsapp.group_cobranza_manager")
        ]

    def test_company_b_sees_nothing_of_company_a(self):
        for user in self.b_users:
            for model, record in self.records.items():
                Model = self.env[model].with_user(user)
                if not Model.has_access("read"):
                    continue
                with self.subTest(user=user.login, model=model):
                    self.assertFalse(Model.search([("id", "in", record.ids)]))
                    self.assertFalse(Model.search([("company_id", "=", self.company.id)]))
                    with self.assertRaises(AccessError):
                        record.with_user(user).read(["display_name"])
            with self.subTest(user=user.login, what="tokens"):
                with self.assertRaises(AccessError):
                    self.wa_account.with_user(user).read(["name"])
                if user.has_group("base.group_system"):  # reads tokens, of its company only
                    Account = self.env["cobranza.whatsapp.account"].with_user(user)
                    self.assertFalse(Account.search([("access_token", "!=", False)]))
                    self.assert_no_secret(Account.search_read([], list(TOKEN_FIELDS)))
                    with self.assertRaises(AccessError):
                        self.wa_account.with_user(user).read(list(TOKEN_FIELDS))

    def test_shared_customer_shows_company_b_only(self):
        """The customer is shared; its collection status in company B holds nothing of A."""
        for user in self.b_users:
            with self.subTest(user=user.login):
                values = self.customer.with_user(user).read([
                    "cobranza_message_ids", "cobranza_message_count", "cobranza_total_due",
                    "cobranza_last_contact", "cobranza_last_outcome", "cobranza_promise_ids"])[0]
                self.assertEqual(values["cobranza_message_ids"], [])
                self.assertEqual(values["cobranza_message_count"], 0)
                self.assertEqual(values["cobranza_total_due"], 0.0)
                self.assertFalse(values["cobranza_last_contact"])
                self.assertFalse(values["cobranza_last_outcome"])
                self.assertEqual(values["cobranza_promise_ids"], [])


@tagged("post_install", "-at_install")
class TestTokenGoesToMetaOnly(AccessCommon):
    """No user but a system administrator can make the server send the token anywhere; a
    user who may not write never makes the server call Meta."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)  # inside the customers' send window

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.meta = graph_mock.GraphMock().start()  # Meta, allowed as an administrator would
        cls.addClassCleanup(cls.meta.stop)
        cls.elsewhere = graph_mock.GraphMock().start()  # anybody else's server
        cls.addClassCleanup(cls.elsewhere.stop)
        allow_api_host(cls.env, cls.meta.url)
        cls.wa_account.sudo().write({"mode": "live", "api_url": cls.meta.url,
                                     "app_id": cls.meta.app_id})
        cls.admin = new_test_user(
            cls.env, login="endpoint_admin",
            groups="base.group_system,cobranza_whatsapp.group_cobranza_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)])
        cls.users["billing"] = cls.users["accountant"]  # account.group_account_invoice only

    def setUp(self):
        super().setUp()
        self.meta.reset()
        self.elsewhere.reset()

    def assert_nothing_sent(self):
        self.assertEqual(self.meta.requests, [], "no request reached Meta")
        self.assertEqual(self.elsewhere.requests, [], "no request went elsewhere")

    def test_only_system_admins_change_where_the_token_goes(self):
        for role in ("manager", "collector", "billing", "sales"):
            user = self.users[role]
            account = self.wa_account.with_user(user)
            for field in ENDPOINT_FIELDS:
                with self.subTest(role=role, field=field), self.assertRaises(AccessError):
                    account.read([field])
            for vals in ({"api_url": self.elsewhere.url}, {"api_version": "v1.0"},
                         {"timeout": 120}):
                with self.subTest(role=role, vals=vals), self.assertRaises(AccessError):
                    account.write(vals)
            Account = self.env["cobranza.whatsapp.account"].with_user(user)
            with self.subTest(role=role, what="create"), self.assertRaises(AccessError):
                Account.create({"name": "Mine", "api_url": self.elsewhere.url})
            with self.subTest(role=role, what="default"), self.assertRaises(AccessError):
                Account.with_context(default_api_url=self.elsewhere.url).create(
                    {"name": "Mine"})
        self.assertEqual(self.wa_account.sudo().api_url, self.meta.url)
        # A manager still creates and edits accounts, on Meta's endpoint.
        created = self.env["cobranza.whatsapp.account"].with_user(self.users["manager"]).create(
            {"name": "Second number"})
        self.assertEqual(created.sudo().api_url, "https://graph.facebook.com")
        created.with_user(self.users["manager"]).write({"rate_limit": 5.0})
        # The system administrator: Meta's host over https, or a host the parameter allows.
        admin_account = self.wa_account.with_user(self.admin)
        for url in (self.elsewhere.url, "http://graph.facebook.com",
                    "https://graph.facebook.com.example.com", "https://graph.facebook.com:8443",
                    "https://graph.facebook.com@example.com", "ftp://graph.facebook.com"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                admin_account.write({"api_url": url})
        with self.assertRaises(ValidationError):
            admin_account.write({"api_version": "v27.0/../../me"})
        admin_account.write({"api_url": "https://graph.facebook.com", "timeout": 20})
        self.assertEqual(admin_account.read(["api_url"])[0]["api_url"],
                         "https://graph.facebook.com")
        self.assert_nothing_sent()

    def test_a_foreign_host_written_by_sudo_gets_nothing(self):
        with self.assertRaises(ValidationError):
            self.wa_account.sudo().api_url = self.elsewhere.url
        # Allowed once, then the parameter removed: the URL stays, nothing goes there.
        Parameter = self.env["ir.config_parameter"].sudo()
        allowed = Parameter.get_param(graph_api.ALLOWED_HOSTS_PARAM)
        allow_api_host(self.env, self.elsewhere.url)
        self.wa_account.sudo().api_url = self.elsewhere.url
        Parameter.set_param(graph_api.ALLOWED_HOSTS_PARAM, allowed)
        with self.assertRaises(graph_api.ApiUrlRefused):
            self.wa_account._graph_api()
        with self.assertRaises(UserError) as refused:
            self.wa_account.with_user(self.users["manager"]).action_test_connection()
        self.assertIn("cobranza_whatsapp.allowed_api_hosts", str(refused.exception))
        # The sender: the account stops, its message waits in the queue, unsent.
        message = self.queue_reminder(self._customer("Rosa Huamán", "+51 987 000 222", self.pe))
        self.assertEqual(message.state, "queued")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "queued")
        self.assertEqual(self.wa_account.state, "stopped")
        self.assertIn("not Meta's Graph API", self.wa_account.stopped_reason)
        self.assert_nothing_sent()
        # The control: the same calls reach an allowed host (so the checks above can fail).
        allow_api_host(self.env, self.elsewhere.url)
        self.wa_account.action_test_connection()
        self.assertTrue(self.elsewhere.requests)

    def test_every_call_to_meta_checks_write_access_first(self):
        register = self.env["cobranza.whatsapp.account.register"].sudo().create(
            {"account_id": self.wa_account.id, "pin": "123456"})
        templates = self.wa_account.env["cobranza.whatsapp.template"].search(
            [("company_id", "=", self.company.id)])
        for role in ("collector", "billing", "sales"):
            user = self.users[role]
            calls = {
                "test connection": lambda u=user: self.wa_account.with_user(u)
                .action_test_connection(),
                "subscribe app": lambda u=user: self.wa_account.with_user(u)
                .action_subscribe_app(),
                "register number": lambda u=user: self.wa_account.with_user(u)
                .action_register_number(),
                "register pin": lambda u=user: register.with_user(u).action_register(),
                "submit template": lambda u=user: templates[:1].with_user(u).action_submit(),
                "sync templates": lambda u=user: templates.with_user(u).action_sync_status(),
                "sync all": lambda u=user: self.env["cobranza.whatsapp.template"]
                .with_user(u).action_sync_status(),
            }
            for name, call in calls.items():
                with self.subTest(role=role, call=name), self.assertRaises(AccessError):
                    call()
        self.assert_nothing_sent()
        # The control: a manager's Test Connection does reach Meta.
        self.wa_account.with_user(self.users["manager"]).action_test_connection()
        self.assertTrue(self.meta.requests)

    def test_metas_answers_for_the_managers_a_plain_state_for_all(self):
        self.wa_account.with_user(self.users["manager"]).action_test_connection()
        self.assertEqual(self.wa_account.setup_state, "ok")
        collector = self.wa_account.with_user(self.users["collector"])
        self.assertEqual(collector.read(["setup_state"])[0]["setup_state"], "ok")
        for field in SETUP_FIELDS:
            with self.subTest(field=field), self.assertRaises(AccessError):
                collector.read([field])
        self.assertFalse(set(SETUP_FIELDS) & set(collector.fields_get()))
        manager = self.wa_account.with_user(self.users["manager"]).read(list(SETUP_FIELDS))[0]
        self.assertEqual(manager["verified_name"], "Mock Business")
        self.assertEqual(manager["messaging_limit"], 2000)


@tagged("post_install", "-at_install")
class TestMessagesAndWords(AccessCommon):
    """A message changes only through what happens to it; a customer's words are read by
    the collection users, the customer's summary by every internal user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reply = cls.env["cobranza.message"].sudo().create({
            "direction": "in", "state": "received", "partner_id": cls.customer.id,
            "company_id": cls.company.id, "body": "Ya pagué ayer, le mando el voucher",
            "wa_id": "51987654321", "intent": "paid", "intent_evidence": "ya pagué"})

    def test_what_happened_is_the_automations(self):
        forged = {"state": "sent", "wamid": "wamid.FORGED", "sent_at": NOW, "error_message": "",
                  "error_code": 131026, "delivered_at": NOW, "read_at": NOW, "attempts": 0,
                  "to_number": "+51999999999", "wa_id": "51999999999", "direction": "in",
                  "billable": True, "pricing_category": "marketing"}
        for role in ("collector", "manager"):
            message = self.message.with_user(self.users[role])
            for field, value in forged.items():
                with self.subTest(role=role, field=field), self.assertRaises(UserError):
                    message.write({field: value})
                # A context key from an RPC call is JSON: it never stands for the automation.
                with self.subTest(role=role, field=field, forged="context"), \
                        self.assertRaises(UserError):
                    message.with_context(cobranza_state_machine=True).write({field: value})
        self.assertEqual((self.message.state, self.message.wamid), ("queued", False))
        # What a collector may change is changed; the state machine still moves it.
        self.message.with_user(self.users["collector"]).write({"body": "edited"})
        self.message.with_user(self.users["collector"])._set_cancelled("Paid at the counter")
        self.assertEqual(self.message.state, "cancelled")

    def test_customer_words_for_collection_users_only(self):
        for role in ("sales", "billing"):
            user = self.users["accountant" if role == "billing" else role]
            reply = self.reply.with_user(user)
            self.assertEqual(reply.read(["state", "direction", "intent"])[0]["intent"], "paid")
            for field in MESSAGE_WORDS:
                with self.subTest(role=role, field=field), self.assertRaises(AccessError):
                    reply.read([field])
            self.assertFalse(set(MESSAGE_WORDS) & set(reply.fields_get()))
            with self.subTest(role=role, what="search"), self.assertRaises(AccessError):
                reply.search([("body", "ilike", "pagué")])
            # The customer's summary, for every internal user.
            summary = self.customer.with_user(user).read([
                "cobranza_total_due", "cobranza_next_action", "cobranza_last_outcome",
                "cobranza_message_count"])[0]
            self.assertEqual(summary["cobranza_total_due"], 300.0)
            self.assertIn("Replied", summary["cobranza_last_outcome"])
        for role in ("collector", "manager"):
            values = self.reply.with_user(self.users[role]).read(list(MESSAGE_WORDS))[0]
            self.assertEqual(values["wa_id"], "51987654321")
            self.assertIn("Ya pagué", values["body"])


@tagged("post_install", "-at_install")
class TestCompanyRules(TestCompanyIsolation):
    """What hangs off a company's record (variables, buttons, plan lines, rates, the
    dashboard) is that company's too, for a collector and a manager of company B."""

    def test_records_of_company_a_records_stay_in_company_a(self):
        plan = self.records["cobranza.payment.plan"]
        plan.sudo().action_compute_lines()
        self.env["cobranza.whatsapp.rate"].sudo().search([]).exists()
        board = self.env["cobranza.dashboard"].sudo().create({"company_id": self.company.id})
        paths = {
            "cobranza.whatsapp.template.variable": "template_id.company_id",
            "cobranza.whatsapp.template.button": "template_id.company_id",
            "cobranza.payment.plan.line": "plan_id.company_id",
            "cobranza.dashboard": "company_id",
            "cobranza.payment.notification": "company_id",
        }
        for model, path in paths.items():
            of_a = self.env[model].sudo().search([(path, "=", self.company.id)])
            if model == "cobranza.dashboard":
                of_a = board
            self.assertTrue(of_a, f"{model}: something of company A to hide")
            for user in self.b_users:
                Model = self.env[model].with_user(user)
                if not Model.has_access("read"):
                    continue
                with self.subTest(model=model, user=user.login):
                    self.assertFalse(Model.search([("id", "in", of_a.ids)]))
                    with self.assertRaises(AccessError):
                        of_a.with_user(user).read(["display_name"])
