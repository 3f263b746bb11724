import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

_logger = logging.getLogger(__name__)


class CobranzaPaymentNotification(models.Model):
    """A payment a bank, wallet or aggregator told us about, applied exactly once.

    The row is inserted before anything else with ``ON CONFLICT DO NOTHING`` on the
    sender's event id, so a replay (or two copies at the same instant) finds it and
    answers ``duplicate``. What cannot be applied is kept with its reason for a person.
    """

    _name = "cobranza.payment.notification"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Payment Notification"
    _order = "id desc"
    _check_company_auto = True

    external_id = fields.Char(string="Event ID", required=True, readonly=True)
    company_id = fields.Many2one("res.company", index=True, compute="_compute_company_id",
                                 store=True, readonly=True)
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
        "unique(external_id)", "This payment notification was already received."
    )

    @api.depends("move_ids")
    def _compute_company_id(self):
        for notification in self:
            notification.company_id = notification.move_ids[:1].company_id or \
                notification.company_id

    # === ACTION METHODS === #

    def action_apply(self):
        """An accountant fixed what was wrong (invoices, journal): apply it now."""
        for notification in self:
            if notification.state not in ("exception", "received"):
                raise UserError(self.env._("Only notifications to review can be applied."))
            notification._apply(notification.move_ids)
        return True

    def action_reject(self):
        self.filtered(lambda n: n.state in ("exception", "received")).write(
            {"state": "rejected"})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        return True

    # === BUSINESS METHODS === #

    @api.model
    def _receive(self, notice, raw_body):
        """Record the notice once; return (record, is_new)."""
        self.env.cr.execute(SQL(
            """
            INSERT INTO cobranza_payment_notification
                   (external_id, state, invoice_refs, amount, currency_code, date, reference,
                    journal_code, payer_name, payer_phone, payer_document, payload,
                    create_uid, write_uid, create_date, write_date)
            VALUES (%s, 'received', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                    %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (external_id) DO NOTHING
            RETURNING id
            """,
            notice["id"], ", ".join(notice["invoices"]), notice["amount"], notice["currency"],
            notice["date"], notice["reference"], notice["journal"], notice["payer_name"],
            notice["payer_phone"], notice["payer_document"], raw_body, self.env.uid,
            self.env.uid,
        ))
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), True
        return self.search([("external_id", "=", notice["id"])], limit=1), False

    def _process(self, notice):
        """Find the invoices, check the notice fits them, and pay them the native way."""
        self.ensure_one()
        if self.company_id:
            self = self.with_context(lang=self.company_id._cobranza_lang())  # noqa: PLW0642
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
        """One invoice per number: a posted one wins over cancelled namesakes; two posted
        invoices with the same number (in two companies) are for a person to choose."""
        candidates = self.env["account.move"].search([
            ("name", "in", names), ("move_type", "=", "out_invoice"),
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
        if len(moves.company_id) > 1:
            return moves.browse(), self.env._(
                "The invoices belong to different companies.")
        return moves, None

    def _problem(self, notice, moves, currency):
        found = set(moves.mapped("name"))
        missing = [name for name in notice["invoices"] if name not in found]
        if missing:
            return self.env._("Unknown invoice: %(names)s.", names=", ".join(missing))
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
                amount=notice["amount"], residual=currency.round(residual),
            )
        journal = self._journal(notice.get("journal"), moves.company_id)
        if not journal:
            return self.env._("No bank journal %(code)s for %(company)s.",
                              code=notice.get("journal") or "", company=moves.company_id.name)
        self.journal_id = journal
        return None

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
        payments = wizard._create_payments()
        state = "reconciled" if all(
            m.payment_state in ("paid", "in_payment") for m in moves) else "partial"
        self.write({"payment_ids": [(6, 0, payments.ids)], "state": state, "reason": False,
                    "journal_id": journal.id})
        self.activity_unlink(["mail.mail_activity_data_todo"])
        return state

    def _to_review(self, reason):
        self.write({"state": "exception", "reason": reason})
        accountant = self._accountant()
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=accountant.id,
            summary=self.env._("Payment notification to review"),
            note=reason,
        )
        _logger.info("Payment notification %s kept for review", self.id)
        return "exception"

    def _accountant(self):
        return self._accountant_for(self.company_id or self.env.company)

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
