import datetime

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date

from ..tools.receivable import is_open

# A promise is judged this many days after its date: a payment takes a day to show.
GRACE_DAYS = 1
# Promises judged per run of the check; the next run takes the rest.
CHECK_BATCH_SIZE = 1000


class CobranzaPromise(models.Model):
    """A customer's promise to pay by a date: reminders wait until then, then it is judged."""

    _name = "cobranza.promise"
    _inherit = ["mail.thread"]
    _description = "Promise to Pay"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True,
                                 compute="_compute_partner_id", store=True, readonly=False,
                                 precompute=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    move_ids = fields.Many2many("account.move", "cobranza_promise_account_move_rel",
                                "promise_id", "move_id", string="Invoices", check_company=True)
    amount = fields.Monetary(currency_field="currency_id", compute="_compute_amount",
                             store=True, readonly=False, precompute=True,
                             help="What the invoices owe when they are chosen; change it to "
                             "what the customer promised.")
    currency_id = fields.Many2one("res.currency", compute="_compute_amount", store=True,
                                  readonly=False, precompute=True)
    date = fields.Date(string="Promised For", required=True, tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Not Kept"), ("cancelled", "Cancelled")],
        default="open", required=True, index=True, tracking=True,
    )
    source_message_id = fields.Many2one("cobranza.message", string="From Message",
                                        index="btree_not_null")
    residual_at_promise = fields.Monetary(
        string="Owed When Promised", currency_field="currency_id", readonly=True, copy=False,
        help="What the invoices owed when the promise was made: what was paid since is "
        "measured from it.")
    amount_paid = fields.Monetary(
        string="Paid Since", currency_field="currency_id", compute="_compute_amount_paid",
        compute_sudo=True,
        help="Paid on the promise's invoices since it was made.")
    note = fields.Text()

    # === COMPUTE METHODS === #

    @api.depends("move_ids")
    def _compute_partner_id(self):
        """The invoices' customer, when they are chosen first (or prefilled)."""
        for promise in self:
            customer = promise.move_ids.commercial_partner_id
            promise.partner_id = customer if len(customer) == 1 else promise.partner_id

    @api.depends("move_ids")
    def _compute_amount(self):
        """What the invoices owe, in their currency; invoices in several currencies are
        added up in the company's. Only the choice of invoices sets it: a payment later
        does not change what was promised."""
        for promise in self:
            moves = promise.move_ids
            company_currency = promise.company_id.currency_id or self.env.company.currency_id
            if len(moves.currency_id) == 1:
                promise.currency_id = moves.currency_id
                promise.amount = sum(moves.mapped("amount_residual"))
            elif moves:
                promise.currency_id = company_currency
                promise.amount = sum(moves.mapped("amount_residual_signed"))
            else:
                promise.currency_id = promise.currency_id or company_currency
                promise.amount = promise.amount

    @api.depends("move_ids.amount_residual", "residual_at_promise")
    def _compute_amount_paid(self):
        for promise in self:
            promise.amount_paid = max(
                promise.residual_at_promise - promise._owed(), 0.0)

    @api.depends("partner_id", "amount", "currency_id", "date")
    def _compute_display_name(self):
        for promise in self:
            if not promise.partner_id:
                promise.display_name = self.env._("New Promise to Pay")
                continue
            promise.display_name = self.env._(
                "%(customer)s: %(amount)s by %(date)s",
                customer=promise.partner_id.name,
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=format_date(self.env, promise.date) if promise.date else "-")

    # === CONSTRAINT METHODS === #

    @api.constrains("date", "company_id")
    def _check_date_horizon(self):
        """A promise pauses reminders until its date: not for years on a typo."""
        for promise in self.filtered(lambda p: p.state == "open" and p.date):
            problem = self._horizon_problem(promise.company_id, promise.date)
            if problem:
                raise ValidationError(problem)

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            promise.residual_at_promise = promise._owed()
        promises._pause_reminders()
        return promises

    def write(self, vals):
        result = super().write(vals)
        if {"date", "move_ids"} & set(vals):
            self._pause_reminders()
        return result

    # === BUSINESS METHODS === #

    @api.model
    def _record(self, partner, moves, date, amount=None, message=None, note=None):
        """Record the promise of a reply; its open invoices' reminders wait (create)."""
        moves = moves.filtered(is_open)
        values = {
            "partner_id": partner.id,
            "company_id": (moves[:1].company_id or self.env.company).id,
            "move_ids": [(6, 0, moves.ids)],
            "date": date,
            "source_message_id": message.id if message else False,
            "note": note,
        }
        if amount is not None:
            values["amount"] = amount
        return self.create(values)

    @api.model
    def _horizon_problem(self, company, date, today=None):
        """Why a promise for `date` may not pause the company's reminders, or None."""
        today = today or fields.Date.context_today(self)
        horizon = company.cobranza_promise_horizon_days
        if date <= today + datetime.timedelta(days=horizon):
            return None
        return self.env._(
            "The promised date %(date)s is more than %(days)s days away (the company's "
            "promised date horizon): it does not pause the reminders; agree on a nearer date "
            "with the customer.", date=format_date(self.env, date), days=horizon)

    @api.model
    def _hand_over_beyond_horizon(self, message, result, date, today):
        """A reply promising a date beyond the horizon records no promise: a person agrees
        on a real date with the customer. Returns whether it was handed over."""
        problem = self._horizon_problem(message.company_id, date, today)
        if not problem:
            return False
        message.needs_person = True
        message._hand_to_person(result, today)
        # Where the collector's activity points: why the reply is theirs.
        message.partner_id.sudo().message_post(
            body=Markup("<p>%s</p>") % problem, message_type="comment",
            subtype_xmlid="mail.mt_note")
        message.action_taken = problem
        return True

    @api.model
    def _action_new(self, partner, moves):
        """A new promise's form for the customer's open invoices, as a collector records
        one said on the phone: amount and currency come from the invoices."""
        moves = moves.filtered(is_open)
        return partner._cobranza_new_record_action(self._name, self.env._("Record Promise"),
                                                   moves)

    def _pause_reminders(self):
        """The one rule, however the promise was made (a reply, a collector's form): the
        open invoices of an open promise get no reminder until a day after its grace."""
        for promise in self.filtered(lambda p: p.state == "open" and p.date):
            promise.move_ids.filtered(is_open).sudo().write({
                "cobranza_paused_until": promise.date + datetime.timedelta(days=GRACE_DAYS + 1)})

    def _mark_kept(self):
        self.filtered(lambda p: p.state == "open").write({"state": "kept"})

    def _owed(self):
        """What the promise's invoices owe now, in the promise's currency."""
        self.ensure_one()
        moves = self.move_ids
        if len(moves.currency_id) == 1 and moves.currency_id == self.currency_id:
            return sum(moves.mapped("amount_residual"))
        return sum(moves.mapped("amount_residual_signed"))

    def _is_kept(self):
        """Kept when the invoices are paid, or when what the customer promised (a part:
        "le pago 500 soles el viernes") has arrived since the promise."""
        self.ensure_one()
        if not self.move_ids.filtered(is_open):
            return True
        return bool(self.amount) and self.currency_id.compare_amounts(
            self.amount_paid, self.amount) >= 0

    @api.model
    def _cron_check(self, today=None):
        """Judge the promises whose date (plus a day of grace) has passed."""
        today = today or fields.Date.context_today(self)
        due = self.search([
            ("state", "=", "open"),
            ("date", "<", today - datetime.timedelta(days=GRACE_DAYS)),
        ], limit=CHECK_BATCH_SIZE)
        for promise in due:
            if promise._is_kept():
                promise.state = "kept"
                continue
            unpaid = promise.move_ids.filtered(is_open)
            promise.state = "broken"
            promise.partner_id._cobranza_commitment_broken(unpaid, promise, self.env._(
                "The promise to pay by %(date)s was not kept: the reminders resume.",
                date=format_date(self.env, promise.date)), tell_customer=True)
        return len(due)
