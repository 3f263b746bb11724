import datetime
import logging
import threading
import time

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import pdf, plaintext2html

from ..tools import formatting, meta_api, poster
from ..tools import intent as intent_tools
from ..tools import phone as phone_tools
from ..tools.concurrency import CONCURRENCY_ERRORS
from .cobranza_whatsapp_account import http_call

_logger = logging.getLogger(__name__)

STATES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("read", "Read"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
    ("received", "Received"),
]

# Meta's statuses arrive out of order; a message only ever moves up this ladder.
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}

PARALLEL_REQUESTS = 8
# A message left in ``sending`` this long was being sent by a worker that stopped.
INTERRUPTED_AFTER = datetime.timedelta(minutes=10)
# After this long without Meta confirming an interrupted send (a status webhook carries its
# callback data), it is handed to a person rather than sent a second time.
UNCONFIRMED_AFTER = datetime.timedelta(hours=1)
AUTO_INTENTS = ("paid", "promise", "plan", "dispute", "person", "stop")


class LazyValues(dict):
    """Template values computed when first read (``[]`` or ``get``), then kept."""

    def __init__(self, makers):
        super().__init__()
        self._makers = makers

    def __missing__(self, key):
        if key not in self._makers:
            raise KeyError(key)
        value = self[key] = self._makers[key]()
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class ChatterNotes(dict):
    """Chatter notes of a batch (invoice id -> bodies), logged at once at its end.

    Compared by identity: Odoo reuses an environment whose context compares equal, and two
    empty buffers must not be taken for one another.
    """

    __hash__ = object.__hash__

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other


class _CallerCursor:
    """The caller's cursor lent to the poster's thread while the caller waits for it.

    Sending inside the caller's transaction, the journal and the rate reservation belong to
    that transaction; one poster writes at a time, and the caller commits (or not).
    """

    def __init__(self, cr):
        self._cr = cr
        self._lock = threading.Lock()

    def __call__(self):
        return self

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *_exc):
        self._lock.release()  # no commit: the caller's transaction is the caller's

    def execute(self, query, params=None):
        return self._cr.execute(query, params)

    def fetchone(self):
        return self._cr.fetchone()


def _post_call(target, payload):
    """One POST to the Graph API (runs in the poster's threads: plain values, no ORM)."""
    return http_call(target, "POST", json=payload)


INTENTS = [
    ("paid", "Already paid"),
    ("promise", "Promise to pay"),
    ("plan", "Asks for a payment plan"),
    ("dispute", "Disputes the invoice"),
    ("person", "Asks for a person"),
    ("stop", "Asks to stop messages"),
    ("thanks", "Thanks / acknowledgement"),
    ("unknown", "Not understood"),
]

# Meta errors after which the customer must be reached on another channel.
FALLBACK_CODES = {131026, 131047, 131049, 131050, 133010}


