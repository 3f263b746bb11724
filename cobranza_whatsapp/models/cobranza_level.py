from odoo import api, fields, models
from odoo.exceptions import ValidationError

CHANNELS = [
    ("whatsapp", "WhatsApp"),
    ("sms", "SMS"),
    ("email", "E-mail"),
    ("call", "Phone call by a collector"),
]


class CobranzaLevel(models.Model):
    """One step of the collection cadence, placed in days relative to the due date.

    Levels are data the managers own: the shipped cadence is loaded once with
    ``noupdate`` and never overwritten on upgrade.
    """

    _name = "cobranza.level"
    _description = "Collection Level"
    _order = "company_id, offset_days, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    offset_days = fields.Integer(
        string="Days from Due Date",
        required=True,
        help="Negative: before the due date; 0: the due day; positive: days overdue.",
    )
    channel = fields.Selection(CHANNELS, required=True, default="whatsapp")
    fallback_channel = fields.Selection(
        [("sms", "SMS"), ("email", "E-mail"), ("none", "None")],
        default="email",
        required=True,
        help="Used when WhatsApp is impossible: no consent, no valid number, or Meta "
        "says the number cannot receive WhatsApp.",
    )
    tone = fields.Selection(
        [
            ("educational", "Educational"),
            ("friendly", "Friendly"),
            ("direct", "Direct"),
            ("firm", "Firm"),
            ("final", "Final notice"),
        ],
        default="friendly",
        required=True,
    )
    template_id = fields.Many2one(
        "cobranza.whatsapp.template",
        string="WhatsApp Template",
        check_company=True,
        domain="[('purpose', '!=', 'thanks')]",
    )
    template_b_id = fields.Many2one(
        "cobranza.whatsapp.template",
        string="Variant B Template",
        check_company=True,
        help="A/B test: this share of customers gets variant B instead.",
    )
    ab_split = fields.Integer(string="Variant B %", default=50)
    statement_template_id = fields.Many2one(
        "cobranza.whatsapp.template",
        check_company=True,
        help="Used instead when one message covers several invoices.",
    )
    sms_template_id = fields.Many2one(
        "sms.template", string="SMS Template", domain="[('model', '=', 'account.move')]"
    )
    mail_template_id = fields.Many2one(
        "mail.template", string="E-mail Template", domain="[('model', '=', 'account.move')]"
    )
    apply_risk_low = fields.Boolean(string="Low Risk", default=True)
    apply_risk_medium = fields.Boolean(string="Medium Risk", default=True)
    apply_risk_high = fields.Boolean(string="High Risk", default=True)
    apply_new = fields.Boolean(string="New Customers", default=True)
    apply_recurring = fields.Boolean(string="Recurring Customers", default=True)
    min_amount = fields.Monetary(
        string="Minimum Amount",
        currency_field="company_currency_id",
        help="Skip customers whose open amount at this step is lower.",
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id")
    attach_pdf = fields.Boolean(string="Attach Invoice PDF", default=True)
    include_pay_link = fields.Boolean(string="Include Payment Link", default=True)
    offer_plan = fields.Boolean(string="Offer a Payment Plan")
    handoff = fields.Boolean(
        string="Hand Off to a Person",
        help="Create an activity for the customer's collector and pause the automation.",
    )
    step_ids = fields.One2many("cobranza.step", "level_id", string="Steps")

    _ab_split_range = models.Constraint(
        "CHECK(ab_split >= 0 AND ab_split <= 100)", "The variant B share is a percentage."
    )

    @api.constrains("offset_days", "company_id", "active", "apply_risk_low", "apply_risk_medium",
                    "apply_risk_high", "apply_new", "apply_recurring")
    def _check_overlap(self):
        """Two active levels on the same day for the same customers would send twice."""
        for level in self.filtered("active"):
            others = self.search([
                ("id", "!=", level.id),
                ("company_id", "=", level.company_id.id),
                ("offset_days", "=", level.offset_days),
            ])
            for other in others:
                if level._segments() & other._segments():
                    raise ValidationError(
                        self.env._(
                            "Levels %(level)s and %(other)s both fall %(days)s days from the "
                            "due date for the same customers. Change the day or the segments "
                            "of one of them.",
                            level=level.name, other=other.name, days=level.offset_days,
                        )
                    )

    @api.constrains("channel", "template_id", "sms_template_id", "mail_template_id", "active")
    def _check_channel_template(self):
        for level in self.filtered("active"):
            missing = (
                (level.channel == "whatsapp" and not level.template_id)
                or (level.channel == "sms" and not level.sms_template_id)
                or (level.channel == "email" and not level.mail_template_id)
            )
            if missing:
                raise ValidationError(
                    self.env._("Level %(level)s sends by %(channel)s but has no template for "
                               "that channel.", level=level.name,
                               channel=dict(CHANNELS)[level.channel])
                )

    @api.constrains("min_amount")
    def _check_min_amount(self):
        for level in self:
            if level.min_amount < 0:
                raise ValidationError(
                    self.env._("Level %(level)s: the minimum amount cannot be negative.",
                               level=level.name)
                )

    # === BUSINESS METHODS === #

    def _segments(self):
        """The (risk, customer type) pairs this level applies to."""
        self.ensure_one()
        risks = {r for r, on in (("low", self.apply_risk_low), ("medium", self.apply_risk_medium),
                                 ("high", self.apply_risk_high)) if on}
        types = {t for t, on in (("new", self.apply_new), ("recurring", self.apply_recurring))
                 if on}
        return {(r, t) for r in risks for t in types}
