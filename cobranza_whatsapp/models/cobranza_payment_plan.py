import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import plaintext2html

from ..tools import plans
from ..tools.receivable import is_open

DEFAULT_INSTALMENTS = 3
# Days an instalment may be late before the plan is broken.
DEFAULT_GRACE_DAYS = 3
# The customer is reminded this many days before each instalment.
REMIND_DAYS_BEFORE = 2
# Active plans followed per run of the cron.
FOLLOW_BATCH_SIZE = 5000


class CobranzaPaymentPlan(models.Model):
    """Instalments a customer agreed to: reminders follow the plan instead of the cadence."""

    _name = "cobranza.payment.plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Payment Plan"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True,
                                 compute="_compute_partner_id", store=True, readonly=False,
                                 precompute=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    move_ids = fields.Many2many("account.move", "cobranza_payment_plan_account_move_rel",
                                "plan_id", "move_id", string="Invoices", check_company=True)
    currency_id = fields.Many2one("res.currency", required=True, compute="_compute_amount_total",
                                  store=True, readonly=False, precompute=True)
    amount_total = fields.Monetary(string="Plan Total", currency_field="currency_id",
                                   required=True, compute="_compute_amount_total", store=True,
                                   readonly=False, precompute=True,
                                   help="What the invoices owe when they are chosen.")
    amount_paid = fields.Monetary(currency_field="currency_id", compute="_compute_progress")
    amount_residual = fields.Monetary(currency_field="currency_id",
                                      compute="_compute_progress")
    state = fields.Selection(
        [("draft", "Proposed"), ("active", "Active"), ("completed", "Completed"),
         ("broken", "Broken"), ("cancelled", "Cancelled")],
        default="draft", required=True, index=True, tracking=True,
    )
    line_ids = fields.One2many("cobranza.payment.plan.line", "plan_id", string="Instalments",
                               copy=True)
    source_message_id = fields.Many2one("cobranza.message", string="From Message")
    instalment_count = fields.Integer(string="Number of Instalments",
                                      default=DEFAULT_INSTALMENTS)
    first_date = fields.Date(default=fields.Date.context_today)
    interval = fields.Selection(
        [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")],
        default="monthly", required=True)
    first_amount = fields.Monetary(currency_field="currency_id",
                                   help="Leave empty for equal instalments.")
    grace_days = fields.Integer(default=DEFAULT_GRACE_DAYS)

    @api.depends("partner_id", "amount_total")
    def _compute_name(self):
        for plan in self:
            plan.name = self.env._("Plan %(customer)s", customer=plan.partner_id.name or "")

    @api.depends("move_ids")
    def _compute_partner_id(self):
        """The invoices' customer, when they are chosen first (or prefilled)."""
        for plan in self:
            customer = plan.move_ids.commercial_partner_id
            plan.partner_id = customer if len(customer) == 1 else plan.partner_id

    @api.depends("move_ids")
    def _compute_amount_total(self):
        """What the invoices owe, in their currency. Only the choice of invoices sets it:
        the instalments' payments do not change the plan's total."""
        for plan in self:
            if len(plan.move_ids.currency_id) == 1:
                plan.currency_id = plan.move_ids.currency_id
                plan.amount_total = sum(plan.move_ids.mapped("amount_residual"))
            else:  # none yet, or several: the constraint says so
                plan.currency_id = plan.currency_id or plan.company_id.currency_id \
                    or self.env.company.currency_id
                plan.amount_total = plan.amount_total

    @api.depends("move_ids.amount_residual", "amount_total")
    def _compute_progress(self):
        for plan in self:
            residual = sum(plan.move_ids.mapped("amount_residual"))
            plan.amount_residual = min(residual, plan.amount_total)
            plan.amount_paid = max(plan.amount_total - residual, 0.0)

    @api.constrains("move_ids")
    def _check_single_currency(self):
        for plan in self:
            if len(plan.move_ids.currency_id) > 1:
                raise ValidationError(self.env._(
                    "A plan covers invoices in a single currency."))

    @api.constrains("line_ids", "amount_total")
    def _check_lines(self):
        for plan in self.filtered("line_ids"):
            total = sum(plan.line_ids.mapped("amount"))
            if plan.currency_id.compare_amounts(total, plan.amount_total) != 0:
                raise ValidationError(self.env._(
                    "The instalments add up to %(lines)s but the plan is for %(total)s.",
                    lines=total, total=plan.amount_total))

    # === ACTION METHODS === #

    def action_activate(self):
        """The customer accepted: the cadence waits and the plan's dates take over."""
        for plan in self:
            if plan.state != "draft":
                continue
            if not plan.line_ids:
                plan.action_compute_lines()
            plan._check_policy()
            plan.state = "active"
            last = max(plan.line_ids.mapped("date"))
            plan.move_ids.sudo().write({"cobranza_paused_until": last + datetime.timedelta(
                days=plan.grace_days + 1)})
        return True

    def action_compute_lines(self):
        """Lay out the instalments from the count, first date, interval and first amount."""
        for plan in self.filtered(lambda p: p.state == "draft"):
            try:
                schedule = plans.build_schedule(
                    plan.amount_total, plan.instalment_count, plan.first_date, plan.interval,
                    plan.first_amount or None, digits=plan.currency_id.decimal_places)
            except ValueError as error:
                raise UserError(self.env._(str(error))) from None
            plan.line_ids = [(5, 0, 0)] + [
                (0, 0, {"sequence": i, "date": date, "amount": float(amount)})
                for i, (date, amount) in enumerate(schedule, start=1)]
        return True

    def action_cancel(self):
        for plan in self.filtered(lambda p: p.state in ("draft", "active")):
            plan.state = "cancelled"
            plan.move_ids.sudo().write({"cobranza_paused_until": False})
        return True

    # === BUSINESS METHODS === #

    @api.model
    def _action_new(self, partner, moves):
        """A new plan's form for the customer's open invoices (one currency: the
        company's when it has some, else the first one's), as a collector offers it."""
        moves = moves.filtered(is_open)
        if len(moves.currency_id) > 1:
            currency = moves.company_id.currency_id[:1] & moves.currency_id \
                or moves[:1].currency_id
            moves = moves.filtered(lambda m: m.currency_id == currency)
        return partner._cobranza_new_record_action(self._name, self.env._("Offer Plan"), moves)

    def _check_policy(self):
        company = self.company_id
        risk = self.partner_id.commercial_partner_id.with_company(company).cobranza_risk or "low"
        if not company[f"cobranza_plan_risk_{risk}"]:
            raise UserError(self.env._(
                "Customers with %(risk)s risk do not qualify for a payment plan (Settings).",
                risk=risk))
        lines = self.line_ids.sorted("date")
        problems = plans.check_limits(
            self.amount_total, len(lines), lines[:1].amount,
            max_instalments=company.cobranza_plan_max_instalments,
            min_first_percent=company.cobranza_plan_min_first_percent)
        if problems:
            raise UserError("\n".join(self.env._(message, **params)
                                      for message, params in problems))

    @api.model
    def _propose(self, partner, moves, message=None):
        """The customer asked for a plan: a proposal within the company's limits, for a
        collector to agree with the customer and activate, with an activity that says so.
        A customer with a plan proposed or running gets no second one. Returns
        (plan, problem): problem says why the proposal is outside the rules (a person
        decides then), False when it is within them."""
        partner = partner.commercial_partner_id
        company = moves[:1].company_id or self.env.company
        plan = self.search([("partner_id", "=", partner.id), ("company_id", "=", company.id),
                            ("state", "in", ("draft", "active"))], limit=1)
        if not plan:
            moves = moves.filtered(is_open)
            if len(moves.currency_id) > 1:
                currency = company.currency_id & moves.currency_id or moves[:1].currency_id
                moves = moves.filtered(lambda m: m.currency_id == currency)
            if not moves:
                return self.browse(), self.env._("There is no open invoice to put in a plan.")
            total = sum(moves.mapped("amount_residual"))
            count = max(1, min(DEFAULT_INSTALMENTS, company.cobranza_plan_max_instalments))
            first = plans.minimum_first_instalment(
                total, count, company.cobranza_plan_min_first_percent,
                digits=moves.currency_id.decimal_places)
            plan = self._create_plan(
                partner, moves, count, fields.Date.context_today(self), first_amount=first,
                message=message)
        problem = False
        if plan.state == "draft":
            try:
                plan._check_policy()
            except UserError as error:
                problem = str(error)
        collector = partner._cobranza_collector(company)
        plan_activity = self.env.ref("mail.mail_activity_data_todo")
        if not plan.activity_ids.filtered(lambda a: a.activity_type_id == plan_activity):
            note = self.env._(
                "The customer asked for a payment plan on WhatsApp. Agree the instalments "
                "with them and activate the plan; the reminders follow it then.")
            if problem:
                note = f"{note}\n{self.env._('Outside the rules: %(problem)s', problem=problem)}"
            plan.sudo().activity_schedule(
                "mail.mail_activity_data_todo", user_id=collector.id,
                summary=self.env._("Agree the payment plan"), note=plaintext2html(note))
        return plan, problem

    @api.model
    def _create_plan(self, partner, moves, count, first_date, interval="monthly",
                     first_amount=None, message=None):
        moves = moves.filtered(is_open)
        if not moves:
            raise UserError(self.env._("There is no open invoice to put in a plan."))
        if len(moves.currency_id) > 1:
            raise UserError(self.env._("A plan covers invoices in a single currency."))
        total = sum(moves.mapped("amount_residual"))
        try:
            schedule = plans.build_schedule(total, count, first_date, interval, first_amount,
                                            digits=moves.currency_id.decimal_places)
        except ValueError as error:
            raise UserError(self.env._(str(error))) from None
        return self.create({
            "partner_id": partner.commercial_partner_id.id,
            "company_id": moves[:1].company_id.id,
            "move_ids": [(6, 0, moves.ids)],
            "currency_id": moves.currency_id.id,
            "amount_total": total,
            "source_message_id": message.id if message else False,
            "line_ids": [(0, 0, {"sequence": i, "date": date, "amount": float(amount)})
                         for i, (date, amount) in enumerate(schedule, start=1)],
        })

    @api.model
    def _cron_follow(self, today=None, remind_days=REMIND_DAYS_BEFORE):
        """Settle instalments from payments, remind before each, break on a missed one."""
        today = today or fields.Date.context_today(self)
        for plan in self.search([("state", "=", "active")], limit=FOLLOW_BATCH_SIZE):
            lines = plan.line_ids.sorted("date")
            schedule = [(line.date, line.amount) for line in lines]
            states, broken, completed = plans.settle(schedule, plan.amount_paid, today,
                                                     plan.grace_days)
            for line, state in zip(lines, states, strict=True):
                if line.state != state:
                    line.state = state
            if completed:
                plan.state = "completed"
                continue
            if broken:
                plan.state = "broken"
                plan.partner_id._cobranza_commitment_broken(
                    plan.move_ids.filtered(is_open), plan, self.env._(
                        "An instalment was missed: the plan is broken and the reminders "
                        "resume."))
                continue
            due_soon = lines.filtered(
                lambda ln: ln.state == "pending" and not ln.reminded
                and ln.date - datetime.timedelta(days=remind_days) <= today <= ln.date)
            for line in due_soon[:1]:
                self.env["cobranza.message"].sudo()._queue_purpose(
                    plan.partner_id, plan.move_ids, "plan_instalment")
                line.reminded = True
