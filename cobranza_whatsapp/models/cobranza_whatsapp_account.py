import logging
import secrets
import threading

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import meta_api

_logger = logging.getLogger(__name__)

# One pooled HTTP session per worker thread: reusing TCP/TLS connections is what lets a
# single worker send hundreds of messages per second to the Graph API.
_session_store = threading.local()


def _http_session():
    session = getattr(_session_store, "session", None)
    if session is None:
        session = _session_store.session = requests.Session()
    return session


class CobranzaWhatsappAccount(models.Model):
    """A WhatsApp Business phone number on Meta's Cloud API, with its credentials.

    Every call to the Graph API goes through :meth:`_send_api_request`, the one HTTP entry
    point, the way ``payment.provider`` does it: sandbox accounts stop right before the wire
    and answer like Meta would, so the demo and the tests run the same code as production.
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

    def init(self):
        res = super().init()
        # The next free sending slot of each account, shared by every worker (tools/rate.py);
        # a table of its own, so reserving slots never waits on edits of the account.
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS cobranza_whatsapp_rate (
                account_id integer PRIMARY KEY
                    REFERENCES cobranza_whatsapp_account (id) ON DELETE CASCADE,
                next_slot double precision
            )
        """)
        return res

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
            info = self._send_api_request("GET", self.phone_number_id or "", params={
                "fields": "display_phone_number,verified_name,quality_rating",
            })
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

    def _send_api_request(self, method, endpoint, *, json=None, params=None, data=None,
                          files=None):
        """The one way out to the Graph API; answers like Meta or raises ``MetaError``."""
        self.ensure_one()
        if self.mode == "sandbox":
            return self.env["cobranza.whatsapp.sandbox"]._answer(
                self, method, endpoint, json=json, params=params, data=data, files=files
            )
        return http_call(self._http_target(endpoint), method, json=json, params=params,
                         data=data, files=files)

    def _download_media(self, media_id):
        """A customer's photo or document: Meta gives a short-lived URL, fetched with the
        token. Returns (bytes, mime type)."""
        self.ensure_one()
        if self.mode == "sandbox":
            return None, None
        info = self._send_api_request("GET", str(media_id))
        url = info.get("url")
        if not url:
            raise meta_api.MetaError("Meta gave no download URL", code=131052)
        _url, headers, timeout = self._http_target("")
        try:
            response = _http_session().get(url, headers=headers, timeout=timeout)
        except requests.exceptions.RequestException as error:
            raise meta_api.MetaTransportError(message=type(error).__name__) from None
        if response.status_code >= 400:
            raise meta_api.MetaError("media download failed", code=131052,
                                     http_status=response.status_code)
        return response.content, info.get("mime_type") or response.headers.get("Content-Type")

    def _http_target(self, endpoint):
        """URL, headers and timeout as plain values, so worker threads never touch the ORM."""
        self.ensure_one()
        account = self.sudo()
        url = f"{account.api_url.rstrip('/')}/{account.api_version}/{endpoint.lstrip('/')}"
        return (url, {"Authorization": f"Bearer {account.access_token or ''}"},
                account.timeout or 10)


def http_call(target, method, *, json=None, params=None, data=None, files=None):
    """One HTTP call to the Graph API, parsed into Meta's answer or a ``MetaError``."""
    url, headers, timeout = target
    try:
        response = _http_session().request(
            method, url, json=json, params=params, data=data, files=files,
            headers=headers, timeout=timeout,
        )
    except requests.exceptions.RequestException as error:
        raise meta_api.MetaTransportError(
            http_status=None, message=type(error).__name__
        ) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
        raise meta_api.parse_error(response.status_code, body)
    return body if isinstance(body, dict) else {}
