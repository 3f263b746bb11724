import collections
import datetime
import logging
import re
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, ormcache

from ..tools import graph_api, meta_api

_logger = logging.getLogger(__name__)

# Throttles closer than this to the current one are the same one (a batch in flight).
THROTTLE_GRACE = datetime.timedelta(minutes=5)
# A throttled account never goes below this many messages per second.
MIN_RATE = 1.0
# The sender reads each live account's set-up (and messaging limit) again after this long.
SETUP_REFRESH = datetime.timedelta(hours=24)
# Customers beyond Meta's messaging limit wait this long before the sender looks again.
MESSAGING_LIMIT_RECHECK = datetime.timedelta(hours=1)
# Where the token goes and how: system administrators only (the token is theirs).
ENDPOINT_FIELDS = ("api_url", "api_version", "timeout")
MAX_TIMEOUT = 120
API_VERSION_RE = re.compile(r"v\d{1,3}\.\d{1,3}")
# What Meta told the set-up check: the managers who configure the account read it,
# collectors do not.
SETUP_GROUPS = "base.group_system,cobranza_whatsapp.group_cobranza_manager"


# What the webhook keeps in memory of the accounts (see _webhook_routes).
WEBHOOK_FIELDS = frozenset({"app_secret", "active", "company_id", "phone_number_id",
                            "waba_id"})
WebhookRoute = collections.namedtuple(
    "WebhookRoute", ["id", "company_id", "app_secret", "phone_number_id", "waba_id"])