class CobranzaMessage(models.Model):
    """Every collection message, outbound or inbound, on any channel: the outbox and the log."""

    _name = "cobranza.message"
    _description = "Collection Message"
    _order = "create_date desc, id desc"
    _check_company_auto = True
    _rec_name = "display_name"

    direction = fields.Selection(
        [("out", "Outbound"), ("in", "Inbound")], required=True, default="out", index=True
    )
    channel = fields.Selection(
        [("whatsapp", "WhatsApp"), ("sms", "SMS"), ("email", "E-mail"), ("call", "Phone call")],
        required=True,
        default="whatsapp",
    )
    state = fields.Selection(STATES, required=True, default="queued", index=True, copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, required=True)
    move_ids = fields.Many2many(
        "account.move",
        "cobranza_message_account_move_rel",
        "message_id",
        "move_id",
        string="Invoices",
    )
    level_id = fields.Many2one("cobranza.level", index="btree_not_null")
    template_id = fields.Many2one("cobranza.whatsapp.template")
    ab_variant = fields.Selection([("a", "A"), ("b", "B")], string="Variant")
    account_id = fields.Many2one("cobranza.whatsapp.account", string="WhatsApp Account")
    to_number = fields.Char(string="To", help="E.164 number the message was sent to.")
    wa_id = fields.Char(string="WhatsApp ID", index="btree_not_null")
    body = fields.Text(string="Message")
    wamid = fields.Char(string="Meta Message ID", copy=False, readonly=True)
    scheduled_at = fields.Datetime(
        string="Send After", index=True, default=fields.Datetime.now,
        help="Inside the customer's contact window.",
    )
    attempts = fields.Integer(default=0, copy=False)
    next_attempt_at = fields.Datetime(copy=False)
    sent_at = fields.Datetime(copy=False, readonly=True)
    delivered_at = fields.Datetime(copy=False, readonly=True)
    read_at = fields.Datetime(copy=False, readonly=True)
    failed_at = fields.Datetime(copy=False, readonly=True)
    received_at = fields.Datetime(copy=False, readonly=True)
    error_code = fields.Integer(copy=False, readonly=True)
    error_message = fields.Text(string="Error", copy=False, readonly=True)
    fallback_of_id = fields.Many2one(
        "cobranza.message", index="btree_not_null", readonly=True
    )
    pricing_category = fields.Char(readonly=True)
    pricing_type = fields.Char(readonly=True)
    billable = fields.Boolean(readonly=True)
    conversation_id = fields.Char(readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments")
    intent = fields.Selection(INTENTS, readonly=True, index="btree_not_null")
    intent_confidence = fields.Float(string="Confidence", readonly=True, digits=(3, 2))
    intent_evidence = fields.Char(string="Because of", readonly=True,
                                  help="The words that decided the intent.")
    needs_person = fields.Boolean(readonly=True, index=True,
                                  help="Ambiguous, frustrated or unclear: a person answers.")
    action_taken = fields.Char(string="What We Did", readonly=True)

    _wamid_uniq = models.UniqueIndex(
        "(wamid) WHERE wamid IS NOT NULL", "This Meta message is already recorded."
    )
    _queue_idx = models.Index("(scheduled_at, id) WHERE state = 'queued'")

    @api.depends("partner_id", "channel", "direction", "create_date")
    def _compute_display_name(self):
        for message in self:
            arrow = "→" if message.direction == "out" else "←"
            channels = dict(message._fields["channel"]._description_selection(self.env))
            message.display_name = (
                f"{arrow} {message.partner_id.display_name or ''} "
                f"({channels.get(message.channel, '')})"
            )

    # === BUSINESS METHODS: SENDING === #

    def _cancel(self, reason):
        self.write({"state": "cancelled", "error_message": reason, "next_attempt_at": False})

    def _fail(self, reason, code=0):
        self.write({
            "state": "failed", "error_message": reason, "error_code": code,
            "failed_at": fields.Datetime.now(), "next_attempt_at": False,
        })
        self._post_in_chatter(failed=True)

    @api.model
    def _cron_send(self):
        self._recover_interrupted()
        self._process_queue(auto_commit=True)

    @api.model
    def _queue_domain(self, now):
        return [
            ("state", "=", "queued"),
            ("direction", "=", "out"),
            ("channel", "in", ("whatsapp", "sms", "email")),
            ("scheduled_at", "<=", now),
            "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", now),
        ]

    def _in_company_lang(self):
        """Notes and outcomes in the company's language, whoever runs the job."""
        lang = self.company_id._cobranza_lang() if len(self.company_id) == 1 else None
        return self.with_context(lang=lang) if lang and lang != self.env.lang else self

    def _poster(self, own_transactions=False):
        """The network half. The cron's poster journals in transactions of its own, so the
        journal survives the worker; inside the caller's transaction it writes there."""
        cursors = self.env.registry.cursor if own_transactions else _CallerCursor(self.env.cr)
        return poster.Poster(_post_call, cursors, parallel=PARALLEL_REQUESTS)

    @api.model
    def _process_queue(self, *, auto_commit=False, batch_size=200, max_batches=None, now=None):
        """Drain due messages in batches locked with SKIP LOCKED, so workers never collide.

        With `auto_commit` (the cron) a batch is committed as ``sending`` before any of it is
        posted; it is posted on threads while the next batch is prepared, and answers are
        recorded and committed as they come. Without it (tests, "send reminder now") each
        batch is posted and recorded inside the caller's transaction. `now` lets the demo
        replay the last business day; the cron always uses the clock.
        """
        processed = batches = 0
        more = True
        with self._poster(own_transactions=auto_commit) as outbox:
            waiting = {}
            while more or outbox.pending:
                # Keep at most one batch in flight while the next one is prepared.
                self._record_answers(outbox.results(at_least=batch_size if more else 0),
                                     waiting, auto_commit)
                if not more:
                    continue
                if max_batches is not None and batches >= max_batches:
                    more = False
                    continue
                domain = self._queue_domain(now or fields.Datetime.now())
                try:
                    candidates = self.search(domain, order="scheduled_at, id", limit=batch_size)
                    batch = candidates.try_lock_for_update().filtered_domain(domain)
                except CONCURRENCY_ERRORS:
                    if not auto_commit:
                        raise
                    self.env.cr.rollback()  # another worker took them: nothing of ours lost
                    continue
                if not batch:
                    more = False
                    continue
                posts = batch._prepare_batch(waiting)
                processed += len(batch)
                batches += 1
                if auto_commit:
                    remaining = self.search_count(domain)
                    time_left = self.env["ir.cron"]._commit_progress(len(batch),
                                                                     remaining=remaining)
                    more = bool(remaining) and time_left > 0
                elif len(candidates) < batch_size:
                    more = False
                outbox.submit(posts)
                if not auto_commit:
                    self._record_answers(outbox.results(wait=True), waiting, auto_commit)
        return processed

    def _send_batch(self):
        """Send these messages now, in the caller's transaction ("send reminder now")."""
        with self._poster() as outbox:
            waiting = {}
            outbox.submit(self._prepare_batch(waiting))
            self._record_answers(outbox.results(wait=True), waiting, False)

    @api.model
    def _record_answers(self, answers, waiting, auto_commit):
        """Meta's answers (or errors) applied to their messages, with the chatter notes."""
        if not answers:
            return
        chatter = ChatterNotes()
        for key, answer in answers:
            message, account = waiting.pop(key)
            message.with_context(cobranza_chatter=chatter)._record_outcome(account, answer)
        self._log_chatter(chatter)
        if auto_commit:
            self.env["ir.cron"]._commit_progress(0)

    @api.model
    def _log_chatter(self, chatter):
        if chatter:
            moves = self.env["account.move"].browse(list(chatter))
            moves._message_log_batch(
                {move_id: Markup("").join(bodies) for move_id, bodies in chatter.items()})

    def _prepare_batch(self, waiting):
        """Prepare every message: SMS and e-mail go out now, sandbox WhatsApp is answered
        here, and live WhatsApp messages are marked ``sending`` and returned as posts.

        The batch is prepared in one savepoint; if any message raises, it is prepared again
        one message per savepoint, so one bad message never stops the others.
        """
        self.fetch(["partner_id", "move_ids", "template_id", "level_id", "channel", "company_id"])
        self.move_ids.fetch(["payment_state", "amount_residual", "amount_total", "state",
                             "currency_id", "name", "access_token", "invoice_date_due", "date",
                             "move_type"])
        self.move_ids._cobranza_ensure_tokens()
        try:
            chatter = ChatterNotes()
            with self.env.cr.savepoint():
                prepared = [item for message in self.with_context(cobranza_chatter=chatter)
                            if (item := message._send_one())]
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - retried message by message just below
            chatter = ChatterNotes()
            prepared = []
            for message in self.with_context(cobranza_chatter=chatter):
                try:
                    with self.env.cr.savepoint():
                        item = message._send_one()
                    if item:
                        prepared.append(item)
                except CONCURRENCY_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - one bad message only
                    _logger.exception("Collection message %s could not be sent", message.id)
                    message._fail(self.env._("Unexpected error while sending: %(error)s",
                                             error=type(error).__name__))
        posts = []
        for message, account, target, payload in prepared:
            if target is None:  # sandbox: Meta's simulated answer is already here
                message.with_context(cobranza_chatter=chatter)._record_outcome(account, payload)
                continue
            waiting[message.id] = (message, account)
            posts.append(poster.Post(message.id, account.id, account.rate_limit, target,
                                     payload))
        self._log_chatter(chatter)
        return posts

    # === BUSINESS METHODS: INTERRUPTED SENDS === #

    def init(self):
        res = super().init()
        # The send journal, written by the poster's own transactions (see tools/poster.py):
        # not an ORM table, and no foreign key, since a journaled message may be rolled back.
        self.env.cr.execute("""
            CREATE TABLE IF NOT EXISTS cobranza_message_post (
                message_id integer PRIMARY KEY,
                started_at timestamp NOT NULL,
                finished_at timestamp,
                wamid varchar,
                wa_id varchar
            )
        """)
        return res

    @api.model
    def _recover_interrupted(self, now=None):
        """Settle messages a stopped worker left in ``sending``, from the send journal.

        Never posted: queued again. Answered by Meta: sent, with its wamid. Failed at Meta:
        queued again, the retry rules decide. In flight when the worker stopped: wait for
        Meta's status webhook (it carries our callback data); without one within an hour,
        a person decides, since sending again could reach the customer twice.
        """
        now = now or fields.Datetime.now()
        self.env.cr.execute("""
            SELECT m.id, j.started_at, j.finished_at, j.wamid, j.wa_id
              FROM cobranza_message m
              LEFT JOIN cobranza_message_post j ON j.message_id = m.id
             WHERE m.state = 'sending' AND m.write_date < %s
               FOR UPDATE OF m SKIP LOCKED
        """, (now - INTERRUPTED_AFTER,))
        rows = self.env.cr.fetchall()
        settled = {"requeued": 0, "sent": 0, "unconfirmed": 0}
        for message_id, started, finished, wamid, wa_id in rows:
            message = self.browse(message_id)
            if wamid:
                message._record_outcome(message.account_id, {
                    "messages": [{"id": wamid}], "contacts": [{"wa_id": wa_id}]})
                settled["sent"] += 1
            elif not started or finished:
                message.write({"state": "queued", "attempts": max(message.attempts - 1, 0),
                               "next_attempt_at": False})
                settled["requeued"] += 1
            elif started < now - UNCONFIRMED_AFTER:
                message._fail(self.env._(
                    "The worker stopped while this message was being sent and Meta never "
                    "confirmed it. Check the customer's WhatsApp conversation before sending "
                    "it again."))
                settled["unconfirmed"] += 1
        self.env.cr.execute("""
            DELETE FROM cobranza_message_post j
             WHERE NOT EXISTS (SELECT 1 FROM cobranza_message m
                                WHERE m.id = j.message_id AND m.state = 'sending')
               AND j.started_at < %s
        """, (now - INTERRUPTED_AFTER,))
        if any(settled.values()):
            _logger.info("Interrupted sends settled: %s", settled)
        return settled

    def _unpaid_moves(self):
        return self.move_ids.filtered(
            lambda m: m.state == "posted"
            and m.payment_state in ("not_paid", "partial")
            and not m.currency_id.is_zero(m.amount_residual)
        )

    def _send_one(self):
        """Send SMS and e-mail now; for WhatsApp return what the network phase posts."""
        self.ensure_one()
        self = self._in_company_lang()  # noqa: PLW0642
        if self.template_id.purpose == "thanks":
            return self._send_whatsapp()
        unpaid = self._unpaid_moves()
        if self.move_ids and not unpaid:
            self._cancel(self.env._("The invoices were paid before the reminder went out."))
            return
        if unpaid != self.move_ids:
            self.move_ids = unpaid
        if self.channel == "whatsapp":
            return self._send_whatsapp()
        if self.channel == "sms":
            self._send_sms()
        elif self.channel == "email":
            self._send_email()
        return None

    def _send_whatsapp(self):
        partner = self.partner_id
        if partner.cobranza_consent != "optin" or not partner.cobranza_whatsapp_number:
            self._fallback(self.env._("WhatsApp is not possible for this customer any more "
                                      "(consent or number)."))
            return
        account = self.account_id or self.env["cobranza.whatsapp.account"].sudo().search(
            [("company_id", "=", self.company_id.id), ("active", "=", True)], limit=1
        )
        if not account:
            self._fail(self.env._("No WhatsApp account is configured for %(company)s.",
                                  company=self.company_id.name))
            return
        if account.state != "active":
            return  # waits in the queue until a manager resumes the account
        template = self.template_id
        if not template:
            self._fail(self.env._("The level has no WhatsApp template."))
            return
        if template.status == "paused":
            self.next_attempt_at = fields.Datetime.now() + datetime.timedelta(hours=1)
            return  # Meta paused it; it resumes when the template is approved again
        if not template._is_sendable():
            self._fallback(self.env._("Template %(name)s is not approved by Meta (%(status)s).",
                                      name=template.name, status=template.status))
            return
        try:
            values = self._render_values()
            params = template._render_params(values)
            body = template._render_text(values)
        except ValueError as error:
            self._fail(self.env._("The message cannot be built: %(reason)s",
                                  reason=self.env._(str(error))))
            return
        self.write({"state": "sending", "attempts": self.attempts + 1, "account_id": account.id,
                    "to_number": partner.cobranza_whatsapp_number, "body": body})
        try:
            payload = self._whatsapp_payload(account, template, params, values)
        except meta_api.MetaError as error:  # the PDF upload failed
            self._handle_meta_error(account, error)
            return None
        endpoint = f"{account.phone_number_id or 'sandbox'}/messages"
        if account.mode == "sandbox":
            return (self, account, None, self.env["cobranza.whatsapp.sandbox"]._answer(
                account, "POST", endpoint, json=payload))
        return (self, account, account._http_target(endpoint), payload)

    def _record_outcome(self, account, outcome):
        """Meta's answer (or error) for this message, applied in the worker's transaction."""
        self = self._in_company_lang()  # noqa: PLW0642
        if isinstance(outcome, meta_api.MetaError):
            self._handle_meta_error(account, outcome)
            return
        try:
            result = meta_api.parse_send_response(outcome)
        except meta_api.MetaError as error:
            self._handle_meta_error(account, error)
            return
        self.write({
            "state": "sent", "wamid": result["wamid"], "wa_id": result.get("wa_id"),
            "sent_at": fields.Datetime.now(), "next_attempt_at": False, "error_code": 0,
            "error_message": False,
        })
        partner = self.partner_id
        if result.get("wa_id") and partner.cobranza_wa_id != result["wa_id"]:
            partner.sudo().cobranza_wa_id = result["wa_id"]
        self._post_in_chatter()
        if account.mode == "sandbox":
            self.env["cobranza.whatsapp.sandbox"]._simulate_statuses(self)

    def _handle_meta_error(self, account, error):
        reason = self.env._(meta_api.error_reason(error.code))
        vals = {"error_code": error.code or 0, "error_message": reason}
        if error.kind == meta_api.ACCOUNT:
            vals.update(state="queued", attempts=max(self.attempts - 1, 0))
            self.write(vals)
            account.sudo()._stop(reason)
        elif error.kind == meta_api.RETRY and self.attempts < meta_api.MAX_ATTEMPTS:
            delay = meta_api.backoff_seconds(self.attempts)
            vals.update(state="queued",
                        next_attempt_at=fields.Datetime.now() + datetime.timedelta(seconds=delay))
            self.write(vals)
        else:
            self._fail(reason, code=error.code or 0)
            if error.code in FALLBACK_CODES:
                self._fallback(reason)

    def _fallback(self, reason):
        """Reach the customer on the level's other channel; this message records why not here."""
        level = self.level_id
        channel = level.fallback_channel if level else "none"
        if self.state not in ("failed", "cancelled"):
            self._cancel(reason)
        if channel in (False, "none") or self.fallback_of_id:
            return self.browse()
        return self.create({
            "direction": "out",
            "channel": channel,
            "state": "queued",
            "company_id": self.company_id.id,
            "partner_id": self.partner_id.id,
            "move_ids": [(6, 0, self.move_ids.ids)],
            "level_id": level.id,
            "fallback_of_id": self.id,
            "scheduled_at": fields.Datetime.now(),
        })

    def _render_values(self):
        self.ensure_one()
        if self.template_id.purpose == "thanks":
            return self._render_values_for(self.partner_id, self.move_ids, self.company_id,
                                           paid=True)
        return self._render_values_for(self.partner_id, self._unpaid_moves(), self.company_id)

    @api.model
    def _queue_purpose(self, partner, moves, purpose):
        """Queue the company's template for this purpose (thanks, broken promise, plan…),
        when the customer can receive WhatsApp."""
        company = moves[:1].company_id or self.env.company
        template = self.env["cobranza.whatsapp.template"].sudo().search([
            ("company_id", "=", company.id), ("purpose", "=", purpose),
            ("status", "=", "approved"),
        ], limit=1)
        if purpose == "thanks" and not company.cobranza_send_thanks:
            return self.browse()
        if not template or partner.cobranza_consent != "optin" or \
                not partner.cobranza_whatsapp_number:
            return self.browse()
        return self.create({
            "direction": "out", "channel": "whatsapp", "state": "queued",
            "company_id": company.id, "partner_id": partner.id,
            "move_ids": [(6, 0, moves.ids)], "template_id": template.id,
            "scheduled_at": fields.Datetime.now(),
        })

    @api.model
    def _render_values_for(self, partner, moves, company, paid=False):
        """The invoice and customer values a template can show, formatted for the customer."""
        moves = moves.sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        locale = formatting.odoo_lang_to_locale(partner.lang, partner.country_id.code)
        by_currency = {}
        for move in moves:
            value = move.amount_total - move.amount_residual if paid else move.amount_residual
            by_currency[move.currency_id] = by_currency.get(move.currency_id, 0.0) + value
        amount = " + ".join(
            formatting.format_amount(total, currency.name, locale)
            for currency, total in by_currency.items()
        )
        oldest = moves[:1]
        today = fields.Date.context_today(self)
        due = oldest.invoice_date_due if oldest else False
        # Computed on first use: a template asks for a few of these, not all of them.
        return LazyValues({
            "partner_name": lambda: partner.name or "",
            "company_name": lambda: company.name or "",
            "invoice_numbers": lambda: ", ".join(moves.mapped("name")),
            "invoice_count": lambda: str(len(moves)),
            "amount_due": lambda: amount,
            "due_date": lambda: formatting.format_date(due, locale) if due else "",
            "days_overdue": lambda: str(max((today - due).days, 0)) if due else "0",
            "pay_link": lambda: oldest._cobranza_pay_url() if oldest else "",
            "pay_links": lambda: self._pay_links_text(moves),
            "pay_path": lambda: oldest._cobranza_pay_path() if oldest else "",
            "collector_name": lambda: partner._cobranza_collector(company).name or "",
        })

    @api.model
    def _pay_links_text(self, moves, limit=900):
        """One pay link per invoice, on one line (Meta refuses line breaks in values);
        past `limit` characters the rest is left to the portal."""
        parts = []
        for index, move in enumerate(moves):
            part = f"{move.name}: {move._cobranza_pay_url()}"
            if sum(len(p) + 3 for p in parts) + len(part) > limit:
                parts.append(self.env._("%(count)s more in your customer portal",
                                        count=len(moves) - index))
                break
            parts.append(part)
        return " · ".join(parts)

    def _whatsapp_payload(self, account, template, params, values):
        header = None
        if template.header_type == "document":
            header = self._document_header(account)
        url_suffix = None
        quick_replies = []
        url_index = 0
        reference = self.move_ids[:1].name or ""
        for index, button in enumerate(template.button_ids.sorted("sequence")):
            if button.button_type == "url":
                url_index, url_suffix = index, values["pay_path"]
            else:
                quick_replies.append((index, f"{button.payload}:{reference}"))
        return meta_api.build_template_payload(
            self.partner_id.cobranza_whatsapp_number.lstrip("+"),
            template.name,
            template.language,
            params,
            header_document=header,
            url_button_suffix=url_suffix,
            url_button_index=url_index,
            quick_replies=quick_replies,
            callback_data=f"cobranza:{self.id}",
        )

    def _document_header(self, account):
        """The invoice PDF (several invoices: one PDF with all of them), by id or by link."""
        moves = self._unpaid_moves().sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        if len(moves) == 1:
            filename = f"{moves.name.replace('/', '_')}.pdf"
        else:
            filename = self.env._("Statement_%(name)s.pdf",
                                  name=(self.partner_id.name or "").replace(" ", "_")[:40])
        if self.company_id.cobranza_pdf_mode == "link":
            # Meta fetches one document by link: a statement links its oldest invoice.
            oldest = moves[:1]
            return {"link": oldest._cobranza_pdf_url(),
                    "filename": f"{oldest.name.replace('/', '_')}.pdf"}
        content = pdf.merge_pdf([move._cobranza_pdf_content() for move in moves]) \
            if len(moves) > 1 else moves._cobranza_pdf_content()
        media_id = self.env["cobranza.whatsapp.media"].sudo()._get_media_id(
            account, content, filename
        )
        return {"id": media_id, "filename": filename}

    def _send_sms(self):
        moves = self._unpaid_moves()
        level = self.level_id
        partner = self.partner_id
        if not partner.phone:
            self._fail(self.env._("The customer has no phone number for SMS."))
            return
        template = level.sms_template_id
        if not template:
            self._fail(self.env._("The level has no SMS template."))
            return
        move = moves[:1]
        body = template._render_field("body", move.ids, compute_lang=True)[move.id]
        sms = self.env["sms.sms"].sudo().create({
            "number": partner.cobranza_whatsapp_number or partner.phone,
            "partner_id": partner.id,
            "body": body,
        })
        self.write({"state": "sent", "body": body, "sent_at": fields.Datetime.now(),
                    "to_number": sms.number, "attempts": self.attempts + 1})
        self._post_in_chatter()

    def _send_email(self):
        moves = self._unpaid_moves()
        template = self.level_id.mail_template_id
        if not template:
            self._fail(self.env._("The level has no e-mail template."))
            return
        if not self.partner_id.email:
            self._fail(self.env._("The customer has no e-mail address."))
            return
        move = moves[:1]
        template.sudo().send_mail(move.id, force_send=False)
        body = template._render_field("subject", move.ids, compute_lang=True)[move.id]
        self.write({"state": "sent", "body": body, "sent_at": fields.Datetime.now(),
                    "attempts": self.attempts + 1})

    def _post_in_chatter(self, failed=False):
        """The invoices' chatter shows what was sent, so accountants see it where they work.

        Inside a sending batch the notes are collected and logged in one batch at its end.
        """
        buffer = self.env.context.get("cobranza_chatter")
        channel = dict(self._fields["channel"]._description_selection(self.env)).get(
            self.channel, self.channel)
        for move in self.move_ids:
            if failed:
                body = Markup("<p>%s</p><p>%s</p>") % (
                    self.env._("Collection message could not be sent (%(channel)s).",
                               channel=channel),
                    self.error_message or "",
                )
            else:
                body = Markup("<p>%s</p><p>%s</p>") % (
                    self.env._("Collection reminder sent by %(channel)s (%(level)s).",
                               channel=channel, level=self.level_id.name or "-"),
                    self.body or "",
                )
            if buffer is not None:
                buffer.setdefault(move.id, []).append(body)
            else:
                move.sudo()._message_log_batch({move.id: body})

    # === BUSINESS METHODS: STATUSES === #

    @api.model
    def _apply_status(self, event):
        """Apply one Meta status event; statuses only move forward, whatever the order.

        Returns False when no message carries this wamid yet, so the caller keeps the
        event and matches it later.
        """
        message = self.search([("wamid", "=", event["wamid"])], limit=1) or \
            self._interrupted_by_callback(event)
        if not message:
            return False
        status = event["status"]
        vals = self._pricing_values(event)
        if status == "failed":
            error = (event.get("errors") or [{}])[0]
            code = int(error.get("code") or 0)
            if message.state not in ("failed", "cancelled"):
                reason = self.env._(meta_api.error_reason(code))
                message.write(dict(vals, error_code=code, error_message=reason))
                message._fail(reason, code=code)
                if code in FALLBACK_CODES or meta_api.classify_error(code, None) != \
                        meta_api.RETRY:
                    message._fallback(reason)
            return message
        current = {name: message[name] for name in (
            "state", "sent_at", "delivered_at", "read_at", "pricing_category", "pricing_type",
            "billable", "conversation_id")}
        merged = dict(current)
        self._merge_status(merged, event)
        changed = {k: v for k, v in merged.items() if v != current[k]}
        if changed:
            message.write(changed)
        return message

    @api.model
    def _interrupted_by_callback(self, event):
        """A message whose worker stopped before recording Meta's answer, found by the
        callback data we gave Meta; it takes the wamid of the status that confirms it."""
        callback = event.get("callback_data") or ""
        if not callback.startswith("cobranza:") or not callback[9:].isdecimal() or \
                not callback[9:].isascii():
            return self.browse()
        message = self.browse(int(callback[9:])).exists()
        if not message or message.state != "sending" or message.wamid:
            return self.browse()
        if message.write_date > fields.Datetime.now() - INTERRUPTED_AFTER:
            # Its worker may be recording Meta's answer right now: the event waits and is
            # matched by its wamid, rather than racing the worker for the same row.
            return self.browse()
        message.write({"wamid": event["wamid"], "wa_id": event.get("recipient_id") or False,
                       "state": "sent", "next_attempt_at": False})
        return message

    @api.model
    def _pricing_values(self, event):
        """What Meta charges for the conversation, kept for cost reporting."""
        vals = {}
        if event.get("pricing_category"):
            vals.update(pricing_category=event["pricing_category"],
                        pricing_type=event.get("pricing_type"),
                        billable=bool(event.get("billable")))
        if event.get("conversation_id"):
            vals["conversation_id"] = event["conversation_id"]
        return vals

    @api.model
    def _merge_status(self, vals, event):
        """Fold one sent/delivered/read status into a message's values, only forward."""
        status = event["status"]
        when = datetime.datetime.fromtimestamp(int(event.get("timestamp") or time.time()),
                                               tz=datetime.UTC).replace(tzinfo=None)
        vals.update(self._pricing_values(event))
        stamp_field = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}.get(
            status)
        if not stamp_field:
            return vals
        if not vals.get(stamp_field):
            vals[stamp_field] = when
        if status == "read" and not vals.get("delivered_at"):
            vals["delivered_at"] = when  # read implies delivered
        if STATUS_RANK.get(status, 0) > STATUS_RANK.get(vals.get("state"), 99):
            vals["state"] = status
        return vals

    # === BUSINESS METHODS: INBOUND === #

    @api.model
    def _find_partner_by_wa_id(self, company, wa_id):
        """Meta's wa_id can differ from the number we dialled (Mexico 521, Brazil's 9)."""
        candidates = phone_tools.candidate_wa_ids(wa_id or "")
        Partner = self.env["res.partner"]
        partner = Partner.search([("cobranza_wa_id", "in", candidates)], limit=1)
        if not partner:
            partner = Partner.search(
                [("cobranza_whatsapp_number", "in", ["+" + c for c in candidates])], limit=1
            )
        return partner.commercial_partner_id

    @api.model
    def _receive(self, account, event):
        """Store a customer's message, open the 24 h window, show it where people work."""
        company = account.company_id if account else self.env.company
        wa_id = str(event.get("from") or "")
        partner = self._find_partner_by_wa_id(company, wa_id)
        if not partner:
            partner = self.env["res.partner"].create({
                "name": event.get("profile_name") or ("WhatsApp " + phone_tools.mask_phone(
                    "+" + wa_id)),
                "phone": "+" + wa_id if wa_id else False,
                "cobranza_wa_id": wa_id or False,
            })
        received = datetime.datetime.fromtimestamp(
            int(event.get("timestamp") or time.time()), tz=datetime.UTC
        ).replace(tzinfo=None)
        context_id = event.get("context_id")
        replied = self.search([("wamid", "=", context_id)], limit=1) if context_id else \
            self.browse()
        moves = replied.move_ids or self.search(
            [("partner_id", "=", partner.id), ("direction", "=", "out"),
             ("state", "not in", ("cancelled", "failed"))], order="id desc", limit=1
        ).move_ids
        message = self.create({
            "direction": "in",
            "channel": "whatsapp",
            "state": "received",
            "company_id": company.id,
            "partner_id": partner.id,
            "account_id": account.id if account else False,
            "wamid": event.get("message_id") or False,
            "wa_id": wa_id,
            "body": event.get("text") or "",
            "received_at": received,
            "move_ids": [(6, 0, moves.ids)],
            "level_id": replied.level_id.id,
            "template_id": replied.template_id.id,
        })
        attachments = message._attach_inbound_media(account, event.get("media"))
        window_until = received + datetime.timedelta(hours=24)
        partner.sudo().write({"cobranza_window_until": window_until,
                              "cobranza_wa_id": partner.cobranza_wa_id or wa_id})
        body = Markup("<p>%s</p><p>%s</p>") % (
            self.env._("WhatsApp reply from the customer:"), message.body or "")
        files = [(attachment.name, attachment.raw) for attachment in attachments.sudo()]
        for record in [partner, *moves]:
            record.sudo().message_post(body=body, message_type="comment",
                                       subtype_xmlid="mail.mt_note", attachments=files)
        message._understand(event)
        return message

    def _attach_inbound_media(self, account, media):
        """Keep a receipt or photo the customer sent; a failed download loses nothing else."""
        if not media or not media.get("id") or not account:
            return self.env["ir.attachment"]
        try:
            content, mimetype = account.sudo()._download_media(media["id"])
        except meta_api.MetaError as error:
            _logger.warning("Inbound media of message %s could not be downloaded: %s",
                            self.id, error)
            self.body = (self.body or "") + "\n" + self.env._(
                "[The customer sent a file that could not be downloaded.]")
            return self.env["ir.attachment"]
        if not content:
            return self.env["ir.attachment"]
        extension = (mimetype or "").split("/")[-1].split(";")[0] or "bin"
        attachment = self.env["ir.attachment"].sudo().create({
            "name": media.get("filename") or f"whatsapp-{media['id']}.{extension}",
            "raw": content,
            "mimetype": mimetype,
            "res_model": self._name,
            "res_id": self.id,
        })
        self.attachment_ids = [(4, attachment.id)]
        return attachment

    # === BUSINESS METHODS: REPLIES UNDERSTOOD === #

    def _understand(self, event):
        """Read the reply's intent, record why, and act on it (or hand it to a person)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        result = intent_tools.detect_intent(self.body or "", today, payload=event.get("payload"))
        self.write({
            "intent": result.intent,
            "intent_confidence": result.confidence,
            "intent_evidence": ", ".join(str(e) for e in result.evidence)[:255] or False,
            "needs_person": result.needs_person,
        })
        company = self.company_id
        mode = company[f"cobranza_intent_{result.intent}"] if result.intent in AUTO_INTENTS \
            else "none"
        if result.intent == "stop" and mode == "auto":
            # An opt-out is honoured even when the reply is angry; a person still follows up.
            self._on_stop(result, today)
            if result.needs_person:
                self._hand_to_person(result)
        elif result.needs_person or result.intent == "unknown" or mode == "person":
            self._hand_to_person(result)
        elif mode == "auto":
            getattr(self, f"_on_{result.intent}")(result, today)
        return result

    def _open_moves(self):
        moves = self.move_ids.filtered(lambda m: m.payment_state in ("not_paid", "partial"))
        if moves:
            return moves
        return self.env["account.move"].sudo().search([
            ("commercial_partner_id", "=", self.partner_id.id),
            ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "=", self.company_id.id),
        ])

    def _hand_to_person(self, result):
        partner = self.partner_id.sudo()
        partner.cobranza_handoff = True
        collector = partner._cobranza_collector(self.company_id)
        activity_type = self.env.ref("cobranza_whatsapp.mail_activity_type_collection_call")
        existing = partner.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        # Plain text made HTML: what the customer wrote is shown as written, escaped.
        note = plaintext2html(self.env._(
            "The customer wrote: \"%(text)s\" (understood as %(intent)s, confidence "
            "%(confidence)s). Reply from the WhatsApp message or call them.",
            text=(self.body or "")[:500], intent=dict(INTENTS).get(result.intent),
            confidence=f"{result.confidence:.0%}"))
        if existing:
            partner.message_post(body=note, message_type="comment", subtype_xmlid="mail.mt_note")
        else:
            partner.activity_schedule(
                "cobranza_whatsapp.mail_activity_type_collection_call", user_id=collector.id,
                summary=self.env._("WhatsApp reply needs a person"), note=note)
        self.action_taken = self.env._("Handed to %(collector)s", collector=collector.name)

    def _on_paid(self, result, today):
        moves = self._open_moves()
        moves.sudo().write({"cobranza_paused_until": today + datetime.timedelta(days=3)})
        accountant = self.env["cobranza.payment.notification"]._accountant_for(self.company_id)
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo", user_id=accountant.id,
            summary=self.env._("Customer says it paid: verify the payment"),
            note=plaintext2html(self.env._("Invoices %(invoices)s. Message: \"%(text)s\"",
                                           invoices=", ".join(moves.mapped("name")) or "-",
                                           text=(self.body or "")[:500])))
        self.action_taken = self.env._("Reminders paused 3 days; payment to verify")

    def _on_promise(self, result, today):
        date = result.promise_date or today + datetime.timedelta(days=3)
        moves = self._open_moves()
        promise = self.env["cobranza.promise"].sudo()._record(
            self.partner_id, moves, date,
            amount=float(result.amount) if result.amount else None, message=self,
            note=self.body)
        self.action_taken = self.env._("Promise to pay recorded for %(date)s", date=promise.date)

    def _on_plan(self, result, today):
        queued = self.sudo()._queue_purpose(self.partner_id, self._open_moves(), "plan")
        self.action_taken = self.env._("Payment plan offer sent") if queued else \
            self.env._("No plan offer template: handed to a person")
        if not queued:
            self._hand_to_person(result)

    def _on_dispute(self, result, today):
        moves = self._open_moves() if not self.move_ids else self.move_ids
        moves.sudo().write({"cobranza_disputed": True,
                            "cobranza_exclusion_reason": (self.body or "")[:200]})
        self._hand_to_person(result)
        self.action_taken = self.env._("Invoices marked disputed; handed to a person")

    def _on_person(self, result, today):
        self._hand_to_person(result)

    def _on_stop(self, result, today):
        partner = self.partner_id.sudo()
        partner.write({"cobranza_optout_date": fields.Datetime.now(),
                       "cobranza_optout_reason": (self.body or "")[:200]})
        queued = self.sudo().search([("partner_id", "=", partner.id), ("state", "=", "queued"),
                                     ("channel", "in", ("whatsapp", "sms"))])
        queued._cancel(self.env._("The customer asked to stop messages."))
        self.action_taken = self.env._("WhatsApp stopped for this customer")

    def _on_thanks(self, result, today):
        self.action_taken = False

    # === BUSINESS METHODS: FREE-FORM REPLIES === #

    @api.model
    def _send_text(self, partner, body, reply_to=None):
        """Free-form text, which Meta only accepts within 24 h of the customer's message."""
        partner = partner.commercial_partner_id
        now = fields.Datetime.now()
        if not partner.cobranza_window_until or partner.cobranza_window_until < now:
            raise UserError(self.env._(
                "%(customer)s has not written in the last 24 hours: WhatsApp only allows an "
                "approved template now.", customer=partner.display_name))
        if partner.cobranza_consent == "optout":
            raise UserError(self.env._("%(customer)s asked not to receive WhatsApp messages.",
                                       customer=partner.display_name))
        company = reply_to.company_id if reply_to else self.env.company
        account = self.env["cobranza.whatsapp.account"].sudo()._get_for_company(company)
        if not account:
            raise UserError(self.env._("No active WhatsApp account for %(company)s.",
                                       company=company.name))
        to = (partner.cobranza_wa_id or partner.cobranza_whatsapp_number or "").lstrip("+")
        try:
            payload = meta_api.build_text_payload(to, body)
        except ValueError as error:
            raise UserError(self.env._(str(error))) from None
        message = self.sudo().create({
            "direction": "out", "channel": "whatsapp", "state": "sending",
            "company_id": company.id, "partner_id": partner.id, "account_id": account.id,
            "body": body, "to_number": "+" + to, "attempts": 1,
            "move_ids": [(6, 0, reply_to.move_ids.ids)] if reply_to else [],
        })
        try:
            answer = account._send_api_request(
                "POST", f"{account.phone_number_id or 'sandbox'}/messages", json=payload)
            result = meta_api.parse_send_response(answer)
        except meta_api.MetaError as error:
            message._fail(self.env._(meta_api.error_reason(error.code)), code=error.code or 0)
            return message
        message.write({"state": "sent", "wamid": result["wamid"], "sent_at": now})
        partner.sudo().message_post(
            body=Markup("<p>%s</p><p>%s</p>") % (
                self.env._("WhatsApp reply by %(user)s:", user=self.env.user.name), body),
            message_type="comment", subtype_xmlid="mail.mt_note")
        if account.mode == "sandbox":
            self.env["cobranza.whatsapp.sandbox"]._simulate_statuses(message)
        return message
