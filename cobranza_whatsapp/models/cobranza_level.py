from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import cadence, kpi

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
    template_ttl_hours = fields.Integer(
        related="template_id.ttl_hours", readonly=False, string="Time to Live (hours)",
        help="Meta stops trying to deliver this level's reminder after this long (at most "
        "12 hours), so it is not delivered after it stopped being true. It belongs to the "
        "template: submit the template again for Meta to apply a change.")
    template_b_id = fields.Many2one(
        "cobranza.whatsapp.template",
        string="Variant B Template",
        check_company=True,
        help="A/B test: this share of customers gets variant B instead.",
    )
    ab_split = fields.Integer(string="Variant B %", default=50)
    ab_sent_a = fields.Integer(string="Sent (A)", compute="_compute_ab_results")
    ab_sent_b = fields.Integer(string="Sent (B)", compute="_compute_ab_results")
    ab_reply_rate_a = fields.Float(string="Reply Rate A (%)", compute="_compute_ab_results")
    ab_reply_rate_b = fields.Float(string="Reply Rate B (%)", compute="_compute_ab_results")
    ab_paid_rate_a = fields.Float(string="Paid in 7 Days A (%)", compute="_compute_ab_results")
    ab_paid_rate_b = fields.Float(string="Paid in 7 Days B (%)", compute="_compute_ab_results")
    ab_p_value = fields.Float(string="p-value (payments)", digits=(4, 3),
                              compute="_compute_ab_results")
    ab_winner = fields.Selection([("a", "Variant A"), ("b", "Variant B")], string="Winner",
                                 compute="_compute_ab_results")
    ab_verdict = fields.Char(string="Verdict", compute="_compute_ab_results")
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
    max_pay_probability = fields.Integer(
        string="Only up to Payment Probability (%)", default=100,
        help="Send this level only to customers whose payment probability is at most this "
        "value, e.g. 60 to remind before the due date only those likely to pay late. "
        "100: everyone.",
    )
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
    _max_pay_probability_range = models.Constraint(
        "CHECK(max_pay_probability >= 0 AND max_pay_probability <= 100)",
        "The payment probability limit is a percentage.",
    )

    @api.depends("template_id", "template_b_id")
    def _compute_ab_results(self):
        groups = self.env["cobranza.message.report"]._read_group(
            [("level_id", "in", self.ids), ("ab_variant", "!=", False)],
            ["level_id", "ab_variant"], ["message_count:sum", "replied:sum", "converted:sum"],
        )
        figures = {(level.id, variant): (sent, replied, converted)
                   for level, variant, sent, replied, converted in groups}
        for level in self:
            sent_a, replied_a, paid_a = figures.get((level.id, "a"), (0, 0, 0))
            sent_b, replied_b, paid_b = figures.get((level.id, "b"), (0, 0, 0))
            replies = kpi.two_proportion_test(replied_a, sent_a, replied_b, sent_b)
            payments = kpi.two_proportion_test(paid_a, sent_a, paid_b, sent_b)
            level.ab_sent_a, level.ab_sent_b = sent_a, sent_b
            level.ab_reply_rate_a = (replies.rate_a or 0.0) * 100
            level.ab_reply_rate_b = (replies.rate_b or 0.0) * 100
            level.ab_paid_rate_a = (payments.rate_a or 0.0) * 100
            level.ab_paid_rate_b = (payments.rate_b or 0.0) * 100
            level.ab_p_value = payments.p_value if payments.p_value is not None else 1.0
            # Payments decide; replies only break a tie when payments say nothing yet.
            level.ab_winner = payments.winner or replies.winner or False
            level.ab_verdict = level._ab_verdict(payments, replies, min(sent_a, sent_b))

    def _ab_verdict(self, payments, replies, smallest):
        if not self.template_b_id and not smallest:
            return False
        if smallest < kpi.MIN_SAMPLE:
            return self.env._("Not enough messages yet: %(count)s of %(needed)s per variant.",
                              count=smallest, needed=kpi.MIN_SAMPLE)
        if payments.winner:
            return self.env._("Variant %(variant)s converts better to payment (p = %(p)s).",
                              variant=payments.winner.upper(), p=round(payments.p_value, 3))
        if replies.winner:
            return self.env._("Variant %(variant)s gets more replies (p = %(p)s); payments do "
                              "not differ significantly yet.",
                              variant=replies.winner.upper(), p=round(replies.p_value, 3))
        return self.env._("No significant difference yet (p = %(p)s).",
                          p=round(payments.p_value if payments.p_value is not None else 1.0, 3))

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

    # === ACTION METHODS === #

    def action_promote_winner(self):
        """End the test: the winning template becomes the level's template for everyone."""
        self.ensure_one()
        if not self.ab_winner:
            raise UserError(self.env._("No variant has won significantly yet."))
        winner = self.template_b_id if self.ab_winner == "b" else self.template_id
        self.write({"template_id": winner.id, "template_b_id": False})
        return True

    # === BUSINESS METHODS === #

    def _template_for(self, variant="a", invoice_count=1):
        """The WhatsApp template a step of this level sends: the one rule for every sender.

        Variant B, when the level tests one, wins over the statement template: the test
        compares two templates, a third one for several invoices would spoil it.
        """
        self.ensure_one()
        if variant == "b" and self.template_b_id:
            return self.template_b_id
        if invoice_count > 1 and self.statement_template_id:
            return self.statement_template_id
        return self.template_id

    def _ab_variant_for(self, partner):
        """The A/B variant this customer gets at this level, "a" when the level tests none."""
        self.ensure_one()
        if not self.template_b_id:
            return "a"
        return cadence.ab_variant(partner.id, self.id, self.ab_split)

    def _segments(self):
        """The (risk, customer type) pairs this level applies to."""
        self.ensure_one()
        risks = {r for r, on in (("low", self.apply_risk_low), ("medium", self.apply_risk_medium),
                                 ("high", self.apply_risk_high)) if on}
        types = {t for t, on in (("new", self.apply_new), ("recurring", self.apply_recurring))
                 if on}
        return {(r, t) for r in risks for t in types}
