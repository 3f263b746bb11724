import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date, plaintext2html

from ..tools import payment_proof, receivable

_logger = logging.getLogger(__name__)

STATES = [("pending", "Being verified"), ("confirmed", "Confirmed"), ("rejected", "Rejected")]
# What a person may write: the reason of a rejection, before rejecting. The rest is what the
# customer sent and what the decision did, written by the actions.
FIXABLE_FIELDS = frozenset({"reason"})
ACTIVITY_TYPE = "cobranza_whatsapp.mail_activity_type_payment_proof"
CALL_ACTIVITY_TYPE = "cobranza_whatsapp.mail_activity_type_collection_call"


class CobranzaPaymentProof(models.Model):
    """A receipt, transfer screenshot or bank PDF a customer sent on WhatsApp as proof of a
    payment. An accountant verifies it: confirmed, the payment is registered the Odoo way
    (the payment register wizard, never reconciled on a photo's word); rejected, the customer
    is told why. Until then the invoices' reminders wait. The proof is the company's whose
    number received it; the same file twice is one proof."""

    _name = "cobranza.payment.proof"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Proof of Payment"
    _order = "id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True,
                                 readonly=True, check_company=True)
    move_ids = fields.Many2many(
        "account.move", "cobranza_payment_proof_account_move_rel", "proof_id", "move_id",
        string="Invoices", readonly=True, check_company=True)
    message_id = fields.Many2one("cobranza.message", string="WhatsApp Message", readonly=True,
                                 index="btree_not_null", ondelete="set null")
    attachment_ids = fields.Many2many(
        "ir.attachment", "cobranza_payment_proof_ir_attachment_rel", "proof_id",
        "attachment_id", string="Files", readonly=True)
    checksum = fields.Char(required=True, readonly=True,
                           help="The file's fingerprint: the same file again is this proof.")
    caption = fields.Text(string="Customer's Text", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(
        string="Amount Read", readonly=True, currency_field="currency_id",
        help="The amount the customer's text names, if any: the payment's amount suggested "
             "to the accountant.")
    amount_due = fields.Monetary(string="Still Owed", compute="_compute_amount_due",
                                 currency_field="currency_id")
    received_at = fields.Datetime(string="Received On", readonly=True)
    state = fields.Selection(STATES, default="pending", required=True, index=True,
                             readonly=True, tracking=True)
    reason = fields.Text(
        string="Rejection Reason", tracking=True,
        help="Why the payment could not be verified: sent to the customer with the rejection.")
    decided_by_id = fields.Many2one("res.users", readonly=True)
    decided_at = fields.Datetime(string="Decided On", readonly=True)
    # Collectors read the proof, not the accounting: the payments are the accountants'.
    payment_ids = fields.Many2many("account.payment", readonly=True,
                                   groups="account.group_account_invoice")
    received_again = fields.Integer(string="Sent Again", readonly=True,
                                    help="Times the customer sent the same file again.")
    hold_until = fields.Date(string="Reminders Wait Until", readonly=True,
                             help="Moved on every day while the proof is being verified.")
    # Each invoice's pause before the proof held it ({move id: date or None}): given back
    # when the proof is decided, unless someone paused the invoice again since.
    paused_before = fields.Json(readonly=True, copy=False)
    twin_id = fields.Many2one(
        "cobranza.payment.proof", string="Same File Sent By Another Customer",
        compute="_compute_twin_id",
        help="Another customer sent this very file: one receipt is one payment.")

    _file_uniq = models.UniqueIndex(
        "(company_id, partner_id, checksum)",
        "This customer already sent this file as a proof of payment.")

    # === COMPUTE METHODS === #

    @api.depends("partner_id", "received_at")
    def _compute_display_name(self):
        for proof in self:
            proof.display_name = self.env._(
                "Proof of payment of %(customer)s (%(date)s)",
                customer=proof.partner_id.name or "",
                date=format_date(self.env, proof.received_at) if proof.received_at else "")

    @api.depends("move_ids.amount_residual")
    def _compute_amount_due(self):
        for proof in self:
            moves = proof.move_ids.filtered(lambda m, p=proof: m.currency_id == p.currency_id)
            proof.amount_due = sum(moves.mapped("amount_residual"))

    @api.depends("checksum", "company_id", "partner_id")
    def _compute_twin_id(self):
        for proof in self:
            proof.twin_id = self.sudo().search([
                ("company_id", "=", proof.company_id.id), ("checksum", "=", proof.checksum),
                ("partner_id", "!=", proof.partner_id.id),
            ], limit=1, order="id") if proof.checksum else False

    # === CRUD METHODS === #

    def write(self, vals):
        """What the customer sent and what the decision did are the automation's; a person
        writes the reason of a rejection, while the proof is being verified."""
        if not self.env.su:
            own = set(vals) - set(self.env["mail.thread"]._fields) \
                - set(self.env["mail.activity.mixin"]._fields)
            if own - FIXABLE_FIELDS:
                raise AccessError(self.env._(
                    "A proof of payment keeps what the customer sent; confirm or reject it."))
            if own and any(proof.state != "pending" for proof in self):
                raise UserError(self.env._("This proof of payment was already decided."))
        return super().write(vals)

    # === ACTION METHODS === #

    def action_confirm(self):
        """The payment is in the bank: register it from the invoices with Odoo's own wizard,
        prefilled with the amount the customer wrote (or confirm at once when the invoices
        are already paid). The proof is confirmed when the payment is registered."""
        self.ensure_one()
        self._check_decision()
        unpaid = self.move_ids.filtered(receivable.is_open)
        if not unpaid:
            self.sudo()._set_confirmed()
            return True
        action = unpaid.with_company(self.company_id).action_register_payment()
        action["context"] = dict(action["context"], cobranza_proof_id=self.id)
        if self.amount and len(unpaid.currency_id) == 1 and unpaid.currency_id == self.currency_id:
            action["context"].update(default_amount=self.amount,
                                     default_custom_user_amount=self.amount)
        return action

    def action_reject(self):
        """The payment is not in the bank: the customer is told why, the reminders resume."""
        for proof in self:
            proof._check_decision()
            if not (proof.reason or "").strip():
                raise UserError(self.env._(
                    "Write the rejection reason first: it is sent to the customer."))
            proof.sudo()._set_rejected()
        return True

    def action_open_message(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "cobranza.message",
                "res_id": self.message_id.id, "view_mode": "form"}

    # === STATE MACHINE: the only writers of ``state`` === #

    def _check_decision(self):
        """Who may decide (the accountants: write access) and that it is still to decide."""
        self.check_access("write")
        if self.state != "pending":
            raise UserError(self.env._("This proof of payment was already decided."))

    def _decided(self, state, vals):
        self.ensure_one()
        self.write({"state": state, "decided_by_id": self.env.uid,
                    "decided_at": fields.Datetime.now(), **vals})
        self._release_reminders()

    def _set_confirmed(self, payments=None):
        self.ensure_one()
        if self.state != "pending":
            return
        self._decided("confirmed", {"payment_ids": [(6, 0, (payments or self.payment_ids).ids)],
                                    "reason": False})
        self._activity_done(self._in_company_lang().env._("Confirmed"))
        self._tell_confirmed()

    def _set_rejected(self):
        self.ensure_one()
        if self.state != "pending":
            return
        self._decided("rejected", {})
        self._activity_done(self._in_company_lang().env._("Rejected: %(reason)s",
                                                          reason=self.reason))
        self._tell_rejected()

    # === BUSINESS METHODS === #

    @api.model
    def _find_same(self, company, partner, checksum):
        return self.search([("company_id", "=", company.id), ("partner_id", "=", partner.id),
                            ("checksum", "=", checksum)], limit=1) if checksum else self

    @api.model
    def _record(self, message, moves, files, amount):
        """The proof of the customer's `message` for `moves` (`files` its attachments): kept,
        on the invoices, to an accountant, the reminders held and the customer told."""
        company = message.company_id
        currency = moves.currency_id if len(moves.currency_id) == 1 else company.currency_id
        proof = self.create({
            "company_id": company.id, "partner_id": message.partner_id.id,
            "move_ids": [(6, 0, moves.ids)], "message_id": message.id,
            "checksum": files[:1].checksum, "caption": message.body or False,
            "currency_id": currency.id, "amount": amount,
            "received_at": message.received_at or fields.Datetime.now(),
        })
        proof.attachment_ids = [(6, 0, [
            file.copy({"res_model": self._name, "res_id": proof.id}).id for file in files])]
        proof = proof._in_company_lang()
        today = fields.Date.context_today(proof)
        proof._hold_reminders(today)
        proof._stop_queued_reminders()
        proof._note_on_invoices(message)
        proof._ask_accountant()
        proof._tell_customer(proof._customer_env()._(
            "We received your proof of payment (%(invoices)s). We are verifying it and will "
            "confirm shortly.", invoices=proof._invoice_names()))
        _logger.info("Proof of payment %s recorded for company %s", proof.id, company.id)
        return proof

    def _received_again(self, message, result):
        """The customer sent the same file again (`message`, read as `result`): one proof,
        its count, and an answer."""
        self.ensure_one()
        self.received_again += 1
        self.message_post(body=plaintext2html(self._in_company_lang().env._(
            "The customer sent this file again.")), message_type="comment",
            subtype_xmlid="mail.mt_note")
        write = self._customer_env()._
        if self.state == "pending":
            message._answer(write("We already have this proof of payment; we are verifying "
                                  "it and will confirm shortly."), moves=self.move_ids)
        elif self.state == "confirmed":
            message._answer(write("This payment was already confirmed. Thank you!"),
                            moves=self.move_ids)
        else:
            # A rejected proof sent again: the customer insists, a person talks to them.
            message._hand_to_person(result, fields.Date.context_today(self))

    def _on_payment_registered(self, payments):
        """The payment register wizard opened from Confirm registered the payment."""
        self.ensure_one()
        self.check_access("write")
        self.sudo()._set_confirmed(payments)

    # === REMINDERS WAIT === #

    def _hold_reminders(self, today):
        """The open invoices of a proof being verified get no reminder: their pause is moved
        on (a later pause stays), and what it was is kept to give back."""
        for proof in self.filtered(lambda p: p.state == "pending"):
            hold = payment_proof.hold_until(today)
            before = dict(proof.paused_before or {})
            for move in proof.move_ids.filtered(receivable.is_open):
                before.setdefault(str(move.id), fields.Date.to_string(move.cobranza_paused_until)
                                  if move.cobranza_paused_until else None)
                if not move.cobranza_paused_until or move.cobranza_paused_until < hold:
                    move.sudo().cobranza_paused_until = hold
            proof.write({"hold_until": hold, "paused_before": before})

    def _release_reminders(self):
        """The proof is decided: each invoice gets back the pause it had, unless someone
        paused it again since or another proof of it is still being verified."""
        today = fields.Date.context_today(self)
        for proof in self:
            others = self.search([("id", "!=", proof.id), ("state", "=", "pending"),
                                  ("move_ids", "in", proof.move_ids.ids)])
            for move in proof.move_ids - others.move_ids:
                if move.cobranza_paused_until != proof.hold_until:
                    continue
                before = fields.Date.to_date((proof.paused_before or {}).get(str(move.id)))
                move.sudo().cobranza_paused_until = before if before and before > today \
                    else False

    def _stop_queued_reminders(self):
        """A reminder queued for these invoices would cross the receipt: it is not sent."""
        queued = self.env["cobranza.message"].sudo().search([
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            ("direction", "=", "out"), ("state", "=", "queued"), ("level_id", "!=", False),
            ("move_ids", "in", self.move_ids.ids),
        ])
        queued.filtered(lambda m: m.move_ids <= self.move_ids)._set_cancelled(self.env._(
            "The customer sent a proof of payment: the reminder waits for its verification."))

    @api.model
    def _cron_hold_reminders(self):
        """Every day: the invoices of the proofs still being verified stay paused. No
        tracking line a day on each invoice: the first pause was tracked."""
        pending = self.sudo().search([("state", "=", "pending")], order="id")
        pending.with_context(tracking_disable=True)._hold_reminders(
            fields.Date.context_today(self))

    # === PEOPLE AND THE CUSTOMER === #

    def _in_company_lang(self):
        """Notes and activities for the company's people in the company's language."""
        return self.with_context(lang=self.company_id._cobranza_lang())

    def _customer_env(self):
        """What the customer reads: in the customer's language, else the company's."""
        lang = self.partner_id.lang or self.company_id._cobranza_lang()
        return self.with_context(lang=lang).env

    def _invoice_names(self):
        return ", ".join(self.move_ids.mapped("name")) or "-"

    def _note_on_invoices(self, message):
        """Each invoice says its payment is being verified; the file goes on the invoices the
        reply did not already bring it to."""
        body = Markup("<p>%s %s</p>") % (
            self.env._("A proof of payment from the customer is being verified:"),
            self._get_html_link(title=self.display_name))
        for move in self.move_ids:
            files = [] if move in message.move_ids else [
                (file.name, file.raw) for file in self.attachment_ids.sudo()]
            move.sudo().message_post(body=body, message_type="comment",
                                     subtype_xmlid="mail.mt_note", attachments=files)

    def _ask_accountant(self):
        """The accountant's verification activity, on the proof, with the file."""
        accountant = self.env["cobranza.payment.notification"]._accountant_for(self.company_id)
        lines = [self.env._("The customer sent this proof of payment for %(invoices)s "
                            "(owed: %(owed)s).", invoices=self._invoice_names(),
                            owed=format_amount(self.env, self.amount_due, self.currency_id))]
        if self.amount:
            lines.append(self.env._("Amount the customer wrote: %(amount)s.",
                                    amount=format_amount(self.env, self.amount,
                                                         self.currency_id)))
        if self.twin_id:
            lines.append(self.env._("The same file was already sent by %(customer)s.",
                                    customer=self.twin_id.partner_id.name))
        lines.append(self.env._("Check the bank, then Confirm (and register the payment) or "
                                "Reject with the reason the customer will read."))
        activity = self.activity_schedule(
            ACTIVITY_TYPE, user_id=accountant.id, note=plaintext2html("\n".join(lines)),
            summary=self.env._("Verify the proof of payment"))
        activity.attachment_ids = [(6, 0, self.attachment_ids.ids)]
        return activity

    def _activity_done(self, feedback):
        self.sudo().activity_feedback([ACTIVITY_TYPE], feedback=feedback)

    def _tell_customer(self, body):
        """An automatic answer to the customer's message with the proof (inside the window it
        opened); empty when it cannot be sent."""
        message = self.message_id.sudo()
        return message._answer(body, moves=self.move_ids) if message else message

    def _tell_confirmed(self):
        """The customer hears that the payment is confirmed, once: an answer inside the
        window (instead of the thanks Odoo's payment queued for a reminded invoice, which
        waits for the contact hours and is charged), else the company's thanks template,
        which needs no window. A thanks already sent since the proof says it all."""
        Message = self.env["cobranza.message"].sudo()
        thanks = Message.search([
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            ("direction", "=", "out"), ("template_id.purpose", "=", "thanks"),
            ("state", "not in", ("cancelled", "failed")), ("move_ids", "in", self.move_ids.ids),
            ("id", ">", self.message_id.id or 0),
        ])
        if thanks.filtered(lambda m: m.state != "queued"):
            return
        write = self._customer_env()._
        if self.payment_ids and len(self.payment_ids.currency_id) == 1:
            body = write("We confirmed your payment of %(amount)s (%(invoices)s). Thank you!",
                         amount=format_amount(self._customer_env(),
                                              sum(self.payment_ids.mapped("amount")),
                                              self.payment_ids.currency_id),
                         invoices=self._invoice_names())
        else:
            body = write("We confirmed your payment (%(invoices)s). Thank you!",
                         invoices=self._invoice_names())
        if self._tell_customer(body):
            thanks._set_cancelled(self._in_company_lang().env._(
                "The customer was told by the answer to its proof of payment."))
        elif not thanks and not Message._queue_purpose(self.partner_id, self.move_ids,
                                                       "thanks"):
            self.message_post(body=plaintext2html(self._in_company_lang().env._(
                "The customer could not be told on WhatsApp (the window is closed and no "
                "thanks template is approved).")), subtype_xmlid="mail.mt_note")

    def _tell_rejected(self):
        """The customer hears why, inside the window; outside it no template says this, so
        the customer's collector calls."""
        body = self._customer_env()._(
            "We could not verify the payment in your proof (%(invoices)s): %(reason)s. Please "
            "send us another proof of payment or write to us.",
            invoices=self._invoice_names(), reason=self.reason.strip())
        if self._tell_customer(body):
            return
        proof = self._in_company_lang()
        partner = self.partner_id.sudo().with_company(self.company_id)
        collector = partner._cobranza_collector(self.company_id)
        partner.activity_schedule(
            CALL_ACTIVITY_TYPE, user_id=collector.id,
            summary=proof.env._("Proof of payment rejected: tell the customer"),
            note=plaintext2html(proof.env._(
                "The proof of payment for %(invoices)s was rejected (%(reason)s) and the "
                "customer's WhatsApp window is closed: call them to tell them.",
                invoices=self._invoice_names(), reason=self.reason.strip())))
