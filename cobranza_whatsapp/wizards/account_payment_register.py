from odoo import models


class AccountPaymentRegister(models.TransientModel):
    _inherit = "account.payment.register"

    def _create_payments(self):
        """Opened from a proof of payment's Confirm: the payment registered confirms it."""
        payments = super()._create_payments()
        proof_id = self.env.context.get("cobranza_proof_id")
        if proof_id:
            self.env["cobranza.payment.proof"].browse(proof_id)._on_payment_registered(payments)
        return payments
