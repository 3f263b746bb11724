import hashlib
import hmac
import os

from odoo import http
from odoo.http import request

SECRET = os.environ.get("COBRANZA_BENCH_SECRET", "bench-app-secret").encode()


class BareWebhook(http.Controller):
    """What any Odoo webhook pays at least: Odoo's request handling, a database cursor and
    an HMAC of the raw body; nothing stored."""

    @http.route("/cobranza_bench/bare", type="http", auth="none", methods=["POST"],
                csrf=False, save_session=False)
    def bare(self):
        raw = request.httprequest.get_data()
        expected = "sha256=" + hmac.new(SECRET, raw, hashlib.sha256).hexdigest()
        signature = request.httprequest.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return request.make_json_response({"error": "invalid signature"}, status=401)
        return request.make_json_response({"status": "ok"})
