from odoo import api, fields, models

from ..tools import click
from .account_move import CLICK_CONTEXT


class CobranzaMessageClick(models.AbstractModel):
    """A message's pay links are short URLs of Odoo's link tracker that name the message
    (``/r/<code>/c/<message>``): a click is recorded on it, and so on its template, channel,
    level and A/B variant. Every channel goes through here: the WhatsApp template values
    (``account.move._cobranza_pay_path``), SMS and e-mail templates (their
    ``object.get_portal_url()``), and free-form texts (their plain pay links, replaced when
    the message is created). The company's switch (``cobranza_click_tracking``) sends the
    plain links instead."""

    _name = "cobranza.message.click"
    _description = "Collection Message Pay-Link Clicks"

    click_count = fields.Integer(
        string="Clicks", compute="_compute_click_count",
        help="How often the customer opened a pay link of this message (link previews and "
        "known bots are not counted).")
    clicked_at = fields.Datetime(string="First Clicked On", compute="_compute_click_count")

    def _compute_click_count(self):
        clicks = {
            message.id: (count, first)
            for message, count, first in self.env["link.tracker.click"].sudo()._read_group(
                [("cobranza_message_id", "in", self.ids)], ["cobranza_message_id"],
                ["__count", "create_date:min"])
        }
        for message in self:
            message.click_count, message.clicked_at = clicks.get(message.id, (0, False))

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        for message in messages:
            # A template's text is rendered with tracked links when it leaves.
            if message.direction != "out" or message.kind == "template":
                continue
            body = message.sudo().body
            tracked = message._cobranza_track_links(body)
            if tracked != body:
                message.sudo().body = tracked
        return messages

    # === PAY LINKS === #

    def _cobranza_tracks_clicks(self):
        self.ensure_one()
        return self.direction == "out" and bool(self.company_id.cobranza_click_tracking)

    def _cobranza_tracked_url(self, move):
        """The pay link of `move` to send in this message: its tracked short URL, or the
        plain portal link where the company does not track clicks. The one method for
        whatever text or button carries a pay link."""
        self.ensure_one()
        return move._cobranza_pay_url(self)

    def _cobranza_track_links(self, text):
        """`text` with the plain pay links of this customer's invoices (in this company)
        replaced by this message's tracked ones; other links are left as they are."""
        self.ensure_one()
        if not text or not self._cobranza_tracks_clicks():
            return text
        found = click.find_pay_links(text)
        if not found:
            return text
        moves = self.env["account.move"].sudo().browse({move_id for _u, move_id, _t in found})
        moves = moves.exists().filtered(
            lambda m: m.company_id == self.company_id
            and m.commercial_partner_id == self.partner_id.commercial_partner_id)
        by_id = {move.id: move for move in moves}
        replacements = {
            url: self._cobranza_tracked_url(by_id[move_id])
            for url, move_id, token in found
            if move_id in by_id and by_id[move_id].access_token == token
        }
        return click.replace_links(text, replacements)

    def _statement_context(self, moves):
        """SMS and e-mail templates write the pay link as ``object.get_portal_url()``: in
        this context it is the message's tracked link."""
        context = super()._statement_context(moves)
        if len(self) == 1 and self._cobranza_tracks_clicks():
            context = dict(context, **{CLICK_CONTEXT: self.id})
        return context
