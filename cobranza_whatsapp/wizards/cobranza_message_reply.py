from odoo import api, fields, models


class CobranzaMessageReply(models.TransientModel):
    """A collector's free-form WhatsApp answer, allowed inside the 24-hour window only."""

    _name = "cobranza.message.reply"
    _description = "Reply on WhatsApp"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    message_id = fields.Many2one("cobranza.message", string="In Reply To", readonly=True)
    window_until = fields.Datetime(compute="_compute_window_until")
    body = fields.Text(required=True)

    @api.depends("partner_id", "message_id")
    def _compute_window_until(self):
        """The window the customer opened with the number of the company answering."""
        for wizard in self:
            company = wizard.message_id.company_id or self.env.company
            wizard.window_until = wizard.partner_id.with_company(company).cobranza_window_until

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "cobranza.message":
            message = self.env["cobranza.message"].browse(self.env.context.get("active_id"))
            values.update(partner_id=message.partner_id.id, message_id=message.id)
        elif self.env.context.get("active_model") == "res.partner":
            partner = self.env["res.partner"].browse(self.env.context.get("active_id"))
            values["partner_id"] = partner.commercial_partner_id.id
        return values

    def action_send(self):
        """Queue the reply and wake the sender (``_send_text``): never posted from the
        request, which Odoo may replay."""
        self.ensure_one()
        self.env["cobranza.message"]._send_text(self.partner_id, self.body,
                                                reply_to=self.message_id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Reply queued"),
                "message": self.env._("Your reply to %(customer)s goes out in a moment.",
                                      customer=self.partner_id.display_name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
