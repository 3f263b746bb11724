import logging

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from ..tools import click

_logger = logging.getLogger(__name__)


class CobranzaLinkTracker(http.Controller):
    """A collection message's pay link: the click is recorded on the message (as
    mass_mailing's ``/r/<code>/m/<trace>`` records it on the mailing trace), then the
    customer lands on the invoice's portal page."""

    @http.route(f"/r/<string:code>/{click.MESSAGE_SEGMENT}/<int:message_id>", type="http",
                auth="public", methods=["GET", "HEAD"], save_session=False)
    def cobranza_pay_link(self, code, message_id, **_params):
        # Link previews (WhatsApp's, Facebook's, mail scanners that say so), HEAD requests
        # and our own people opening the link from the invoice's chatter are no customer's
        # click.
        if request.httprequest.method == "GET" and not request.env["ir.http"].is_a_bot() \
                and not request.env.user._is_internal():
            self._cobranza_record_click(code, message_id)
        url = request.env["link.tracker"].get_url_from_code(code)
        if not url:
            raise NotFound()
        # 302, not link_tracker's 301: a browser would keep a permanent redirect and the
        # customer's next click would never reach us.
        return request.redirect(url, code=302, local=False)

    @staticmethod
    def _cobranza_record_click(code, message_id):
        """A click that cannot be recorded is logged: the customer is redirected all the
        same."""
        try:
            with request.env.cr.savepoint():
                request.env["link.tracker.click"].sudo().add_click(
                    code, ip=request.httprequest.remote_addr,
                    country_code=request.geoip.country_code, cobranza_message_id=message_id)
        except Exception:
            _logger.exception("The click on a pay link of collection message %s was not "
                              "recorded", message_id)
