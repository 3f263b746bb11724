from odoo import api, fields, models
from odoo.exceptions import ValidationError

QUICK_REPLY_PAYLOADS = [
    ("PAID", "I already paid"),
    ("PLAN", "I need a payment plan"),
    ("PERSON", "Talk to a person"),
    ("PROMISE", "I will pay soon"),
    ("STOP", "Stop messages"),
]


class CobranzaWhatsappTemplateButton(models.Model):
    """A button of a template: the pay link, or a quick reply the bot understands."""

    _name = "cobranza.whatsapp.template.button"
    _description = "WhatsApp Template Button"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "cobranza.whatsapp.template", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    button_type = fields.Selection(
        [("url", "Pay link"), ("quick_reply", "Quick reply")], required=True, default="quick_reply"
    )
    text = fields.Char(required=True, translate=False, help="Up to 25 characters.")
    url = fields.Char(
        string="URL",
        help="The approved URL with {{1}} at the end, replaced by the invoice's payment path. "
        "Empty: this database's address followed by {{1}}.",
    )
    payload = fields.Selection(
        QUICK_REPLY_PAYLOADS,
        help="What the reply means: it maps straight to an intent, no guessing.",
    )

    @api.constrains("button_type", "text", "url", "payload")
    def _check_button(self):
        for button in self:
            if len(button.text or "") > 25:
                raise ValidationError(
                    self.env._("Button text %(text)s is longer than Meta's 25 characters.",
                               text=button.text)
                )
            if button.button_type == "url" and button.url and not button.url.endswith("{{1}}"):
                raise ValidationError(
                    self.env._("The pay link button needs a URL ending with {{1}}.")
                )
            if button.button_type == "quick_reply" and not button.payload:
                raise ValidationError(
                    self.env._("Quick reply %(text)s needs a meaning.", text=button.text)
                )
