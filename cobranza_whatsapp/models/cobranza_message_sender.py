import datetime
import logging

from odoo import api, fields, models
from odoo.http import request

from ..tools import graph_api, meta_api, poster
from ..tools.cadence import OPT_OUT_CHANNELS
from ..tools.concurrency import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

PARALLEL_REQUESTS = 8
BATCH_SIZE = 200
# Meta paused the template: its messages wait this long before the sender looks again.
PAUSED_TEMPLATE_RECHECK = datetime.timedelta(hours=1)
# Meta's spam rate limit (131048): the whole account pauses this long, then goes on.
THROTTLE_PAUSE = datetime.timedelta(minutes=15)
# Meta's per-user limit (131049): "wait at least 24 hours".
USER_LIMIT_PAUSE = datetime.timedelta(hours=24, minutes=5)


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


class BatchMemo(ChatterNotes):
    """What a batch works out once for all its messages (an account's Graph API client,
    a template's variables in order), in the context as ``cobranza_memo``; compared by
    identity like :class:`ChatterNotes`."""

    def get_or(self, key, compute):
        if key not in self:
            self[key] = compute()
        return self[key]


def batch_memo(env, key, compute):
    """`compute()`, once per batch when a batch's memo is in the context."""
    memo = env.context.get("cobranza_memo")
    return memo.get_or(key, compute) if memo is not None else compute()


