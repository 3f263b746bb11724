import datetime
import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import graph_api, meta_api

_logger = logging.getLogger(__name__)

# Throttles closer than this to the current one are the same one (a batch in flight).
THROTTLE_GRACE = datetime.timedelta(minutes=5)
# A throttled account never goes below this many messages per second.
MIN_RATE = 1.0


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
    api_url = fields.Char(string="API URL", default=meta_api.DEFAULT_API_URL, required=True)
    api_version = fields.Char(
        string="API Version", default=meta_api.DEFAULT_API_VERSION, required=True
    )
    rate_limit = fields.Float(
        string="Messages per Second",
        default=80.0,
        help="Sending pace for this number. Meta's standard throughput is 80 messages per "
        "second; 0 means no limit.",
    )
    timeout = fields.Integer(string="Timeout (s)", default=10)
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

    # === ACTION METHODS === #

    def action_test_connection(self):
        """Ask Meta for the phone number's details: the quickest proof that ids and token work."""
        self.ensure_one()
        self.check_access("write")  # the call carries the token: managers only
        try:
            info = self._graph_api().get_phone_number()
        except meta_api.MetaError as error:
            raise UserError(
                self.env._(
                    "Meta refused the connection: %(reason)s", reason=self.env._(str(error))
                )
            ) from error
        self.display_phone_number = info.get("display_phone_number") or self.display_phone_number
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Connection works"),
                "message": self.env._(
                    "%(number)s (%(name)s), quality %(quality)s.",
                    number=info.get("display_phone_number", "?"),
                    name=info.get("verified_name", "?"),
                    quality=info.get("quality_rating", "?"),
                ),
                "sticky": False,
            },
        }

    def action_resume(self):
        self.write({"state": "active", "stopped_reason": False})

    # === BUSINESS METHODS === #

    @api.model
    def _get_for_company(self, company):
        return self.search(
            [("company_id", "=", company.id), ("state", "=", "active")], limit=1
        )

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
        """The Graph API client of this account: plain values, safe in the sender's threads."""
        self.ensure_one()
        account = self.sudo()
        ids = {"phone_number_id": account.phone_number_id, "waba_id": account.waba_id}
        if account.mode == "sandbox":
            return graph_api.SandboxGraphApi(
                templates=account._sandbox_templates,
                profile={"display_phone_number": account.display_phone_number or "+51 1 555 0100",
                         "verified_name": account.company_id.name},
                **ids)
        return graph_api.GraphApi(api_url=account.api_url, version=account.api_version,
                                  token=account.access_token, timeout=account.timeout, **ids)

    def _sandbox_templates(self):
        """What the sandbox lists as the WABA's templates: the ones submitted from here."""
        templates = self.env["cobranza.whatsapp.template"].search(
            [("company_id", "=", self.company_id.id), ("meta_template_id", "!=", False)])
        return [{"id": t.meta_template_id, "name": t.name, "language": t.language,
                 "category": t.category} for t in templates]
