import dataclasses

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

from ..tools import ab_test, kpi

STATES = [("running", "Running"), ("decided", "Decided"), ("stopped", "Stopped")]
RESULTS = [("a", "Variant A"), ("b", "Variant B"), (ab_test.NO_DIFFERENCE, "No difference")]
# The design is fixed at the start, the outcome written by the state methods only.
FIXED_FIELDS = {"level_id", "template_a_id", "template_b_id", "split", "date_start",
                "min_sample", "horizon_days", "state", "result", "decided_on", "date_end",
                "p_value", "result_counts"}
DECIDE_BATCH_SIZE = 100


class CobranzaAbExperiment(models.Model):
    """One A/B test of a level: two templates, a split, a start, a design fixed up front.

    Giving a level a new variant B (or pressing Start A/B Test) starts a new experiment and
    stops the previous one, whose figures stay on its record. The customers are the unit:
    each is randomised once per experiment and counted once, on the first message the
    experiment sent them. Payments decide, once, when the horizon and the minimum sample
    per variant are both reached; replies are shown and never decide.
    """

    _name = "cobranza.ab.experiment"
    _description = "Collection A/B Test"
    _order = "date_start desc, id desc"
    _check_company_auto = True

    level_id = fields.Many2one("cobranza.level", required=True, readonly=True, index=True,
                               ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="level_id.company_id", store=True, index=True)
    template_a_id = fields.Many2one("cobranza.whatsapp.template", readonly=True,
                                    check_company=True)
    template_b_id = fields.Many2one("cobranza.whatsapp.template", required=True, readonly=True,
                                    check_company=True)
    split = fields.Integer(string="Variant B %", readonly=True, default=50)
    date_start = fields.Datetime(string="Started On", required=True, readonly=True,
                                 default=fields.Datetime.now)
    date_end = fields.Datetime(string="Ended On", readonly=True, copy=False)
    state = fields.Selection(STATES, required=True, readonly=True, default="running",
                             copy=False, index=True)
    min_sample = fields.Integer(string="Customers per Variant", required=True, readonly=True,
                                default=ab_test.DEFAULT_MIN_SAMPLE)
    horizon_days = fields.Integer(string="Horizon (days)", required=True, readonly=True,
                                  default=ab_test.DEFAULT_HORIZON_DAYS)
    decision_date = fields.Datetime(string="Decided On or After", store=True,
                                    compute="_compute_decision_date")
    result = fields.Selection(RESULTS, readonly=True, copy=False)
    decided_on = fields.Datetime(readonly=True, copy=False)
    p_value = fields.Float(string="p-value (payments)", digits=(4, 3), readonly=True,
                           copy=False)
    # The figures as they were when the experiment ended: later backdated payments or
    # deleted messages do not rewrite a decision already taken.
    result_counts = fields.Json(readonly=True, copy=False)
    customers_a = fields.Integer(string="Customers (A)", compute="_compute_figures")
    customers_b = fields.Integer(string="Customers (B)", compute="_compute_figures")
    paid_rate_a = fields.Float(string="Paid A (%)", compute="_compute_figures")
    paid_rate_b = fields.Float(string="Paid B (%)", compute="_compute_figures")
    reply_rate_a = fields.Float(string="Replied A (%)", compute="_compute_figures")
    reply_rate_b = fields.Float(string="Replied B (%)", compute="_compute_figures")
    verdict = fields.Char(compute="_compute_figures")
    method = fields.Char(compute="_compute_method")

    _min_sample_floor = models.Constraint(
        "CHECK(min_sample >= 30)", "An A/B test needs at least 30 customers per variant.")
    _horizon_floor = models.Constraint(
        "CHECK(horizon_days > 7)",
        "The horizon must leave the customers more than the 7 days to pay it measures.")
    _split_range = models.Constraint(
        "CHECK(split >= 0 AND split <= 100)", "The variant B share is a percentage.")

    # === COMPUTE METHODS === #

    @api.depends("level_id.name", "template_a_id.name", "template_b_id.name", "date_start")
    def _compute_display_name(self):
        for experiment in self:
            experiment.display_name = self.env._(
                "%(level)s: %(a)s vs %(b)s (%(start)s)", level=experiment.level_id.name,
                a=experiment.template_a_id.name or "-", b=experiment.template_b_id.name,
                start=fields.Date.to_string(experiment.date_start))

    @api.depends("date_start", "horizon_days")
    def _compute_decision_date(self):
        for experiment in self:
            experiment.decision_date = experiment.date_start and ab_test.decision_date(
                experiment.date_start, experiment._design())

    def _compute_method(self):
        for experiment in self:
            experiment.method = self.env._(
                "Two-proportion z-test on payments, customers as the unit, fixed sample, "
                "α = %(alpha)s, decided once at the horizon.", alpha=ab_test.ALPHA)

    @api.depends("state", "result_counts", "result", "date_start", "date_end")
    def _compute_figures(self):
        now = fields.Datetime.now()
        for experiment in self:
            counts = experiment._counts(now) if experiment.id else ab_test.Counts()
            experiment.customers_a, experiment.customers_b = counts.customers_a, counts.customers_b
            experiment.paid_rate_a = _percent(counts.paid_a, counts.customers_a)
            experiment.paid_rate_b = _percent(counts.paid_b, counts.customers_b)
            experiment.reply_rate_a = _percent(counts.replied_a, counts.customers_a)
            experiment.reply_rate_b = _percent(counts.replied_b, counts.customers_b)
            experiment.verdict = experiment._verdict(counts)

    def _verdict(self, counts):
        if self.state == "decided":
            if self.result == ab_test.NO_DIFFERENCE:
                return self.env._("No significant difference in payments (p = %(p)s): keep "
                                  "either template.", p=round(self.p_value, 3))
            return self.env._("Variant %(variant)s converts better to payment (p = %(p)s).",
                              variant=self.result.upper(), p=round(self.p_value, 3))
        if self.state == "stopped":
            return self.env._("Stopped before a decision: %(a)s and %(b)s customers counted.",
                              a=counts.customers_a, b=counts.customers_b)
        return self.env._(
            "Running: %(count)s of %(needed)s customers per variant, decided on %(date)s "
            "(later if a variant has fewer customers by then).", count=counts.smallest,
            needed=self.min_sample, date=format_date(self.env, self.decision_date))

    # === CRUD METHODS === #

    def write(self, vals):
        if FIXED_FIELDS & vals.keys():
            raise UserError(self.env._(
                "An A/B test's templates, split, start, sample and horizon are fixed when it "
                "starts, and its outcome is the test's own. Change the level: a new test "
                "starts."))
        return super().write(vals)

    # === ACTION METHODS === #

    def action_stop(self):
        """End the test without a verdict; the level goes back to template A for everyone."""
        for experiment in self.filtered(lambda e: e.state == "running"):
            level = experiment.level_id
            if level.ab_experiment_id == experiment:
                level.template_b_id = False  # stops the experiment, see cobranza.level.write
            else:
                experiment._set_stopped()
        return True

    def action_decide(self):
        """Read the test now, if and only if its design allows it."""
        self.ensure_one()
        if self.state != "running":
            raise UserError(self.env._("This A/B test is no longer running."))
        now = fields.Datetime.now()
        if not self._decide_if_due(now):
            raise UserError(self.env._(
                "This A/B test decides on %(date)s at the earliest, and only once both "
                "variants have %(needed)s customers: reading it before would be peeking.",
                date=format_date(self.env, self.decision_date),
                needed=self.min_sample))
        return True

    # === BUSINESS METHODS === #

    def _design(self):
        self.ensure_one()
        return ab_test.Design(min_sample=self.min_sample, horizon_days=self.horizon_days)

    def _decide_if_due(self, now):
        self.ensure_one()
        counts = self._counts(now)
        if not ab_test.is_due(self._design(), self.date_start, now, counts):
            return False
        self._set_decided(counts, now)
        return True

    def _set_decided(self, counts, now):
        """The only writer of a decision: running -> decided, once."""
        self.ensure_one()
        if self.state != "running":
            return
        decision = ab_test.decide(self._design(), counts)
        self._write_outcome({
            "state": "decided", "result": decision.result, "decided_on": now, "date_end": now,
            "p_value": decision.payments.p_value if decision.payments.p_value is not None
            else 1.0,
            "result_counts": dataclasses.asdict(counts),
        })

    def _set_stopped(self):
        """running -> stopped, its figures kept as they are now."""
        now = fields.Datetime.now()
        for experiment in self.filtered(lambda e: e.state == "running"):
            experiment._write_outcome({
                "state": "stopped", "date_end": now,
                "result_counts": dataclasses.asdict(experiment._counts(now))})

    def _write_outcome(self, vals):
        """How the state methods write, past the guard of the fixed design."""
        return super().write(vals)

    def _counts(self, now):
        """Customers of the experiment whose days to pay have elapsed, per variant."""
        self.ensure_one()
        if self.result_counts:
            return ab_test.Counts(**self.result_counts)
        # Imported here: at the top of a models/ file it would register the report's model
        # before the messages' table exists.
        from ..report.cobranza_message_report import CONVERSION_DAYS  # noqa: PLC0415

        cutoff = self.date_end or now
        self.env.flush_all()
        a_templates = [t.id for t in (self.template_a_id | self.level_id.statement_template_id)]
        self.env.cr.execute(SQL(
            """
            WITH firsts AS (
                SELECT DISTINCT ON (r.partner_id) r.partner_id, r.ab_variant, r.date,
                       r.converted, r.replied
                  FROM (%(report)s) r
                 WHERE r.level_id = %(level)s AND r.channel = 'whatsapp'
                   AND r.date >= %(start)s AND r.date < %(cutoff)s
                   AND ((r.ab_variant = 'a' AND r.template_id = ANY(%(a_templates)s))
                        OR (r.ab_variant = 'b' AND r.template_id = %(b_template)s))
                 ORDER BY r.partner_id, r.date, r.id
            )
            SELECT ab_variant, count(*), sum(converted), sum(replied)
              FROM firsts
             WHERE date::date + %(days)s < %(cutoff)s::date
             GROUP BY ab_variant
            """,
            report=self.env["cobranza.message.report"]._table_query, level=self.level_id.id,
            start=self.date_start, cutoff=cutoff, a_templates=a_templates,
            b_template=self.template_b_id.id, days=CONVERSION_DAYS,
        ))
        rows = {variant: (count, paid, replied)
                for variant, count, paid, replied in self.env.cr.fetchall()}
        (n_a, paid_a, replied_a), (n_b, paid_b, replied_b) = (
            rows.get("a", (0, 0, 0)), rows.get("b", (0, 0, 0)))
        return ab_test.Counts(n_a, n_b, paid_a, paid_b, replied_a, replied_b)

    # === CRON === #

    @api.model
    def _cron_decide(self, now=None):
        """Read each running test once, the first day its horizon and sample are reached."""
        now = now or fields.Datetime.now()
        due = self.search([("state", "=", "running"), ("decision_date", "<=", now)],
                          limit=DECIDE_BATCH_SIZE).try_lock_for_update()
        return len([experiment for experiment in due if experiment._decide_if_due(now)])


def _percent(part, whole):
    ratio = kpi.ratio(part, whole)
    return ratio * 100 if ratio is not None else 0.0