class CobranzaMessageSender(models.AbstractModel):
    """The sender: drains the outbox in batches, posts WhatsApp messages through the account's
    Graph API client on the poster's threads, and applies Meta's answers; SMS and e-mail go
    to Odoo's own queues."""

    _name = "cobranza.message.sender"
    _description = "Collection Message Sender"

    # === CRON ENTRY POINT === #

    @api.model
    def _cron_send(self):
        self.env["cobranza.message.post"]._recover_interrupted()
        self.env["cobranza.whatsapp.account"]._refresh_stale_setup()
        self._process_queue(auto_commit=True)

    # === QUEUE DRAIN === #

    @api.model
    def _queue_domain(self, now):
        return [
            ("state", "=", "queued"),
            ("direction", "=", "out"),
            ("channel", "in", ("whatsapp", "sms", "email")),
            ("scheduled_at", "<=", now),
            "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", now),
        ]

    def _poster(self, own_transactions=False):
        """The network half. The cron's poster journals in transactions of its own, so the
        journal survives the worker; inside the caller's transaction (tests, the demo) it
        writes there.

        Never inside a request: Odoo replays a request's transaction after a serialization
        failure, and Meta would get its messages again. A request queues its messages and
        wakes the send cron (:meth:`_trigger_sender`).
        """
        if not own_transactions and request:
            raise RuntimeError("Messages are not posted inside a request: queue them and "
                               "trigger the send cron.")
        cursors = poster.KeptCursor(self.env.registry.cursor) if own_transactions else \
            poster.LentCursor(self.env.cr)
        return poster.Poster(cursors, parallel=PARALLEL_REQUESTS)

    @api.model
    def _process_queue(self, *, auto_commit=False, batch_size=BATCH_SIZE, max_batches=None,
                       now=None):
        """Drain due messages in batches locked with SKIP LOCKED, so workers never collide.

        With `auto_commit` (the cron) a batch is committed as ``sending`` before any of it is
        posted; it is posted on threads while the next batch is prepared, and answers are
        recorded and committed as they come. Without it (tests and the demo, never a request)
        each batch is posted and recorded inside the caller's transaction. `now` lets the demo
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
                posts = batch._prepare_batch(waiting, now=now)
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
        """Send these messages now, in the caller's transaction: tests and the demo only
        (their contact window is not checked: the caller chose the moment).

        Everything else (Send Reminder Now, Reply on WhatsApp) queues the message and wakes
        the send cron, which posts it from a transaction of its own.
        """
        with self._poster() as outbox:
            waiting = {}
            outbox.submit(self._prepare_batch(waiting, check_window=False))
            self._record_answers(outbox.results(wait=True), waiting, False)

    @api.model
    def _record_answers(self, answers, waiting, auto_commit):
        """Meta's answers (or errors) applied to their messages, with the chatter notes."""
        if not answers:
            return
        chatter = ChatterNotes()
        sandbox_ids = []
        taken, results = [], {}  # Meta took them: recorded together below
        for key, answer in answers:
            message, account = waiting.pop(key)
            result = self._taken(answer)
            if result is not None and message.state == "sending":
                taken.append(message.id)
                results[message.id] = result
            else:
                message.with_context(cobranza_chatter=chatter)._record_outcome(account, answer)
            if account.mode == "sandbox":
                sandbox_ids.append(message.id)
        if taken:
            self.browse(taken).with_context(cobranza_chatter=chatter)._record_taken(results)
        self._log_chatter(chatter)
        sandbox = self.browse(sandbox_ids)
        # Meta's status webhooks, simulated for the sandbox's sends of this batch.
        self.env["cobranza.whatsapp.sandbox"]._simulate_statuses(sandbox)
        if auto_commit:
            self.env["ir.cron"]._commit_progress(0)

    def _prepare_batch(self, waiting, now=None, check_window=True):
        """Prepare every message: SMS and e-mail go out now, WhatsApp messages are marked
        ``sending`` and returned as posts for the poster.

        The batch is prepared in one savepoint; if any message raises, it is prepared again
        one message per savepoint, so one bad message never stops the others.
        """
        self.fetch(["partner_id", "move_ids", "template_id", "level_id", "channel", "company_id"])
        self.move_ids.fetch(["payment_state", "amount_residual", "amount_total", "state",
                             "currency_id", "name", "access_token", "invoice_date_due", "date",
                             "move_type", "company_id"])
        self.move_ids._cobranza_ensure_tokens()
        self.filtered(lambda m: m.direction == "out" and m.company_id.cobranza_click_tracking) \
            .move_ids._cobranza_prefetch_pay_trackers()
        held = self.env["cobranza.whatsapp.account"]._hold_over_messaging_limit(self)
        if check_window:
            held |= self._hold_outside_contact_window(now)
        self = self - held  # noqa: PLW0642
        memo = BatchMemo()
        try:
            chatter = ChatterNotes()
            with self.env.cr.savepoint():
                prepared = [item for message in self.with_context(
                    cobranza_chatter=chatter, cobranza_memo=memo)._in_company_langs()
                            if (item := message._send_one())]
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - retried message by message just below
            chatter = ChatterNotes()
            prepared = []
            for message in self.with_context(cobranza_chatter=chatter, cobranza_memo=memo):
                try:
                    with self.env.cr.savepoint():
                        item = message._send_one()
                    if item:
                        prepared.append(item)
                except CONCURRENCY_ERRORS:
                    raise
                except Exception as error:  # noqa: BLE001 - one bad message only
                    _logger.exception("Collection message %s could not be sent", message.id)
                    message._set_failed(self.env._("Unexpected error while sending: %(error)s",
                                                   error=type(error).__name__))
        self._log_chatter(chatter)
        posts = []
        for message, account, client, payload in prepared:
            waiting[message.id] = (message, account)
            posts.append(poster.Post(message.id, account.id, account.rate_limit, client,
                                     payload))
        return posts

    # === ONE MESSAGE === #

    def _send_one(self):
        """Hand SMS and e-mail to Odoo's queues; for WhatsApp return what the network phase
        posts."""
        self.ensure_one()
        self = self._in_company_lang()  # noqa: PLW0642
        if self.channel in OPT_OUT_CHANNELS and self._opted_out():
            # Consent is read when the message leaves, not when it was queued: a STOP
            # written since then stops it, and no SMS goes instead (the cadence's rule:
            # an opt-out covers WhatsApp and SMS; e-mail, with its own unsubscribe, stays).
            self._set_cancelled(self.env._("The customer opted out of this company's "
                                           "WhatsApp and SMS messages: nothing is sent."))
            return None
        if self.template_id.purpose == "thanks" or self.kind in meta_api.FREE_FORM_KINDS:
            return self._send_whatsapp()
        unpaid = self._unpaid_moves()
        if self.move_ids and not unpaid:
            self._set_cancelled(self.env._("The invoices were paid before the reminder went "
                                           "out."))
            return None
        if unpaid != self.move_ids:
            self.move_ids = unpaid
        if self.channel == "whatsapp":
            return self._send_whatsapp()
        if self.channel == "sms":
            self._send_sms()
        elif self.channel == "email":
            self._send_email()
        return None

    def _hold_outside_contact_window(self, now=None):
        """Business messages whose customer's contact window is closed now (queued in it,
        held since by a retry, a limit, a slow queue) wait for it to open again; replies
        to a customer who wrote are not held. Returns the held messages."""
        now = now or fields.Datetime.now()
        business = self.filtered(lambda m: m.kind not in meta_api.FREE_FORM_KINDS)
        cache, held = {}, self.browse()
        for company, messages in business.grouped("company_id").items():
            times = self.env["cobranza.cadence"]._contact_times(
                messages.partner_id, company, now, cache)
            for message in messages:
                opens = times[message.partner_id.id]
                if opens > now:
                    message.sudo().scheduled_at = opens
                    held |= message
        return held

    def _opted_out(self):
        """Whether the customer opted out of this message's company (consent is each
        company's own)."""
        return self.partner_id.with_company(self.company_id).cobranza_consent == "optout"

    def _simulated(self):
        """Whether this message's company runs in the sandbox, where nothing leaves the
        server: its SMS and e-mail are simulated too."""
        return self._whatsapp_account().mode == "sandbox"

    def _whatsapp_account(self):
        return self.account_id or self.env["cobranza.whatsapp.account"].sudo().search(
            [("company_id", "=", self.company_id.id), ("active", "=", True)], limit=1
        )

    def _send_whatsapp(self):
        """Checks, rendering and the payload; returns (message, account, client, payload)
        for the poster, or None when the message does not leave now."""
        partner = self.partner_id.with_company(self.company_id)
        if self.kind in meta_api.FREE_FORM_KINDS:  # an answer to a customer who wrote to us
            to = partner.cobranza_wa_id or (partner.cobranza_whatsapp_number or "").lstrip("+")
            reachable = to and partner.cobranza_consent != "optout"
        else:
            to = (partner.cobranza_whatsapp_number or "").lstrip("+")
            reachable = to and partner.cobranza_consent == "optin"
        if not reachable:
            self._fallback(self.env._("WhatsApp is not possible for this customer any more "
                                      "(consent or number)."))
            return None
        account = self._whatsapp_account()
        if not account:
            self._set_failed(self.env._("No WhatsApp account is configured for %(company)s.",
                                        company=self.company_id.name))
            return None
        if account.state != "active":
            return None  # waits in the queue until a manager resumes the account
        if account.throttled_until and account.throttled_until > fields.Datetime.now():
            self.next_attempt_at = account.throttled_until  # Meta asked us to slow down
            return None
        try:
            client = batch_memo(self.env, ("client", account.id), account._graph_api)
        except graph_api.ApiUrlRefused as error:  # not Meta's address: nothing leaves
            account.sudo()._stop(str(error))  # and the queue waits for an administrator
            return None
        if self.kind in meta_api.FREE_FORM_KINDS:
            try:
                payload = self._free_form_payload(to, account)
            except meta_api.PayloadError as error:
                self._set_failed(self.env._("The message cannot be built: %(reason)s",
                                            reason=error.translated(self.env)))
                return None
            except meta_api.MetaError as error:  # the document's upload failed
                self._handle_meta_error(account, error)
                return None
            # Meta echoes it in the reply's statuses, which confirm a send whose answer was lost.
            payload["biz_opaque_callback_data"] = meta_api.callback_data(self.id)
            self._set_sending(account_id=account.id, to_number="+" + to)
            return (self, account, client, payload)
        template = self._template_still_true()
        if not template:
            self._set_failed(self.env._("The level has no WhatsApp template."))
            return None
        if template.status == "paused":
            # Meta paused it; it resumes when the template is approved again.
            self.next_attempt_at = fields.Datetime.now() + PAUSED_TEMPLATE_RECHECK
            return None
        if not template._is_sendable():
            self._fallback(self.env._("Template %(name)s is not approved by Meta (%(status)s).",
                                      name=template.name, status=template.status))
            return None
        try:
            values = template._message_values(self)
            texts = template._param_values(values)
            params = template._render_params(values, texts)
            body = template._render_text(values, texts)
        except ValueError as error:
            self._set_failed(self.env._("The message cannot be built: %(reason)s",
                                        reason=self.env._(str(error))))
            return None
        self._set_sending(account_id=account.id, to_number=partner.cobranza_whatsapp_number,
                          body=body)
        try:
            payload = template._send_payload(self, account, params, values)
        except meta_api.MetaError as error:  # the PDF upload failed
            self._handle_meta_error(account, error)
            return None
        return (self, account, client, payload)

    def _template_still_true(self):
        """The message's template, unless it announces an early-payment discount that
        closed while the message waited (a contact window, a retry): then the level's own
        template, so the customer still gets the reminder, without a lapsed deadline."""
        template = self.template_id
        level = self.level_id
        if template and template == level.early_discount_template_id and level.template_id:
            move = self._unpaid_moves()[:1]
            today = fields.Date.context_today(self)
            if not move or not move._is_eligible_for_early_payment_discount(
                    move.currency_id, today):
                self.sudo().template_id = level.template_id
                return level.template_id
        return template

    @staticmethod
    def _taken(outcome):
        """Meta's answer read as a message it took (its wamid and wa_id), else None."""
        if isinstance(outcome, meta_api.MetaError):
            return None
        try:
            return meta_api.parse_send_response(outcome)
        except meta_api.MetaError:
            return None

    def _record_taken(self, results):
        """These messages, all ``sending``, were taken by Meta (`results`: each one's
        parsed answer by message id): what :meth:`_record_outcome` does for one, with one
        write for what they share."""
        by_lang = {}
        for message in self._in_company_langs():
            by_lang.setdefault(message.env, []).append(message.id)
        for env, ids in by_lang.items():
            messages = self.with_env(env).browse(ids)
            messages._set_sent(wamids={
                message_id: (results[message_id]["wamid"], results[message_id].get("wa_id"))
                for message_id in ids})
            for message in messages:
                wa_id = results[message.id].get("wa_id")
                if wa_id and message.partner_id.cobranza_wa_id != wa_id:
                    message.partner_id.sudo().cobranza_wa_id = wa_id
            replies = messages.filtered(lambda m: m.kind in meta_api.FREE_FORM_KINDS)
            for reply in replies:
                reply._note_reply_on_customer()
            (messages - replies)._post_in_chatter()

    def _record_outcome(self, account, outcome):
        """Meta's answer (or error) for this message, applied in the worker's transaction."""
        self = self._in_company_lang()  # noqa: PLW0642
        if not isinstance(outcome, meta_api.MetaError):
            try:
                result = meta_api.parse_send_response(outcome)
            except meta_api.MetaError as error:
                outcome = error
        if isinstance(outcome, meta_api.MetaError):
            if outcome.maybe_sent:
                self._await_confirmation()
            else:
                self._handle_meta_error(account, outcome)
            return
        self._record_taken({self.id: result})

    def _await_confirmation(self):
        """Meta may have taken this message, but its answer was lost (a timeout or a reset
        once the request had left, a 2xx without a message id).

        Sending it again could reach the customer twice, so it stays ``sending``: Meta's
        status webhook confirms it by our callback data, or the sweeper hands it to a person
        (``cobranza.message.post._recover_interrupted``).
        """
        _logger.warning("Collection message %s: Meta's answer was lost; waiting for Meta's "
                        "status webhook", self.id)
        self._automation().write({"error_code": 0, "error_message": self.env._(
            "Meta's answer was lost; waiting for Meta's confirmation.")})

    def _handle_meta_error(self, account, error):
        """Meta refused this message: what happens next is decided by Meta's error table
        (``meta_api.classify_error``), never by the HTTP status."""
        reason = self.env._(meta_api.error_reason(error.code))
        vals = {"error_code": error.code or 0, "error_message": reason}
        now = fields.Datetime.now()
        kind = error.kind
        if kind == meta_api.ACCOUNT:
            # Our token, app or number: the queue waits, intact, for a manager.
            self._set_queued(give_back_attempt=True, **vals)
            account.sudo()._stop(reason)
        elif kind == meta_api.THROTTLE:
            until = now + THROTTLE_PAUSE
            self._set_queued(give_back_attempt=True, retry_at=until, **vals)
            account.sudo()._throttle(until, reason)
        elif kind == meta_api.LATER:
            self._set_queued(give_back_attempt=True, retry_at=now + USER_LIMIT_PAUSE, **vals)
        elif kind == meta_api.TEMPLATE_PAUSED:
            # Held, not failed: the sender waits while the template is paused.
            self.template_id.sudo().status = "paused"
            self._set_queued(give_back_attempt=True, retry_at=now + PAUSED_TEMPLATE_RECHECK,
                             **vals)
        elif kind == meta_api.RETRY and self.attempts < meta_api.MAX_ATTEMPTS:
            delay = meta_api.backoff_seconds(self.attempts)
            self._set_queued(retry_at=now + datetime.timedelta(seconds=delay), **vals)
        else:
            if kind == meta_api.TEMPLATE_DISABLED:
                self.template_id.sudo().status = "disabled"
            self._set_failed(reason, code=error.code or 0)
            if error.code in meta_api.FALLBACK_CODES or kind == meta_api.TEMPLATE_DISABLED:
                self._fallback(reason)

    def _fallback(self, reason):
        """Reach the customer on the level's other channel; this message records why not here."""
        level = self.level_id
        channel = level.fallback_channel if level else "none"
        if self.state not in ("failed", "cancelled"):
            self._set_cancelled(reason)
        if channel in (False, "none", self.channel) or self.fallback_of_id or \
                self.kind in meta_api.FREE_FORM_KINDS or self._opted_out():
            # After a STOP the customer hears nothing more of this reminder, on any channel.
            return self.browse()
        return self.create(self._outbound_values(
            self.partner_id, self.move_ids, self.company_id, channel=channel,
            level_id=level.id, fallback_of_id=self.id))