class CobranzaWhatsappAccount(models.Model):
    """A WhatsApp Business phone number on Meta's Cloud API, with its credentials.

    Every call to the Graph API goes through the client :meth:`_graph_api` returns (see
    ``tools/graph_api.py``), the way ``res.company`` picks the SMS API: sandbox accounts get
    a client that answers like Meta would, so the demo and the tests run the same code as
    production above the wire.
    """

    _name = "cobranza.whatsapp.account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "WhatsApp Business Account"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    mode = fields.Selection(
        [("sandbox", "Sandbox (no Meta account)"), ("live", "Live")],
        default="sandbox",
        required=True,
        help="Sandbox runs the whole flow without leaving this server: Meta's answers and "
        "status updates are simulated. Switch to Live once Meta's credentials are set.",
    )
    state = fields.Selection(
        [("active", "Active"), ("stopped", "Stopped")],
        default="active",
        required=True,
        copy=False,
        help="An account is stopped when Meta rejects its token or blocks it; queued "
        "messages wait until a manager fixes the account and resumes it.",
    )
    stopped_reason = fields.Text(readonly=True, copy=False)
    throttled_until = fields.Datetime(
        readonly=True, copy=False,
        help="Meta limited this number's sending for quality (spam rate limit): messages "
        "wait until then, and the account's rate is halved.")
    phone_number_id = fields.Char(string="Phone Number ID", copy=False)
    waba_id = fields.Char(string="WhatsApp Business Account ID", copy=False)
    display_phone_number = fields.Char(copy=False)
    access_token = fields.Char(groups="base.group_system", copy=False)
    app_secret = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Meta App Secret, used to check the signature of every webhook call.",
    )
    verify_token = fields.Char(
        groups="base.group_system",
        copy=False,
        default=lambda self: secrets.token_urlsafe(24),
        help="Paste this value in Meta's webhook configuration as the Verify Token.",
    )
    app_id = fields.Char(
        string="Meta App ID", groups="base.group_system", copy=False,
        help="The ID of the Meta app (Meta for Developers, App settings, Basic). Meta needs "
        "it to receive the sample invoice a template with a PDF header is submitted with.")
    # === What Test Connection read from Meta (the set-up check) === #
    verified_name = fields.Char(readonly=True, copy=False, groups=SETUP_GROUPS)
    quality_rating = fields.Selection(
        [("GREEN", "High"), ("YELLOW", "Medium"), ("RED", "Low"), ("UNKNOWN", "Unknown")],
        string="Number Quality", readonly=True, copy=False, groups=SETUP_GROUPS)
    registration_state = fields.Selection(
        [("registered", "Registered on the Cloud API"), ("unregistered", "Not registered")],
        string="Registration", readonly=True, copy=False, groups=SETUP_GROUPS)
    app_subscribed = fields.Boolean(
        string="App Subscribed to Webhooks", readonly=True, copy=False, groups=SETUP_GROUPS)
    messaging_limit = fields.Integer(
        readonly=True, copy=False, groups=SETUP_GROUPS,
        help="Meta's messaging limit of the business portfolio: how many different customers "
        "can get a business message (outside the 24-hour service window) in any 24 hours. "
        "A new portfolio starts at 250. 0: unlimited or not read yet. The sender keeps to "
        "it: customers over the limit wait for room.")
    setup_checked_at = fields.Datetime(string="Last Checked", readonly=True, copy=False,
                                       groups=SETUP_GROUPS)
    setup_problems = fields.Text(string="What Is Missing", readonly=True, copy=False,
                                 groups=SETUP_GROUPS)
    setup_state = fields.Selection(
        [("unchecked", "Not Checked"), ("ok", "Set-up Complete"),
         ("problems", "Something Is Missing")],
        string="Set-up", default="unchecked", required=True, readonly=True, copy=False,
        help="What the last Test Connection found, in one word.")
    # The endpoint: a token sent elsewhere is a token given away. Only Meta's Graph API
    # (https://graph.facebook.com), or a host listed in the system parameter
    # cobranza_whatsapp.allowed_api_hosts (a test double, a proxy); see _graph_api().
    api_url = fields.Char(string="API URL", default=meta_api.DEFAULT_API_URL, required=True,
                          groups="base.group_system", copy=False)
    api_version = fields.Char(
        string="API Version", default=meta_api.DEFAULT_API_VERSION, required=True,
        groups="base.group_system", copy=False,
    )
    rate_limit = fields.Float(
        string="Messages per Second",
        default=80.0,
        help="Sending pace for this number. Meta's standard throughput is 80 messages per "
        "second; 0 means no limit.",
    )
    timeout = fields.Integer(string="Timeout (s)", default=10, groups="base.group_system",
                             copy=False)
    sandbox_reply_rate = fields.Integer(
        string="Simulated Replies (%)",
        default=0,
        help="Sandbox only: share of sent messages the simulated customer answers (paid, "
        "promise, plan, dispute, a person...), so replies and the work queue can be tried "
        "without Meta.",
    )
    webhook_url = fields.Char(compute="_compute_webhook_url")

    _phone_number_uniq = models.UniqueIndex(
        "(phone_number_id) WHERE phone_number_id IS NOT NULL AND active",
        "This WhatsApp phone number is already configured on another account.",
    )
    _sandbox_reply_rate_range = models.Constraint(
        "CHECK(sandbox_reply_rate BETWEEN 0 AND 100)",
        "The share of simulated replies is a percentage between 0 and 100.",
    )
    _rate_limit_positive = models.Constraint(
        "CHECK(rate_limit >= 0)", "The sending rate cannot be negative."
    )

    def _compute_webhook_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for account in self:
            account.webhook_url = f"{base_url}/cobranza_whatsapp/webhook"

    @api.constrains("api_url", "api_version", "timeout")
    def _check_endpoint(self):
        allowed = self._allowed_api_hosts()
        for account in self.sudo():
            if not graph_api.api_url_allowed(account.api_url, allowed):
                raise ValidationError(self._api_url_refused_text(account.api_url))
            if not API_VERSION_RE.fullmatch(account.api_version or ""):
                raise ValidationError(self.env._(
                    "The API version is Meta's, like %(example)s.",
                    example=meta_api.DEFAULT_API_VERSION))
            if not 0 <= account.timeout <= MAX_TIMEOUT:
                raise ValidationError(self.env._(
                    "The timeout is between 1 and %(max)s seconds (0: the default).",
                    max=MAX_TIMEOUT))

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        # A value given, or a default from the context: anything but the shipped defaults.
        given = self.default_get(list(ENDPOINT_FIELDS))
        shipped = {name: self._fields[name].default(self) for name in ENDPOINT_FIELDS}
        if any(vals.get(name, given.get(name, shipped[name])) != shipped[name]
               for vals in vals_list for name in ENDPOINT_FIELDS):
            self._check_endpoint_rights()
        accounts = super().create(vals_list)
        self.env.registry.clear_cache()  # the webhook's signing secrets
        return accounts

    def write(self, vals):
        changed = [name for name in ENDPOINT_FIELDS if name in vals]
        if changed and any(account[name] != vals[name] for account in self.sudo()
                           for name in changed):
            self._check_endpoint_rights()
        result = super().write(vals)
        if WEBHOOK_FIELDS.intersection(vals):
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result

    @api.model
    @ormcache()
    def _webhook_routes(self):
        """What the webhook needs of every active account with a secret, to check each
        POST's signature and route its events: read once per worker and kept until an
        account changes (Odoo's registry cache, cleared on every worker)."""
        accounts = self.sudo().search([("app_secret", "!=", False)], order="id")
        return tuple(WebhookRoute(account.id, account.company_id.id, account.app_secret,
                                  account.phone_number_id or None, account.waba_id or None)
                     for account in accounts)

    # === ACTION METHODS === #

    def action_test_connection(self):
        """The set-up check: the number (name, quality, registration, messaging limit) and
        the WABA's subscribed apps, read from Meta and told in plain words."""
        self.ensure_one()
        self.check_access("write")  # the call carries the token: managers only
        try:
            self._check_setup()
        except graph_api.ApiUrlRefused as error:
            raise UserError(self._api_url_refused_text(error.url)) from None
        except meta_api.MetaError as error:
            raise UserError(
                self.env._(
                    "Meta refused the connection: %(reason)s",
                    reason=self.env._(meta_api.user_explanation(error)),
                )
            ) from error
        problems = self.sudo().setup_problems
        return self._notify(
            self.env._("Connection works") if not problems
            else self.env._("Connection works, but something is missing"),
            problems or self.env._(
                "%(number)s (%(name)s), quality %(quality)s.",
                number=self.display_phone_number or "?",
                name=self.sudo().verified_name or "?",
                quality=dict(self._fields["quality_rating"]._description_selection(
                    self.env)).get(self.sudo().quality_rating, "?")),
            "warning" if problems else "success")

    def action_subscribe_app(self):
        """Subscribe the token's app to the WABA's webhooks (statuses and replies)."""
        self.ensure_one()
        self.check_access("write")
        try:
            self._graph_api().subscribe_app()
            self._check_setup()
        except graph_api.ApiUrlRefused as error:
            raise UserError(self._api_url_refused_text(error.url)) from None
        except meta_api.MetaError as error:
            raise UserError(self.env._("Meta refused: %(reason)s",
                                       reason=self.env._(meta_api.user_explanation(error)))
                            ) from error
        return self._notify(self.env._("App subscribed"),
                            self.env._("Meta now sends this number's webhooks to the app."),
                            "success")

    def action_register_number(self):
        """Ask for the two-step verification PIN, then register the number."""
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register Number"),
            "res_model": "cobranza.whatsapp.account.register",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    def action_resume(self):
        self.write({"state": "active", "stopped_reason": False})

    # === BUSINESS METHODS === #

    def _check_endpoint_rights(self):
        """Where the token goes is the system administrators' to decide: the ORM refuses
        their fields to others already; this says so in words, also through sudo'ed
        user code that passes them along."""
        if not self.env.is_superuser() and not self.env.user.has_group("base.group_system"):
            raise AccessError(self.env._(
                "Only a system administrator can change a WhatsApp account's API URL, "
                "version or timeout."))

    @api.model
    def _allowed_api_hosts(self):
        """The hosts besides Meta's that a system administrator allowed (system parameter
        ``cobranza_whatsapp.allowed_api_hosts``: ``host`` or ``host:port``, comma-separated)."""
        return graph_api.parse_allowed_hosts(
            self.env["ir.config_parameter"].sudo().get_param(graph_api.ALLOWED_HOSTS_PARAM, ""))

    def _api_url_refused_text(self, url):
        return self.env._(graph_api.API_URL_REFUSED, url=graph_api._display_url(url),
                          param=graph_api.ALLOWED_HOSTS_PARAM)

    @api.model
    def _get_for_company(self, company):
        return self.search(
            [("company_id", "=", company.id), ("state", "=", "active")], limit=1
        )

    def _notify(self, title, message, kind):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"type": kind, "title": title, "message": message,
                           "sticky": kind != "success"}}

    def _check_setup(self):
        """Read the number and the subscribed apps from Meta and keep what they say."""
        self.ensure_one()
        client = self._graph_api()
        phone = client.get_phone_number()
        apps = client.get_subscribed_apps().get("data") if self.waba_id or \
            self.mode == "sandbox" else None
        problems = meta_api.setup_problems(phone, apps)
        limit = meta_api.parse_messaging_limit(
            phone.get("whatsapp_business_manager_messaging_limit")
            or phone.get("messaging_limit_tier"))
        quality = str(phone.get("quality_rating") or "").upper()
        # What Meta said is the managers' to read (SETUP_GROUPS), written for whoever asked.
        self.sudo().write({
            "display_phone_number": phone.get("display_phone_number")
            or self.display_phone_number,
            "verified_name": phone.get("verified_name") or False,
            "quality_rating": quality if quality in ("GREEN", "YELLOW", "RED") else "UNKNOWN",
            "registration_state": "unregistered" if any(
                key == "not_registered" for key, _text in problems) else "registered",
            "app_subscribed": apps is None or bool(apps),
            "messaging_limit": limit if limit is not None else self.sudo().messaging_limit,
            "setup_checked_at": fields.Datetime.now(),
            "setup_problems": "\n".join(self.env._(text) for _key, text in problems) or False,
            "setup_state": "problems" if problems else "ok",
        })
        return problems

    @api.model
    def _refresh_stale_setup(self):
        """The sender's daily look at each live account's messaging limit (and the rest of
        the set-up check), so a portfolio's limit is known before a large run."""
        stale = fields.Datetime.now() - SETUP_REFRESH
        for account in self.sudo().search([("mode", "=", "live"), ("state", "=", "active"),
                                           "|", ("setup_checked_at", "=", False),
                                           ("setup_checked_at", "<", stale)]):
            try:
                account._check_setup()
            except meta_api.MetaError as error:
                _logger.warning("Set-up check of WhatsApp account %s failed: %s", account.id,
                                error)

    def _messaging_room(self, partner_ids, now=None):
        """Of `partner_ids`, the customers this account may send a business message to now
        within Meta's messaging limit (different customers reached in the last 24 hours,
        portfolio-wide; here: this company's accounts); everyone when unlimited."""
        self.ensure_one()
        limit = self.sudo().messaging_limit
        if not limit or not partner_ids:
            return set(partner_ids)
        since = (now or fields.Datetime.now()) - datetime.timedelta(hours=24)
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT m.partner_id
              FROM cobranza_message m
             WHERE m.company_id = %(company)s AND m.channel = 'whatsapp'
               AND m.direction = 'out' AND m.kind = 'template'
               AND (m.state = 'sending' OR (m.state IN ('sent', 'delivered', 'read')
                                             AND m.sent_at >= %(since)s))
            """, company=self.company_id.id, since=since))
        reached = {row[0] for row in self.env.cr.fetchall()}
        room = max(limit - len(reached), 0)
        allowed = set()
        for partner_id in partner_ids:
            if partner_id in reached:
                allowed.add(partner_id)
            elif room > 0:
                allowed.add(partner_id)
                room -= 1
        return allowed

    @api.model
    def _hold_over_messaging_limit(self, messages):
        """Business messages to customers beyond Meta's messaging limit (different customers
        a portfolio reaches in 24 hours: 250 for a new one) wait in the queue for room
        instead of failing at Meta; returns the messages held."""
        accounts = self.sudo().search([
            ("company_id", "in", messages.company_id.ids), ("mode", "=", "live"),
            ("messaging_limit", ">", 0)])
        held = messages.browse()
        if not accounts:
            return held
        now = fields.Datetime.now()
        for account in accounts:
            business = messages.filtered(lambda m, a=account: m.channel == "whatsapp"
                                         and m.kind == "template" and m.direction == "out"
                                         and (m.account_id or m._whatsapp_account()) == a)
            allowed = account._messaging_room(set(business.partner_id.ids), now=now)
            held |= business.filtered(lambda m, ok=allowed: m.partner_id.id not in ok)
        held._automation().write({"next_attempt_at": now + MESSAGING_LIMIT_RECHECK,
                    "error_message": self.env._(
                        "Meta's messaging limit of the business portfolio is reached "
                        "(different customers a day outside the service window): the message "
                        "waits for room.")})
        return held

    def _stop(self, reason):
        """Stop the account instead of burning the queue against a dead token or a block."""
        for account in self.filtered(lambda a: a.state == "active"):
            account.write({"state": "stopped", "stopped_reason": reason})
            _logger.warning("WhatsApp account %s stopped: %s", account.id, reason)
            managers = self.env.ref("cobranza_whatsapp.group_cobranza_manager").user_ids
            company = account.company_id
            for user in managers.filtered(lambda u, c=company: c in u.company_ids):
                account.activity_schedule(
                    "mail.mail_activity_data_warning",
                    user_id=user.id,
                    summary=self.env._("WhatsApp account stopped"),
                    note=reason,
                )

    def _throttle(self, until, reason):
        """Meta's spam rate limit: pause the account and halve its rate, once per pause."""
        for account in self:
            if account.throttled_until and account.throttled_until >= until - THROTTLE_GRACE:
                continue
            account.write({"throttled_until": until,
                           "rate_limit": max(account.rate_limit / 2, MIN_RATE)
                           if account.rate_limit else account.rate_limit})
            account.message_post(body=reason)
            _logger.warning("WhatsApp account %s throttled by Meta until %s", account.id, until)

    def _graph_api(self):
        """The Graph API client of this account: plain values, safe in the sender's threads.

        A live account's API URL is checked here, where the token is handed over: Meta's
        Graph API over https, or a host of ``cobranza_whatsapp.allowed_api_hosts``; any other
        raises ``graph_api.ApiUrlRefused`` before anything is sent (whoever wrote the URL).
        """
        self.ensure_one()
        account = self.sudo()
        ids = {"phone_number_id": account.phone_number_id, "waba_id": account.waba_id,
               "app_id": account.app_id}
        if account.mode == "sandbox":
            ids["app_id"] = account.app_id or "sandbox"
            return graph_api.SandboxGraphApi(
                templates=account._sandbox_templates,
                profile={"display_phone_number": account.display_phone_number or "+51 1 555 0100",
                         "verified_name": account.company_id.name},
                **ids)
        return graph_api.GraphApi(api_url=account.api_url, version=account.api_version,
                                  token=account.access_token, timeout=account.timeout,
                                  allowed_hosts=self._allowed_api_hosts(), **ids)

    def _sandbox_templates(self):
        """What the sandbox lists as the WABA's templates: the ones submitted from here."""
        templates = self.env["cobranza.whatsapp.template"].search(
            [("company_id", "=", self.company_id.id), ("meta_template_id", "!=", False)])
        return [{"id": t.meta_template_id, "name": t.name, "language": t.language,
                 "category": t.category} for t in templates]
