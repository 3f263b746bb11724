import datetime

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, plaintext2html

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
    offer_options = fields.Json(
        string="Options Offered", readonly=True, copy=False,
        help="The instalment options offered to the customer on WhatsApp, as offered "
             "({count: [[date, amount], ...]}): the customer's choice of one lays the plan "
             "out and activates it.")
    offered = fields.Boolean(string="Offered on WhatsApp", compute="_compute_offered",
                             help="The customer chooses the instalments on WhatsApp.")

    @api.depends("partner_id", "amount_total")
    def _compute_name(self):
        for plan in self:
            plan.name = self.env._("Plan %(customer)s", customer=plan.partner_id.name or "")

    @api.depends("offer_options", "state")
    def _compute_offered(self):
        for plan in self:
            plan.offered = plan.state == "draft" and bool(plan.offer_options)

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
            plan.line_ids = [Command.clear(), *self._line_commands(schedule)]
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
        problems = self._policy_problems()
        if problems:
            raise UserError("\n".join(problems))

    def _policy_problems(self):
        """Why the plan breaks the company's rules (the customer's risk, the number of
        instalments, the first and the least instalment), in words; empty when it keeps
        them."""
        self.ensure_one()
        company = self.company_id
        lines = self.line_ids.sorted("date")
        limits = plans.check_limits(
            self.amount_total, len(lines), lines[:1].amount,
            max_instalments=company.cobranza_plan_max_instalments,
            min_first_percent=company.cobranza_plan_min_first_percent,
            smallest_amount=min(lines.mapped("amount"), default=None),
            min_instalment=self._min_instalment(company, self.currency_id))
        return self._risk_problems(self.partner_id, company) + [
            self._limit_text(message, params, self.currency_id) for message, params in limits]

    @api.model
    def _risk_problems(self, partner, company):
        risk = partner.commercial_partner_id.with_company(company).cobranza_risk or "low"
        if company[f"cobranza_plan_risk_{risk}"]:
            return []
        labels = dict(partner._fields["cobranza_risk"]._description_selection(self.env))
        return [self.env._(
            "Customers with %(risk)s risk do not qualify for a payment plan (Settings).",
            risk=labels.get(risk, risk).lower())]

    @api.model
    def _min_instalment(self, company, currency):
        """The company's minimum instalment in `currency` (the invoices')."""
        amount = company.cobranza_plan_min_instalment
        if not amount or not currency or currency == company.currency_id:
            return amount
        return company.currency_id._convert(amount, currency, company,
                                            fields.Date.context_today(self))

    @api.model
    def _limit_text(self, message, params, currency):
        """A limit of tools/plans.py in the reader's words, its amount in `currency`."""
        if "amount" in params:
            params = dict(params, amount=format_amount(self.env, params["amount"], currency))
        return self.env._(message, **params)

    @api.model
    def _line_commands(self, schedule):
        return [Command.create({"sequence": i, "date": date, "amount": float(amount)})
                for i, (date, amount) in enumerate(schedule, start=1)]

    @api.model
    def _propose(self, partner, moves, message=None, problem=None):
        """The customer asked for a plan: a proposal within the company's limits, for a
        collector to agree with the customer and activate, with an activity that says so.
        A customer with a plan proposed or running gets no second one. `problem` is why
        the request itself is outside the rules (more instalments than allowed...), told
        to the collector with the proposal's own. Returns (plan, problem): problem says
        why the request or the proposal is outside the rules (a person decides then),
        False when they are within them."""
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
        reasons = problem.split("\n") if problem else []
        if plan.state == "draft":
            reasons += plan._policy_problems()
        problem = "\n".join(dict.fromkeys(reasons)) or False
        outside = self.env._("Outside the rules: %(problem)s", problem=problem) if problem \
            else ""
        collector = partner._cobranza_collector(company)
        plan_activity = self.env.ref("mail.mail_activity_data_todo")
        if not plan.activity_ids.filtered(lambda a: a.activity_type_id == plan_activity):
            note = self.env._(
                "The customer asked for a payment plan on WhatsApp. Agree the instalments "
                "with them and activate the plan; the reminders follow it then.")
            if problem:
                note = f"{note}\n{outside}"
            plan.sudo().activity_schedule(
                "mail.mail_activity_data_todo", user_id=collector.id,
                summary=self.env._("Agree the payment plan"), note=plaintext2html(note))
        elif problem:  # the collector already has the plan's activity: the new reason
            plan.sudo().message_post(body=plaintext2html(outside), message_type="comment",
                                     subtype_xmlid="mail.mt_note")
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
            "line_ids": self._line_commands(schedule),
        })

    # === OFFERS IN THE CONVERSATION === #

    @api.model
    def _offer(self, partner, moves, company, requested=None, message=None, today=None):
        """The plan a customer asked for in the conversation, within `company`'s rules: the
        options (instalment counts) the customer may choose from, laid out on a draft plan
        (one per customer and company: a new request lays it out again). `requested` is the
        count the customer named, if any. Returns (plan, options, problem): options are
        (count, schedule) pairs; problem says why the request is outside the rules, and
        then there are no options: a person decides, with the plan as the proposal."""
        partner = partner.commercial_partner_id
        today = today or fields.Date.context_today(self)
        plan = self.search([("partner_id", "=", partner.id), ("company_id", "=", company.id),
                            ("state", "in", ("draft", "active"))], limit=1)
        if plan.state == "active":
            return plan, [], self.env._("The customer already has an active payment plan.")
        if plan and not plan.offer_options:
            return plan, [], self.env._(
                "A collector is agreeing a payment plan with the customer.")
        moves = moves.filtered(lambda m: is_open(m) and m.company_id == company)
        if len(moves.currency_id) > 1:
            currency = company.currency_id & moves.currency_id or moves[:1].currency_id
            moves = moves.filtered(lambda m: m.currency_id == currency)
        if not moves:
            return plan, [], self.env._("There is no open invoice to put in a plan.")
        problems = self._risk_problems(partner, company)
        if self.search_count([("partner_id", "=", partner.id), ("company_id", "=", company.id),
                              ("state", "=", "broken"), ("move_ids", "in", moves.ids)],
                             limit=1):
            problems.append(self.env._("The customer broke a payment plan on these invoices."))
        currency = moves.currency_id
        total = sum(moves.mapped("amount_residual"))
        counts = plans.offer_counts(requested, company.cobranza_plan_max_instalments)
        first_date = today + datetime.timedelta(days=company.cobranza_plan_first_days)
        options, refused = plans.plan_options(
            total, counts, first_date, interval=company.cobranza_plan_interval,
            min_first_percent=company.cobranza_plan_min_first_percent,
            min_instalment=self._min_instalment(company, currency),
            digits=currency.decimal_places)
        if not counts:
            problems.append(self.env._("At most %(max)s instalments are allowed.",
                                       max=company.cobranza_plan_max_instalments))
        elif requested in refused or not options:
            problems += [self._limit_text(message, params, currency) for message, params
                         in refused.get(requested) or next(iter(refused.values()))]
        if problems:
            if requested:
                problems.insert(0, self.env._("The customer asked for %(count)s instalments.",
                                              count=requested))
            return plan, [], "\n".join(problems)
        count, schedule = options[len(options) // 2]  # the draft shows the middle option
        values = {
            "move_ids": [Command.set(moves.ids)], "currency_id": currency.id,
            "amount_total": total, "first_date": first_date,
            "interval": company.cobranza_plan_interval, "instalment_count": count,
            "first_amount": self._distinct_first(schedule),
            "source_message_id": message.id if message else False,
            "line_ids": [Command.clear(), *self._line_commands(schedule)],
            "offer_options": {str(n): [[day.isoformat(), float(amount)] for day, amount in lines]
                              for n, lines in options},
        }
        if plan:
            plan.write(values)
        else:
            plan = self.create({"partner_id": partner.id, "company_id": company.id, **values})
        return plan, options, False

    @api.model
    def _distinct_first(self, schedule):
        """The first instalment when it is not one of equal ones (the managers' minimum
        share), else False: the plan's "first amount" as a collector would set it."""
        first = schedule[0][1]
        return float(first) if len(schedule) > 1 and first != schedule[1][1] else False

    def _offered_schedule(self, count, today=None):
        """The schedule offered for `count` instalments while the offer stands (the plan
        still a proposal, its first instalment's day not past), else None."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        offered = (self.offer_options or {}).get(str(count))
        if self.state != "draft" or not offered or self.first_date < today:
            return None
        return [(fields.Date.to_date(day), amount) for day, amount in offered]

    def _accept_option(self, count, today=None):
        """The customer chose `count` instalments from the offer: the plan is laid out as
        offered and activated, within the rules as they are now (the Settings may have
        changed since the offer: then UserError, and the plan stays as it was). Returns
        the schedule."""
        self.ensure_one()
        schedule = self._offered_schedule(count, today)
        if not schedule:
            raise UserError(self.env._("This option is no longer offered."))
        with self.env.cr.savepoint():
            self.write({"instalment_count": count, "first_amount": self._distinct_first(schedule),
                        "line_ids": [Command.clear(), *self._line_commands(schedule)],
                        "offer_options": False})
            self.action_activate()
        self.message_post(body=self.env._(
            "The customer chose %(count)s instalments on WhatsApp: the plan is active.",
            count=count))
        return schedule

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
