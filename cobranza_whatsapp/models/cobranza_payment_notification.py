import json
import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, float_compare, format_amount, format_date

from ..tools import payment_notice

_logger = logging.getLogger(__name__)

# What a person may fix before Apply: the rest is what the sender said, kept as it came.
FIXABLE_FIELDS = frozenset({"move_ids", "journal_id"})
REVIEW_STATES = ("exception", "received")


class CobranzaPaymentNotification(models.Model):
    """A payment a bank, wallet or aggregator told us about, applied exactly once.

    The row is inserted before anything else with ``ON CONFLICT DO NOTHING`` on the
    company and the sender's event id, so a replay (or two copies at the same instant) finds
    it and answers ``duplicate``. The company is the one whose webhook secret signed the
    notice: only its invoices are paid. What cannot be applied is kept with its reason for
    a person.
    """

    _name = "cobranza.payment.notification"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Payment Notification"
    _order = "id desc"
    _check_company_auto = True

    external_id = fields.Char(string="Event ID", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 compute="_compute_company_id", store=True, precompute=True)
    state = fields.Selection(
        [
            ("received", "Received"),
            ("reconciled", "Reconciled"),
            ("partial", "Partially paid"),
            ("exception", "To review"),
            ("rejected", "Rejected"),
        ],
        default="received", required=True, index=True, tracking=True, readonly=True,
    )
    reason = fields.Text(readonly=True, tracking=True)
    invoice_refs = fields.Char(string="Invoice Numbers", readonly=True)
    move_ids = fields.Many2many("account.move", string="Invoices", check_company=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_code = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(readonly=True)
    reference = fields.Char(readonly=True)
    journal_code = fields.Char(readonly=True)
    journal_id = fields.Many2one("account.journal", check_company=True,
                                 domain="[('type', 'in', ('bank', 'cash'))]")
    payer_name = fields.Char(readonly=True)
    payer_phone = fields.Char(readonly=True)
    payer_document = fields.Char(readonly=True)
    payload = fields.Text(readonly=True, groups="account.group_account_manager")
    payment_ids = fields.Many2many("account.payment", string="Payments", readonly=True)

    _external_id_uniq = models.Constraint(
        "unique(company_id, external_id)", "This payment notification was already received."
    )

    # === COMPUTE METHODS === #

    # Set once, at creation (the webhook gives the company whose secret signed it): the
    # invoices a person chooses later are checked against it, never move it elsewhere.
    @api.depends()
    def _compute_company_id(self):
        for notification in self:
            notification.company_id = notification.company_id or \
                notification.move_ids[:1].company_id or self.env.company

    # === CRUD METHODS === #

    def write(self, vals):
        """What the sender said (amount, date, reference, state...) is changed only by the
        automation and the actions; a person may fix the invoices and the journal of a
        notification still to review, then Apply."""
        if not self.env.su:
            own = set(vals) - set(self.env["mail.thread"]._fields) \
                - set(self.env["mail.activity.mixin"]._fields)
            if own - FIXABLE_FIELDS:
                raise AccessError(self.env._(
                    "A payment notification keeps what its sender said; only its invoices "
                    "and bank journal can be corrected, then applied or rejected."))
            if own and any(n.state not in REVIEW_STATES for n in self):
                raise UserError(self.env._(
                    "Only a payment notification to review can be corrected."))
        return super().write(vals)

    # === ACTION METHODS === #

    def action_apply(self):
        """An accountant fixed what was wrong (invoices, journal): apply it now."""
        for notification in self:
            if notification.state not in REVIEW_STATES:
                raise UserError(self.env._("Only notifications to review can be applied."))
            problem = notification._date_problem(notification.move_ids)
            if problem:
                raise UserError(self.env._(
                    "%(problem)s Reject it and ask the sender for a corrected notice.",
                    problem=problem))
            notification._apply(notification.move_ids)
        return True

    def action_reject(self):
        # The check of rights is the button's (and the record rule's): the state is
        # written by the automation's hand, the only writer of what the sender said.
        self.check_access("write")
        self.filtered(lambda n: n.state in REVIEW_STATES).sudo().write({"state": "rejected"})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    # === BUSINESS METHODS === #

    @api.model
    def _receive(self, company, notice, raw_body):
        """Record the notice once for the company whose secret signed it; return
        (record, is_new)."""
        self.env.cr.execute(SQL(
            """
            INSERT INTO cobranza_payment_notification
                   (company_id, external_id, state, invoice_refs, amount, currency_code, date,
                    reference, journal_code, payer_name, payer_phone, payer_document, payload,
                    create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, 'received', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                    %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (company_id, external_id) DO NOTHING
            RETURNING id
            """,
            company.id, notice["id"], ", ".join(notice["invoices"]), notice["amount"],
            notice["currency"],
            notice["date"], notice["reference"], notice["journal"], notice["payer_name"],
            notice["payer_phone"], notice["payer_document"], raw_body, self.env.uid,
            self.env.uid,
        ))
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), True
        return self.search([("company_id", "=", company.id),
                            ("external_id", "=", notice["id"])], limit=1), False

    def _process(self, notice):
        """Find the invoices, check the notice fits them, and pay them the native way."""
        self.ensure_one()
        self = self.with_company(self.company_id).with_context(  # noqa: PLW0642
            lang=self.company_id._cobranza_lang())
        moves, problem = self._find_invoices(notice["invoices"])
        currency = self.env["res.currency"].with_context(active_test=False).search(
            [("name", "=", notice["currency"])], limit=1
        )
        self.write({"move_ids": [(6, 0, moves.ids)], "currency_id": currency.id})
        problem = problem or self._problem(notice, moves, currency)
        if problem:
            return self._to_review(problem)
        return self._apply(moves)

    def _find_invoices(self, names):
        """One invoice per number among the notification's company's: a posted one wins
        over cancelled namesakes; two posted invoices with the same number (two journals)
        are for a person to choose. Another company's invoice is never a candidate."""
        candidates = self.env["account.move"].search([
            ("name", "in", names), ("move_type", "=", "out_invoice"),
            ("company_id", "=", self.company_id.id),
        ])
        moves = self.env["account.move"]
        for name in names:
            same = candidates.filtered(lambda m, n=name: m.name == n)
            posted = same.filtered(lambda m: m.state == "posted")
            if len(posted) > 1 or (not posted and len(same) > 1):
                return moves, self.env._(
                    "Several invoices carry the number %(name)s; choose the right one.",
                    name=name)
            moves |= posted or same
        return moves, None

    def _problem(self, notice, moves, currency):
        found = set(moves.mapped("name"))
        missing = [name for name in notice["invoices"] if name not in found]
        if missing:
            return self.env._("Unknown invoice: %(names)s.", names=", ".join(missing))
        date_problem = self._date_problem(moves)
        if date_problem:
            return date_problem
        if len(moves.commercial_partner_id) > 1:
            return self.env._("The invoices belong to different customers.")
        if not currency:
            return self.env._("Unknown currency %(code)s.", code=notice["currency"])
        cancelled = moves.filtered(lambda m: m.state != "posted")
        if cancelled:
            return self.env._("Invoice %(names)s is cancelled or not posted.",
                              names=", ".join(cancelled.mapped("name")))
        paid = moves.filtered(lambda m: m.payment_state in ("paid", "in_payment", "reversed"))
        if paid:
            return self.env._("Invoice %(names)s is already paid.",
                              names=", ".join(paid.mapped("name")))
        if any(m.currency_id != currency for m in moves):
            return self.env._(
                "The payment is in %(paid)s but the invoices are in %(invoiced)s.",
                paid=currency.name, invoiced=", ".join(moves.currency_id.mapped("name")),
            )
        residual = sum(moves.mapped("amount_residual"))
        if float_compare(float(notice["amount"]), residual,
                         precision_rounding=currency.rounding) > 0:
            return self.env._(
                "The amount %(amount)s is above what is owed (%(residual)s).",
                amount=format_amount(self.env, float(notice["amount"]), currency),
                residual=format_amount(self.env, residual, currency),
            )
        journal = self._journal(notice.get("journal"), self.company_id)
        if not journal:
            return self.env._("No bank journal %(code)s for %(company)s.",
                              code=notice.get("journal") or "", company=self.company_id.name)
        self.journal_id = journal
        return self._duplicate_problem()

    def _date_problem(self, moves):
        """A payment dated in the future or before its invoices is a typo or a forgery."""
        self.ensure_one()
        # The company's today: where the bank and the accountants are.
        today = fields.Date.context_today(self.with_context(tz=self.company_id.partner_id.tz))
        earliest = min(filter(None, moves.mapped("invoice_date")), default=None)
        problem = payment_notice.date_problem(self.date, earliest, today)
        if problem == "future":
            return self.env._("The payment is dated %(date)s, after today.",
                              date=format_date(self.env, self.date))
        if problem == "before_invoice":
            return self.env._("The payment is dated %(date)s, before its invoice (%(invoice)s).",
                              date=format_date(self.env, self.date),
                              invoice=format_date(self.env, earliest))
        return None

    def _duplicate_problem(self):
        """The same bank operation sent again under another event id: the reference,
        amount and date of a notification already applied in this company."""
        if not self.reference:
            return None
        twin = self.sudo().search([
            ("company_id", "=", self.company_id.id), ("id", "!=", self.id),
            ("reference", "=", self.reference), ("amount", "=", self.amount),
            ("currency_code", "=", self.currency_code), ("date", "=", self.date),
            ("state", "in", ("reconciled", "partial")),
        ], limit=1)
        if not twin:
            return None
        return self.env._(
            "Possible duplicate: notification %(event)s with the same reference, amount and "
            "date was already applied.", event=twin.external_id)

    def _journal(self, code, company):
        Journal = self.env["account.journal"]
        domain = [("company_id", "=", company.id), ("type", "in", ("bank", "cash"))]
        if code:
            return Journal.search([*domain, ("code", "=", code)], limit=1)
        return company.cobranza_payment_journal_id or Journal.search(
            [*domain, ("type", "=", "bank")], limit=1)

    def _apply(self, moves):
        """Register the payment exactly as the "Register Payment" button does."""
        self.ensure_one()
        journal = self.journal_id or self._journal(self.journal_code, moves.company_id)
        if not moves or not journal:
            return self._to_review(self.env._("Choose the invoices and the bank journal."))
        wizard = self.env["account.payment.register"].with_company(moves.company_id).with_context(
            active_model="account.move", active_ids=moves.ids,
        ).create({
            "amount": self.amount,
            "payment_date": self.date,
            "journal_id": journal.id,
            "currency_id": self.currency_id.id,
            "communication": self.reference or ", ".join(moves.mapped("name")),
            "group_payment": True,
            "payment_difference_handling": "open",
        })
        if wizard.early_payment_discount_mode:
            # The discounted amount within the payment terms' deadline: as the button
            # does, the discount is booked and the invoice is paid (Odoo's own lines).
            wizard.payment_difference_handling = "reconcile"
        payments = wizard._create_payments()
        state = "reconciled" if all(
            m.payment_state in ("paid", "in_payment") for m in moves) else "partial"
        self.sudo().write({"payment_ids": [(6, 0, payments.ids)], "state": state,
                           "reason": False, "journal_id": journal.id})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        return state

    def _to_review(self, reason):
        self.sudo().write({"state": "exception", "reason": reason})
        accountant = self._accountant()
        # The reason quotes what the sender wrote: shown as text, never as markup or a link.
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=accountant.id,
            summary=self.env._("Payment notification to review"),
            note=Markup("<p>%s</p>") % reason,
        )
        _logger.info("Payment notification %s kept for review", self.id)
        return "exception"

    def _accountant(self):
        return self._accountant_for(self.company_id)

    @api.model
    def _accountant_for(self, company):
        group = self.env.ref("account.group_account_manager")
        users = group.user_ids.filtered(
            lambda u: company in u.company_ids and u.active and not u.share)
        return users[:1] or company.cobranza_collector_id or self.env.ref("base.user_admin")

    def _answer(self):
        self.ensure_one()
        return {
            "result": {"received": "exception"}.get(self.state, self.state),
            "id": self.external_id,
            "invoices": self.move_ids.mapped("name"),
            "reason": self.reason or None,
            "residual": {m.name: m.amount_residual for m in self.move_ids},
        }

    def _payload_json(self):
        return json.loads(self.sudo().payload or "{}")
