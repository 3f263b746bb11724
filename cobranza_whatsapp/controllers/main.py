import hmac
import json
import logging
import re

from odoo import http
from odoo.http import request

from ..tools import meta_api
from .common import read_body

_logger = logging.getLogger(__name__)

_VERIFY_TOKEN_RE = re.compile(r"(hub\.verify_token=)[^&\s\"]*")


class _HideVerifyToken(logging.Filter):
    """Meta's handshake carries the verify token in the URL, and the HTTP access log
    (werkzeug, INFO) prints every request line: the token is masked there."""

    def filter(self, record):
        if isinstance(record.args, tuple):
            record.args = tuple(_VERIFY_TOKEN_RE.sub(r"\1***", arg) if isinstance(arg, str)
                                else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = _VERIFY_TOKEN_RE.sub(r"\1***", record.msg)
        return True


logging.getLogger("werkzeug").addFilter(_HideVerifyToken())

MAX_BODY_BYTES = 3 * 1024 * 1024  # Meta's batches are a few KB; anything this big is not Meta


class CobranzaWebhookController(http.Controller):
    """Meta's webhook: verification handshake and signed event deliveries."""

    @http.route("/cobranza_whatsapp/webhook", type="http", auth="public", methods=["GET"],
                csrf=False, save_session=False)
    def webhook_verify(self, **params):
        token = params.get("hub.verify_token") or ""
        if params.get("hub.mode") != "subscribe" or not token:
            return request.make_response("Forbidden", status=403)
        accounts = request.env["cobranza.whatsapp.account"].sudo().search(
            [("verify_token", "!=", False)]
        )
        # As bytes: compare_digest raises on non-ASCII text, and the query is anyone's.
        if not any(hmac.compare_digest(token.encode(), account.verify_token.encode())
                   for account in accounts):
            _logger.warning("WhatsApp webhook verification refused: unknown verify token")
            return request.make_response("Forbidden", status=403)
        return request.make_response(params.get("hub.challenge", ""),
                                     headers=[("Content-Type", "text/plain")])

    # auth="none": Meta sends no session, and the signature is what authenticates a POST.
    # "public" would cost a query per POST to find the public user (``env.ref`` checks the
    # record exists) for nothing: the work below is done as superuser either way. Read and
    # write (auth="none" routes are read-only by default).
    @http.route("/cobranza_whatsapp/webhook", type="http", auth="none", methods=["POST"],
                csrf=False, save_session=False, readonly=False)
    def webhook_receive(self, **_kwargs):
        """Verify, route, store and answer; the events are processed by a cron, after the
        answer (Meta wants one within a fraction of a second, and retries otherwise)."""
        httprequest = request.httprequest
        env = self._webhook_env()
        raw = read_body(MAX_BODY_BYTES)
        if raw is None:
            return self._json({"error": "body too large"}, 413)
        signature = httprequest.headers.get("X-Hub-Signature-256")
        accounts = self._accounts_for_signature(env, raw, signature)
        if not accounts:
            _logger.warning("WhatsApp webhook refused: missing or invalid signature (%s bytes)",
                            len(raw))
            return self._json({"error": "invalid signature"}, 401)
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested too deep
            _logger.warning("WhatsApp webhook refused: body is not JSON (%s bytes)", len(raw))
            return self._json({"error": "body is not JSON"}, 400)
        try:
            counters = env["cobranza.webhook.event"]._receive_webhook(accounts, payload)
        except meta_api.EnvelopeError as error:
            _logger.warning("WhatsApp webhook refused: %s", error)
            return self._json({"error": str(error)}, 400)
        return self._json({"status": "ok", **counters}, 200)

    @staticmethod
    def _webhook_env():
        """The POST's environment: the public user, as the events' creator, in superuser
        mode, as ``auth="public"`` and ``sudo()`` gave it; the public user's id comes from
        Odoo's cache of XML ids, without a query."""
        public = request.env["ir.model.data"]._xmlid_to_res_id("base.public_user",
                                                              raise_if_not_found=True)
        return request.env(user=public, su=True)

    def _accounts_for_signature(self, env, raw, signature):
        """Every account whose App Secret signed this body: the numbers of one Meta app
        share its secret, so the signature says which app sent it, and each event's number
        says which of these accounts it is for. Each secret is checked once, in constant
        time (``hmac.compare_digest``)."""
        Account = env["cobranza.whatsapp.account"]
        if not signature:
            return Account
        signed = {}
        routes = Account._webhook_routes()
        for route in routes:
            if route.app_secret not in signed:
                signed[route.app_secret] = meta_api.verify_signature(route.app_secret, raw,
                                                                     signature)
        return Account.browse([route.id for route in routes if signed[route.app_secret]])

    @staticmethod
    def _json(data, status):
        return request.make_json_response(data, status=status)
