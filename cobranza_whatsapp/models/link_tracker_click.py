from odoo import api, fields, models


class LinkTrackerClick(models.Model):
    """A click on a pay link, attributed to the collection message whose short URL it was
    (and so to its template, channel, level and A/B variant), the way mass_mailing
    attributes a click to its mailing trace."""

    _inherit = "link.tracker.click"

    cobranza_message_id = fields.Many2one(
        "cobranza.message", string="Collection Message", index="btree_not_null",
        ondelete="cascade", readonly=True)
    cobranza_company_id = fields.Many2one(
        "res.company", string="Collection Company", index="btree_not_null", readonly=True)

    def _prepare_click_values_from_route(self, **route_values):
        values = super()._prepare_click_values_from_route(**route_values)
        message_id = values.pop("cobranza_message_id", False)
        link = self.env["link.tracker"].sudo().browse(values.get("link_id"))
        message = self._cobranza_clicked_message(link, message_id)
        if message:
            values.update(cobranza_message_id=message.id,
                          cobranza_company_id=message.company_id.id)
        elif link.cobranza_company_id:
            values["cobranza_company_id"] = link.cobranza_company_id.id
        return values

    @api.model
    def _cobranza_clicked_message(self, link, message_id):
        """The message named by the URL if the link is one it could carry: one of its
        customer's invoices in its company. Another number (typed, or a link forwarded and
        edited) leaves the click unattributed, never attributed to someone else's message."""
        if not message_id or not link.cobranza_move_id:
            return self.env["cobranza.message"]
        message = self.env["cobranza.message"].sudo().browse(int(message_id)).exists()
        move = link.cobranza_move_id
        if not message or message.direction != "out" or message.company_id != move.company_id \
                or message.partner_id.commercial_partner_id != move.commercial_partner_id:
            return self.env["cobranza.message"]
        return message
