from odoo import fields, models


class CobranzaPaymentPlanLine(models.Model):
    """One instalment of a payment plan."""

    _name = "cobranza.payment.plan.line"
    _description = "Payment Plan Instalment"
    _order = "plan_id, date, sequence, id"

    plan_id = fields.Many2one("cobranza.payment.plan", required=True, index=True,
                              ondelete="cascade")
    sequence = fields.Integer(default=1)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    state = fields.Selection(
        [("pending", "Pending"), ("paid", "Paid"), ("late", "Late")],
        default="pending", required=True,
    )
    reminded = fields.Boolean(help="A reminder went out before this instalment.")
