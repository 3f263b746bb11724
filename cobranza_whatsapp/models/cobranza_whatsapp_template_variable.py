from odoo import fields, models

VALUE_SOURCES = [
    ("partner_name", "Customer name"),
    ("company_name", "Our company name"),
    ("invoice_numbers", "Invoice numbers"),
    ("overdue_invoice_numbers", "Overdue invoice numbers"),
    ("invoice_count", "Number of invoices"),
    ("amount_due", "Amount due (formatted)"),
    ("amount_overdue", "Amount overdue (formatted)"),
    ("amount_not_due", "Amount not yet due (formatted)"),
    ("due_date", "Oldest due date"),
    ("days_overdue", "Days overdue"),
    ("pay_link", "Payment link"),
    ("pay_links", "Payment link of each invoice"),
    ("collector_name", "Collector name"),
    ("early_discount_amount", "Amount with the early-payment discount (formatted)"),
    ("early_discount_date", "Early-payment discount deadline"),
]


class CobranzaWhatsappTemplateVariable(models.Model):
    """Which invoice or customer value fills the template's placeholder ``{{n}}``."""

    _name = "cobranza.whatsapp.template.variable"
    _description = "WhatsApp Template Variable"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "cobranza.whatsapp.template", required=True, index=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    position = fields.Integer(
        required=True, help="The number of the placeholder in the body: 1 for {{1}}."
    )
    source = fields.Selection(VALUE_SOURCES, required=True)
    example = fields.Char(help="Example value shown to Meta when the template is submitted.")

    _position_uniq = models.Constraint(
        "unique(template_id, position)", "Each placeholder can be mapped only once."
    )
    _position_positive = models.Constraint(
        "CHECK(position > 0)", "Placeholders are numbered from 1."
    )
