from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import ab_test, cadence
from .cobranza_ab_experiment import RESULTS, STATES

# Changing one of these on a level with a variant B starts a new A/B test.
AB_DESIGN_FIELDS = {"template_id", "template_b_id", "ab_split"}

# What the level shows of its current test: its ab_<name> is the test's <name>.
AB_FIGURES = ("state", "result", "customers_a", "customers_b", "paid_rate_a", "paid_rate_b",
              "reply_rate_a", "reply_rate_b", "p_value", "verdict", "method")

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
    ab_min_sample = fields.Integer(
        string="Customers per Variant", default=ab_test.DEFAULT_MIN_SAMPLE,
        help="The A/B test decides only once both variants have this many customers whose "
        "days to pay have elapsed. Fixed when a test starts: a change applies to the next one.")
    ab_horizon_days = fields.Integer(
        string="Test Horizon (days)", default=ab_test.DEFAULT_HORIZON_DAYS,
        help="The A/B test decides no earlier than this many days after it starts. Fixed when "
        "a test starts: a change applies to the next one.")
    ab_experiment_ids = fields.One2many("cobranza.ab.experiment", "level_id",
                                        string="A/B Tests")
    ab_experiment_count = fields.Integer(compute="_compute_ab_experiment_id", compute_sudo=True)
    ab_experiment_id = fields.Many2one(
        "cobranza.ab.experiment", string="Current A/B Test", compute="_compute_ab_experiment_id",
        compute_sudo=True,
        help="The test of the level's current variant B: the one the customers are "
        "randomised by, and whose results the level shows.")
    # The current test's figures, for the level form (computed as one, from the test).
    ab_state = fields.Selection(STATES, string="A/B Test Status", compute="_compute_ab_figures")
    ab_result = fields.Selection(RESULTS, string="A/B Result", compute="_compute_ab_figures")
    ab_customers_a = fields.Integer(compute="_compute_ab_figures")
    ab_customers_b = fields.Integer(compute="_compute_ab_figures")
    ab_paid_rate_a = fields.Float(compute="_compute_ab_figures")
    ab_paid_rate_b = fields.Float(compute="_compute_ab_figures")
    ab_reply_rate_a = fields.Float(compute="_compute_ab_figures")
    ab_reply_rate_b = fields.Float(compute="_compute_ab_figures")
    ab_p_value = fields.Float(string="p-value (payments)", digits=(4, 3),
                              compute="_compute_ab_figures")
    ab_verdict = fields.Char(string="Verdict", compute="_compute_ab_figures")
    ab_method = fields.Char(string="Method", compute="_compute_ab_figures")
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
    escalate_after_days = fields.Integer(
        string="Escalate after (days)", default=0,
        help="If the customer neither replies nor pays within this many days of this "
        "level's message, the next level goes out at once instead of waiting for its day "
        "(still inside the contact hours, the daily and weekly caps and the customer's "
        "consent). 0: the next level waits for its day. A promise or a payment plan not "
        "kept brings the next level forward as well. Settings can turn both off.")
    early_discount_template_id = fields.Many2one(
        "cobranza.whatsapp.template",
        string="Template with Early-Payment Discount",
        check_company=True,
        domain="[('purpose', '!=', 'thanks')]",
        help="Sent instead of the WhatsApp template for a single invoice whose payment "
        "terms give an early-payment discount still open on the day the reminder goes "
        "out: it tells the discounted amount and its deadline, as Odoo computes them. A "
        "separate template, because Meta's text is fixed and Meta may judge a discount "
        "promotional: the level's own template stays a Utility one.")
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
    _ab_min_sample_floor = models.Constraint(
        "CHECK(ab_min_sample >= 30)", "An A/B test needs at least 30 customers per variant.")
    _ab_horizon_floor = models.Constraint(
        "CHECK(ab_horizon_days > 7)",
        "The A/B test horizon must leave the customers more than the 7 days to pay it measures.")
    _escalate_after_days_positive = models.Constraint(
        "CHECK(escalate_after_days >= 0)",
        "The days before escalating cannot be negative (0 turns escalation off).",
    )
    _max_pay_probability_range = models.Constraint(
        "CHECK(max_pay_probability >= 0 AND max_pay_probability <= 100)",
        "The payment probability limit is a percentage.",
    )

    @api.depends("template_b_id", "ab_experiment_ids.state")
    def _compute_ab_experiment_id(self):
        for level in self:
            level.ab_experiment_count = len(level.ab_experiment_ids)
            # Experiments come newest first: the latest not stopped, while B is in place.
            level.ab_experiment_id = level.ab_experiment_ids.filtered(
                lambda e: e.state != "stopped")[:1] if level.template_b_id else False

    @api.depends("ab_experiment_id")
    def _compute_ab_figures(self):
        for level in self:
            experiment = level.ab_experiment_id.sudo()
            for name in AB_FIGURES:
                level[f"ab_{name}"] = experiment[name] if experiment else False

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

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        levels.filtered("template_b_id")._ab_restart()
        return levels

    def write(self, vals):
        """A new variant B, template A or split is a new test: the old one's figures are
        the old templates', counting on would mix two experiments."""
        if not AB_DESIGN_FIELDS & vals.keys():
            return super().write(vals)
        before = {level.id: level._ab_design() for level in self}
        result = super().write(vals)
        self.filtered(lambda level: level._ab_design() != before[level.id])._ab_restart()
        return result

    # === ACTION METHODS === #

    def action_promote_winner(self):
        """End the test: the winning template becomes the level's template for everyone."""
        self.ensure_one()
        experiment = self.ab_experiment_id
        if experiment.state != "decided" or experiment.result not in ("a", "b"):
            raise UserError(self.env._(
                "No variant has won: a winner exists only once the A/B test has decided, at "
                "its horizon, and found a significant difference in payments."))
        winner = experiment.template_b_id if experiment.result == "b" \
            else experiment.template_a_id
        self.write({"template_id": winner.id, "template_b_id": False})
        return True

    def action_start_ab_test(self):
        """Start afresh: the running test stops with its figures, a new one counts from now."""
        for level in self:
            if not level.template_b_id:
                raise UserError(self.env._("Level %(level)s has no variant B template to test.",
                                           level=level.name))
        self._ab_restart()
        return True

    def action_stop_ab_test(self):
        """Stop the test; every customer gets template A again."""
        self.write({"template_b_id": False})
        return True

    def action_view_ab_experiments(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("A/B Tests"),
            "res_model": "cobranza.ab.experiment",
            "view_mode": "list,form",
            "domain": [("level_id", "=", self.id)],
            "context": {"default_level_id": self.id},
        }

    # === BUSINESS METHODS === #

    def _template_for(self, variant="a", invoice_count=1, early_discount=False):
        """The WhatsApp template a step of this level sends: the one rule for every sender.

        Variant B, when the level tests one, wins over the statement and the discount
        templates: the test compares two templates, a third one would spoil it. The
        discount template is for one invoice (`early_discount`: its early-payment discount
        is open when the message goes out).
        """
        self.ensure_one()
        if variant == "b" and self.template_b_id:
            return self.template_b_id
        if invoice_count > 1 and self.statement_template_id:
            return self.statement_template_id
        if early_discount and invoice_count == 1 and self.early_discount_template_id:
            return self.early_discount_template_id
        return self.template_id

    def _ab_variant_for(self, partner):
        """The A/B variant this customer gets at this level, "a" when the level tests none."""
        self.ensure_one()
        if not self.template_b_id:
            return "a"
        return cadence.ab_variant(partner.id, self.ab_experiment_id.id, self.ab_split)

    def _ab_design(self):
        self.ensure_one()
        return self.template_id, self.template_b_id, self.ab_split

    def _ab_restart(self):
        """Stop the level's running test and start one for its current templates, if any."""
        self.ab_experiment_ids._set_stopped()
        self.env["cobranza.ab.experiment"].create([{
            "level_id": level.id,
            "template_a_id": level.template_id.id,
            "template_b_id": level.template_b_id.id,
            "split": level.ab_split,
            "min_sample": level.ab_min_sample,
            "horizon_days": level.ab_horizon_days,
        } for level in self if level.template_b_id])

    @api.model
    def _ab_start_missing(self):
        """A level given a variant B before tests were records gets its test (upgrade)."""
        levels = self.with_context(active_test=False).search([("template_b_id", "!=", False)])
        levels.filtered(lambda level: not level.ab_experiment_id)._ab_restart()

    def _segments(self):
        """The (risk, customer type) pairs this level applies to."""
        self.ensure_one()
        risks = {r for r, on in (("low", self.apply_risk_low), ("medium", self.apply_risk_medium),
                                 ("high", self.apply_risk_high)) if on}
        types = {t for t, on in (("new", self.apply_new), ("recurring", self.apply_recurring))
                 if on}
        return {(r, t) for r in risks for t in types}
