import datetime

from odoo import api, fields, models

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

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    move_ids = fields.Many2many("account.move", "cobranza_promise_account_move_rel",
                                "promise_id", "move_id", string="Invoices", check_company=True)
    amount = fields.Monetary(currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", default=lambda self: self.env.company.currency_id)
    date = fields.Date(string="Promised For", required=True, tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("kept", "Kept"), ("broken", "Broken"), ("cancelled", "Cancelled")],
        default="open", required=True, index=True, tracking=True,
    )
    source_message_id = fields.Many2one("cobranza.message", string="From Message",
                                        index="btree_not_null")
    note = fields.Text()

    # === BUSINESS METHODS === #

    @api.model
    def _record(self, partner, moves, date, amount=None, message=None, note=None):
        """Record the promise and pause the reminders for those invoices until it is due."""
        moves = moves.filtered(is_open)
        company = moves[:1].company_id or self.env.company
        promise = self.create({
            "partner_id": partner.id,
            "company_id": company.id,
            "move_ids": [(6, 0, moves.ids)],
            "amount": amount if amount is not None else sum(moves.mapped("amount_residual")),
            "currency_id": (moves[:1].currency_id or company.currency_id).id,
            "date": date,
            "source_message_id": message.id if message else False,
            "note": note,
        })
        moves.sudo().write({"cobranza_paused_until": date + datetime.timedelta(
            days=GRACE_DAYS + 1)})
        return promise

    def _mark_kept(self):
        self.filtered(lambda p: p.state == "open").write({"state": "kept"})

    @api.model
    def _cron_check(self, today=None):
        """Judge the promises whose date (plus a day of grace) has passed."""
        today = today or fields.Date.context_today(self)
        due = self.search([
            ("state", "=", "open"),
            ("date", "<", today - datetime.timedelta(days=GRACE_DAYS)),
        ], limit=CHECK_BATCH_SIZE)
        for promise in due:
            unpaid = promise.move_ids.filtered(is_open)
            if not unpaid:
                promise.state = "kept"
                continue
            promise.state = "broken"
            promise.partner_id._cobranza_commitment_broken(unpaid, promise, self.env._(
                "The promise to pay by %(date)s was not kept: the reminders resume.",
                date=promise.date), tell_customer=True)
        return len(due)
