import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

from ..tools import click
from ..tools.receivable import OPEN_MOVE_TYPE, OPEN_RECEIVABLE_INDEX_WHERE, PAID_PAYMENT_STATES

# The collection message whose tracked pay links the invoices' portal URLs are, while its
# SMS or e-mail template is rendered (``cobranza.message._statement_context``).
CLICK_CONTEXT = "cobranza_click_message_id"

COLLECTION_STATES = [
    ("not_due", "Not due"), ("overdue", "Overdue"), ("reminded", "Reminded"),
    ("promised", "Promised"), ("negotiation", "In negotiation"),
    ("handoff", "Handed to a person"), ("paid", "Paid"), ("excluded", "Excluded"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    cobranza_level_id = fields.Many2one(
        "cobranza.level", string="Collection Level", readonly=True, copy=False,
        help="The last collection level this invoice reached.",
        groups="base.group_user",
    )
    cobranza_level_date = fields.Datetime(string="Level Reached On", readonly=True, copy=False,
                                          groups="base.group_user")
    # The customer's probability as the invoice's company sees it (company-dependent).
    cobranza_pay_probability = fields.Integer(
        compute="_compute_cobranza_pay_probability",
        string="Customer's Payment Probability (%)", groups="base.group_user")
    cobranza_pay_probability_reason = fields.Text(
        compute="_compute_cobranza_pay_probability", string="Why this Probability",
        groups="base.group_user")
    cobranza_state = fields.Selection(
        COLLECTION_STATES,
        string="Collection State",
        compute="_compute_cobranza_state",
        store=True,
        index=True,
        copy=False,
        groups="base.group_user",
    )
    cobranza_excluded = fields.Boolean(
        string="Excluded from Collection", copy=False, tracking=True,
        help="No reminder goes out for this invoice, for example while it is disputed.",
        groups="base.group_user",
    )
    cobranza_disputed = fields.Boolean(string="Disputed", copy=False, tracking=True,
                                       groups="base.group_user")
    cobranza_exclusion_reason = fields.Char(string="Exclusion Reason", copy=False, tracking=True,
                                            groups="base.group_user")
    cobranza_paused_until = fields.Date(
        string="Reminders Paused Until", copy=False, tracking=True,
        help="No reminder before this date.",
        groups="base.group_user",
    )
    cobranza_handoff = fields.Boolean(
        string="Handed to a Person", copy=False, tracking=True,
        help="A collector owns this case: the automation waits.",
        groups="base.group_user",
    )
    cobranza_step_ids = fields.One2many("cobranza.step", "move_id", string="Collection Steps",
                                        groups="base.group_user")
    cobranza_message_ids = fields.Many2many(
        "cobranza.message",
        "cobranza_message_account_move_rel",
        "move_id",
        "message_id",
        string="Collection Messages",
        copy=False,
        groups="base.group_user",
    )
    cobranza_message_count = fields.Integer(compute="_compute_cobranza_message_count",
                                            groups="base.group_user")
    cobranza_plan_ids = fields.Many2many(
        "cobranza.payment.plan", "cobranza_payment_plan_account_move_rel", "move_id", "plan_id",
        string="Payment Plans", copy=False,
        groups="base.group_user",
    )
    cobranza_promise_ids = fields.Many2many(
        "cobranza.promise", "cobranza_promise_account_move_rel", "move_id", "promise_id",
        string="Promises to Pay", copy=False,
        groups="base.group_user",
    )
    # A proof of payment the customer sent (cobranza.payment.proof): while it is verified the
    # reminders wait (its pause), and the invoice says so.
    cobranza_proof_ids = fields.Many2many(
        "cobranza.payment.proof", "cobranza_payment_proof_account_move_rel", "move_id",
        "proof_id", string="Proofs of Payment", copy=False, readonly=True,
        groups="cobranza_whatsapp.group_cobranza_user,account.group_account_invoice")
    cobranza_proof_state = fields.Selection(
        [("verifying", "Payment being verified"), ("confirmed", "Proof of payment confirmed"),
         ("rejected", "Proof of payment rejected")],
        string="Proof of Payment", compute="_compute_cobranza_proof_state",
        search="_search_cobranza_proof_state", groups="base.group_user",
        help="The customer's latest proof of payment: being verified, reminders wait.")
    cobranza_days_overdue = fields.Integer(
        string="Days Overdue", compute="_compute_cobranza_days_overdue",
        groups="base.group_user",
    )
    cobranza_next_level_id = fields.Many2one(
        "cobranza.level", string="Next Step", compute="_compute_cobranza_next_step",
        groups="base.group_user",
    )
    cobranza_next_date = fields.Date(string="Next Step On", compute="_compute_cobranza_next_step",
                                     groups="base.group_user")

    # The cadence reads open receivables by customer, batch after batch.
    _cobranza_open_receivable_idx = models.Index(
        f"(commercial_partner_id, company_id) WHERE {OPEN_RECEIVABLE_INDEX_WHERE}"
    )

    @api.depends("payment_state", "state", "move_type", "invoice_date_due", "cobranza_excluded",
                 "cobranza_handoff", "cobranza_level_id", "amount_residual",
                 "cobranza_promise_ids.state", "cobranza_plan_ids.state")
    def _compute_cobranza_state(self):
        today = fields.Date.context_today(self)
        for move in self:
            if move.move_type != OPEN_MOVE_TYPE or move.state != "posted":
                move.cobranza_state = False
            elif move.payment_state in PAID_PAYMENT_STATES or move.currency_id.is_zero(
                move.amount_residual
            ):
                move.cobranza_state = "paid"
            elif move.cobranza_excluded:
                move.cobranza_state = "excluded"
            elif move.cobranza_handoff:
                move.cobranza_state = "handoff"
            elif any(p.state == "active" for p in move.cobranza_plan_ids):
                move.cobranza_state = "negotiation"
            elif any(p.state == "open" for p in move.cobranza_promise_ids):
                move.cobranza_state = "promised"
            elif move.cobranza_level_id:
                move.cobranza_state = "reminded"
            elif move.invoice_date_due and move.invoice_date_due < today:
                move.cobranza_state = "overdue"
            else:
                move.cobranza_state = "not_due"

    @api.depends("cobranza_proof_ids.state")
    def _compute_cobranza_proof_state(self):
        states = {"pending": "verifying", "confirmed": "confirmed", "rejected": "rejected"}
        for move in self:
            proofs = move.sudo().cobranza_proof_ids.sorted("id")
            pending = proofs.filtered(lambda p: p.state == "pending")
            move.cobranza_proof_state = states[(pending or proofs)[-1:].state] \
                if proofs else False

    def _search_cobranza_proof_state(self, operator, value):
        if operator != "in":
            return NotImplemented
        states = {"verifying": "pending", "confirmed": "confirmed", "rejected": "rejected"}
        proofs = self.env["cobranza.payment.proof"].sudo()._search(
            [("state", "in", [states[v] for v in value if v in states])])
        return [("id", "in", SQL("SELECT move_id FROM cobranza_payment_proof_account_move_rel "
                                 "WHERE proof_id IN %s", proofs.subselect()))]

    def action_cobranza_open_proofs(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "name": self.env._("Proofs of Payment"),
                "res_model": "cobranza.payment.proof", "view_mode": "list,form",
                "domain": [("move_ids", "in", self.ids)], "context": {"create": False}}

    def _compute_cobranza_message_count(self):
        for move in self:
            move.cobranza_message_count = len(move.cobranza_message_ids)

    @api.depends("commercial_partner_id", "company_id")
    def _compute_cobranza_pay_probability(self):
        for move in self:
            partner = move.commercial_partner_id.with_company(move.company_id)
            move.cobranza_pay_probability = partner.cobranza_pay_probability
            move.cobranza_pay_probability_reason = partner.cobranza_pay_probability_reason

    @api.depends("invoice_date_due")
    def _compute_cobranza_days_overdue(self):
        today = fields.Date.context_today(self)
        for move in self:
            due = move.invoice_date_due
            move.cobranza_days_overdue = (today - due).days if due else 0

    @api.depends("invoice_date_due", "cobranza_level_id", "company_id")
    def _compute_cobranza_next_step(self):
        today = fields.Date.context_today(self)
        levels_by_company = {}
        for move in self:
            move.cobranza_next_level_id = False
            move.cobranza_next_date = False
            if move.cobranza_state in (False, "paid", "excluded", "handoff") or \
                    not move.invoice_date_due:
                continue
            levels = levels_by_company.get(move.company_id.id)
            if levels is None:
                levels = levels_by_company[move.company_id.id] = self.env["cobranza.level"].search(
                    [("company_id", "=", move.company_id.id)]
                )
            reached = move.cobranza_level_id.offset_days if move.cobranza_level_id else None
            upcoming = levels.filtered(lambda lv, r=reached: r is None or lv.offset_days > r)
            if upcoming:
                level = upcoming[0]
                move.cobranza_next_level_id = level
                # A step held back (the caps, a closed window) happens at the next run, not
                # on a day already gone.
                move.cobranza_next_date = max(fields.Date.add(
                    move.invoice_date_due, days=level.offset_days
                ), today)

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A form sends its empty fields too: only a value set is a change.
            self._cobranza_check_write({key: value for key, value in vals.items() if value})
        return super().create(vals_list)

    def write(self, vals):
        self._cobranza_check_write(vals)
        return super().write(vals)

    # === ACTION METHODS === #

    def action_cobranza_open_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Collection Messages"),
            "res_model": "cobranza.message",
            "view_mode": "list,form",
            "domain": [("move_ids", "in", self.ids)],
            "context": {"create": False},
        }

    def action_cobranza_record_promise(self):
        """A promise the customer made to a collector, for this invoice."""
        self.ensure_one()
        return self.env["cobranza.promise"]._action_new(self.commercial_partner_id, self)

    def action_cobranza_offer_plan(self):
        """A payment plan for this invoice, to agree with the customer."""
        self.ensure_one()
        return self.env["cobranza.payment.plan"]._action_new(self.commercial_partner_id, self)

    # === BUSINESS METHODS === #

    def _invoice_paid_hook(self):
        """However it was paid (portal, webhook, manual, bank statement), stop collecting."""
        result = super()._invoice_paid_hook()
        self.filtered(lambda m: m.move_type == OPEN_MOVE_TYPE)._cobranza_on_paid()
        return result

    def _cobranza_on_paid(self):
        if not self:
            return
        Message = self.env["cobranza.message"].sudo()
        queued = Message.search([
            ("move_ids", "in", self.ids), ("state", "=", "queued"), ("direction", "=", "out"),
        ])
        for message in queued:
            if message.template_id.purpose == "thanks":
                continue
            if not message._unpaid_moves():
                message._set_cancelled(self.env._("The invoices were paid before the reminder "
                                                  "went out."))
        promises = self.cobranza_promise_ids.filtered(lambda p: p.state == "open")
        promises.filtered(lambda p: all(
            m.payment_state in PAID_PAYMENT_STATES for m in p.move_ids
        ))._mark_kept()
        reminded = self.filtered("cobranza_level_id")
        for partner, moves in reminded.grouped("commercial_partner_id").items():
            Message._queue_purpose(partner, moves, "thanks")

    def _cobranza_log_handoff(self, bodies):
        """Note each hand-off in the invoice's chatter with its tracking line, as mail would.

        `bodies` maps invoice ids to the note. The cadence sets the flag in its batch
        UPDATE: the notes (:meth:`_cobranza_log_notes`) and their "Handed to a Person"
        tracking values go in here in two statements.
        """
        if not bodies:
            return
        message_ids = self._cobranza_log_notes(bodies)
        now, uid = self.env.cr.now(), self.env.uid
        field = self.env["ir.model.fields"]._get(self._name, "cobranza_handoff")
        self.env.cr.execute(SQL(
            """
            INSERT INTO mail_tracking_value (field_id, old_value_integer, new_value_integer,
                                             mail_message_id, create_uid, write_uid,
                                             create_date, write_date)
            SELECT %(field)s, 0, 1, v.id, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM unnest(%(messages)s::int[]) AS v(id)
            """,
            field=field.id, uid=uid, now=now, messages=message_ids,
        ))

    @api.model
    def _cobranza_log_notes(self, bodies):
        """Log notes in the invoices' chatter, as ``_message_log_batch`` would (the same
        rows: an internal note by the current user, no notification), in one statement.

        `bodies` maps invoice ids to the note's HTML (``Markup`` built by the automation,
        its values escaped). Mail's own logging costs about 1.5 ms a note (a sanitised
        body and the inverse caches of every message) - more than the rest of a cadence
        run that hands thousands of invoices to collectors, or than all the rest a sender
        does to post a WhatsApp reminder. Returns the ids of the notes, in `bodies` order.
        """
        if not bodies:
            return []
        author_id, email_from = self._message_compute_author()
        now, uid = self.env.cr.now(), self.env.uid
        res_ids = list(bodies)
        self.env.cr.execute(SQL(
            """
            INSERT INTO mail_message (model, res_id, message_type, subtype_id, is_internal,
                                      author_id, email_from, reply_to, message_id, body,
                                      email_add_signature, date, create_uid, write_uid,
                                      create_date, write_date)
            SELECT %(model)s, v.res_id, 'notification', %(subtype)s, TRUE, %(author)s,
                   %(email_from)s, %(reply_to)s, %(message_id)s, v.body, FALSE,
                   %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM unnest(%(res_ids)s::int[], %(bodies)s::text[])
                   WITH ORDINALITY AS v(res_id, body, position)
             ORDER BY v.position
            RETURNING id
            """,
            model=self._name, subtype=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            author=author_id, email_from=email_from,
            reply_to=self.env["mail.thread"]._notify_get_reply_to(
                default=email_from, author_id=author_id)[False],
            message_id=generate_tracking_message_id("message-notify"),
            now=now, uid=uid, res_ids=res_ids, bodies=[str(bodies[i]) for i in res_ids],
        ))
        message_ids = [row[0] for row in self.env.cr.fetchall()]
        # What mail.message's create invalidates (_invalidate_documents).
        self.browse(res_ids).invalidate_recordset(
            ["message_ids", "message_needaction", "message_needaction_counter"], flush=False)
        return message_ids

    def _cobranza_check_write(self, vals):
        """Sales reps see the collection status but only collection users change it."""
        if self.env.su or not any(key.startswith("cobranza_") for key in vals):
            return
        if not self.env.user.has_group("cobranza_whatsapp.group_cobranza_user"):
            raise AccessError(
                self.env._("Only WhatsApp Collections users can change collection data.")
            )

    def _cobranza_ensure_tokens(self):
        """Portal access tokens for a batch, written in one statement.

        The portal mixin would write each token through account.move.write, which
        re-synchronises the invoice lines: 40 ms an invoice, most of a sending batch."""
        missing = self.filtered(lambda m: not m.access_token)
        if not missing:
            return
        tokens = [str(uuid.uuid4()) for _move in missing]
        self.env.cr.execute(SQL(
            "UPDATE account_move m SET access_token = v.token FROM (SELECT unnest(%s::int[]) "
            "AS id, unnest(%s::varchar[]) AS token) v WHERE m.id = v.id AND m.access_token IS NULL",
            missing.ids, tokens,
        ))
        missing.invalidate_recordset(["access_token"])

    def get_portal_url(self, suffix=None, report_type=None, download=None, query_string=None,
                       anchor=None):
        """An SMS or e-mail template's ``object.get_portal_url()``, rendered for a collection
        message, is the message's tracked pay link (any other portal URL stays as it is)."""
        message_id = self.env.context.get(CLICK_CONTEXT)
        if message_id and not (suffix or report_type or download or query_string or anchor):
            message = self.env["cobranza.message"].sudo().browse(message_id)
            return f"/{self._cobranza_pay_path(message)}"
        return super().get_portal_url(suffix=suffix, report_type=report_type,
                                      download=download, query_string=query_string,
                                      anchor=anchor)

    def _cobranza_pay_path(self, message=None):
        """Path of the invoice's pay link (no leading slash): the portal page with its
        access token (the customer pays without login), or, sent in `message` by a company
        that tracks clicks, the link tracker's short path that names the message."""
        self.ensure_one()
        move = self.with_context(**{CLICK_CONTEXT: False}) if self.env.context.get(
            CLICK_CONTEXT) else self
        plain = move.get_portal_url().lstrip("/")
        if not message or not message._cobranza_tracks_clicks() or \
                message.company_id != self.company_id:
            return plain
        code = self.env["link.tracker"].sudo()._cobranza_code_for_move(
            self, f"{self.get_base_url().rstrip('/')}/{plain}")
        return click.tracked_path(code, message.id)

    def _cobranza_prefetch_pay_trackers(self):
        """Make (or find) the pay links' trackers of these invoices at once, for a batch of
        messages about to be rendered."""
        targets = []
        for move in self.with_context(**{CLICK_CONTEXT: False}):
            plain = move.get_portal_url().lstrip("/")
            targets.append((move, f"{move.get_base_url().rstrip('/')}/{plain}"))
        self.env["link.tracker"].sudo()._cobranza_for_moves(targets)

    def _cobranza_pay_url(self, message=None):
        self.ensure_one()
        return f"{self.get_base_url().rstrip('/')}/{self._cobranza_pay_path(message)}"

    def _cobranza_pdf_content(self):
        """The invoice PDF: the one Odoo already sent if any, else Odoo's invoice report.

        One invoice per rendering: Debian's wkhtmltopdf (unpatched Qt) cannot render
        several documents at once; a statement merges the single PDFs instead."""
        self.ensure_one()
        if self.invoice_pdf_report_id:
            return self.invoice_pdf_report_id.sudo().raw
        content, _kind = self.env["ir.actions.report"].sudo()._render_qweb_pdf(
            "account.account_invoices", self.ids
        )
        return content

    def _cobranza_pdf_url(self):
        self.ensure_one()
        return f"{self.get_base_url().rstrip('/')}" \
            f"{self.get_portal_url(report_type='pdf', download=True)}"
