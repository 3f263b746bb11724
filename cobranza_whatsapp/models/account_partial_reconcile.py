from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        """A payment matched with an invoice, however it was registered: the alerts for
        people see it here (a high-risk customer who pays)."""
        partials = super().create(vals_list)
        self.env["cobranza.alert"]._on_payments(partials)
        return partials
