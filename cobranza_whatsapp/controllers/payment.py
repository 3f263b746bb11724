import hashlib
import hmac
import json
import logging

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..tools import payment_notice
from ..tools.concurrency import CONCURRENCY_ERRORS
from .common import read_body

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


class CobranzaPaymentController(http.Controller):
    """Payments notified by banks, wallets and aggregators, each company's signed with its
    own secret: the signature says whose invoices the notice may pay."""

    @http.route("/cobranza_whatsapp/payment", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def payment_notification(self, **_kwargs):
        httprequest = request.httprequest
        raw = read_body(MAX_BODY_BYTES)
        if raw is None:
            return self._json({"error": "body too large"}, 413)
        signature = httprequest.headers.get("X-Cobranza-Signature") or ""
        company = self._signing_company(raw, signature)
        if not company:
            _logger.warning("Payment notification refused: missing or invalid signature")
            return self._json({"error": "invalid signature"}, 401)
        try:
            # UTF-8 only (RFC 8259): the raw body is kept as text with the notification.
            raw_text = raw.decode()
            body = json.loads(raw_text)
            notice = payment_notice.parse_notification(body)
        except (ValueError, RecursionError) as error:  # RecursionError: nested too deep
            message = str(error) if isinstance(error, payment_notice.NoticeError) \
                else "The body is not valid JSON."
            _logger.warning("Payment notification refused: %s", message)
            return self._json({"error": message}, 400)
        # The automation's own hand (OdooBot), not the public user's: the author of the
        # chatter and activities, and the one writer of what the sender said.
        Notification = request.env["cobranza.payment.notification"].with_user(
            SUPERUSER_ID).with_company(company)
        record, is_new = Notification._receive(company, notice, raw_text)
        if not is_new:
            _logger.info("Payment notification %s is a duplicate", record.id)
            return self._json({"result": "duplicate", "id": notice["id"],
                               "original": record._answer()["result"]}, 200)
        try:
            with request.env.cr.savepoint():
                record._process(notice)
        except CONCURRENCY_ERRORS:
            raise  # Odoo retries the whole request, which then finds the duplicate
        except Exception as error:  # noqa: BLE001 - kept for a person, never lost
            _logger.exception("Payment notification %s could not be applied", record.id)
            record._to_review(request.env._("Odoo could not apply it: %(error)s",
                                            error=str(error)[:500]))
        return self._json(record._answer(), 200)

    @staticmethod
    def _signing_company(raw, signature):
        """The one company whose secret signs the body, each secret compared in constant
        time. The old database-wide secret (ir.config_parameter) is not accepted: it would
        let one company's sender pay another's invoices."""
        # Headers arrive decoded as latin-1, and compare_digest raises on non-ASCII text.
        if not signature.isascii():
            return None
        signature = signature.strip()
        companies = request.env["res.company"].sudo().search(
            [("cobranza_payment_webhook_secret", "!=", False)])
        signers = companies.filtered(lambda company: hmac.compare_digest(
            "sha256=" + hmac.new(company.cobranza_payment_webhook_secret.encode(), raw,
                                 hashlib.sha256).hexdigest(),
            signature))
        return signers if len(signers) == 1 else None

    @staticmethod
    def _json(data, status):
        return request.make_json_response(data, status=status)
