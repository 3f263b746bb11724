from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import meta_api


class CobranzaWhatsappAccountRegister(models.TransientModel):
    """Register the business number on the Cloud API (Meta's ``POST /register``), with the
    six-digit two-step verification PIN the number has or gets now."""

    _name = "cobranza.whatsapp.account.register"
    _description = "Register a WhatsApp Number on the Cloud API"

    account_id = fields.Many2one("cobranza.whatsapp.account", required=True,
                                 ondelete="cascade")
    pin = fields.Char(
        string="Two-Step Verification PIN", required=True,
        help="Six digits. If the number has two-step verification, its PIN; otherwise the "
        "PIN chosen now becomes it.")

    def action_register(self):
        self.ensure_one()
        account = self.account_id
        account.check_access("write")
        pin = (self.pin or "").strip()
        if not (len(pin) == 6 and pin.isascii() and pin.isdigit()):
            raise ValidationError(self.env._("The PIN has six digits."))
        try:
            account._graph_api().register_number(pin)
            account._check_setup()
        except meta_api.MetaError as error:
            raise UserError(self.env._("Meta did not register the number: %(reason)s",
                                       reason=self.env._(meta_api.user_explanation(error)))
                            ) from error
        # The PIN is not kept: Meta has it, and it is a secret.
        self.pin = False
        if account.state == "stopped" and account.registration_state == "registered":
            account.message_post(body=self.env._(
                "The number is registered on the Cloud API; resume the account to send the "
                "messages that waited."))
        return account._notify(self.env._("Number registered"),
                               self.env._("%(number)s can now send and receive WhatsApp "
                                          "messages.",
                                          number=account.display_phone_number or "?"),
                               "success")
