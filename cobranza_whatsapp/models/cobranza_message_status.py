import datetime
import logging
import time

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import message_state, meta_api
from .cobranza_message_post import INTERRUPTED_AFTER

_logger = logging.getLogger(__name__)

# Meta's ``played`` (a voice message's first play) is a read for what we track.
STATUS_ALIASES = {"played": "read"}


class CobranzaMessageStatus(models.AbstractModel):
    """Meta's status webhooks: the one path every status takes, one event or a thousand.

    Delivery statuses (sent, delivered, read) of a batch are folded per message in Python and
    written with one UPDATE, guarded in SQL by the same table of moves as the state machine
    (``tools/message_state.MOVES``), so a status that arrives late or twice changes nothing.
    Failures go through :meth:`_set_failed` and the fallback, one by one (they are few).
    """

    _name = "cobranza.message.status"
    _description = "Collection Message Statuses"

    @api.model
    def _apply_statuses(self, events):
        """Apply parsed status events (``meta_api.parse_webhook``); returns, per event,
        whether its message is known (False: keep the event, its message may come later)."""
        if not events:
            return []
        by_wamid = {m.wamid: m for m in self.search(
            [("wamid", "in", list({event["wamid"] for event in events}))])}
        for event in events:
            if event["wamid"] not in by_wamid:
                adopted = self._adopt_interrupted(event)
                if adopted:
                    by_wamid[event["wamid"]] = adopted
        folded = {}  # message -> {"state", the status fields}
        failures = []
        for event in sorted(events, key=lambda e: e.get("timestamp") or 0):
            message = by_wamid.get(event["wamid"])
            if not message:
                continue
            if event["status"] == "failed":
                failures.append((message, event))
                continue
            current = folded.get(message)
            if current is None:
                current = folded[message] = {
                    "state": message.state,
                    **{name: message[name] for name in message_state.STATUS_FIELDS}}
            self._fold_status(current, event)
        self._set_delivery_statuses({
            message: vals for message, vals in folded.items()
            if any(vals[k] != message[k] for k in ("state", *message_state.STATUS_FIELDS))})
        for message, event in failures:
            message._in_company_lang()._apply_failure(event)
        return [event["wamid"] in by_wamid for event in events]

    @api.model
    def _fold_status(self, vals, event):
        """One sent/delivered/read (or played) status folded into a message's values, only
        forward. Meta gives the pricing on one of them, not all: the one that has it sets
        it, the others leave it as it is."""
        when = datetime.datetime.fromtimestamp(
            event.get("timestamp") or time.time(), tz=datetime.UTC
        ).replace(tzinfo=None)
        if event.get("pricing_category") or event.get("pricing_type"):
            vals.update(pricing_category=event.get("pricing_category") or
                        vals["pricing_category"],
                        pricing_type=event.get("pricing_type") or vals["pricing_type"],
                        billable=bool(event.get("billable")))
        if event.get("conversation_id"):
            vals["conversation_id"] = event["conversation_id"]
        stamps = {k: vals[k] for k in message_state.STAMP_FIELDS.values()}
        status = STATUS_ALIASES.get(event["status"], event["status"])
        vals["state"], stamps = message_state.fold_delivery(vals["state"], stamps, status,
                                                            when)
        vals.update(stamps)
        return vals

    def _set_delivery_statuses(self, changes):
        """The state machine's bulk writer for Meta's delivery statuses: one UPDATE for a
        batch, the move checked against ``message_state.MOVES`` in SQL."""
        if not changes:
            return
        messages = self.browse([message.id for message in changes])
        messages.flush_recordset()  # what the ORM still holds (an adopted send) goes first
        rows = list(changes.values())
        # The ORM's False for an empty value would not cast to timestamp or varchar.
        column = {name: [row[name] if row[name] is not False else None for row in rows]
                  for name in ("state", *message_state.STATUS_FIELDS)}
        targets, sources = zip(*((target, source) for target, allowed in
                                 message_state.MOVES.items() for source in sorted(allowed)),
                               strict=True)
        self.env.cr.execute(SQL(
            """
            UPDATE cobranza_message m
               SET state = CASE WHEN (v.state, m.state) IN (
                                    SELECT unnest(%(targets)s::varchar[]),
                                           unnest(%(sources)s::varchar[]))
                                THEN v.state ELSE m.state END,
                   sent_at = v.sent_at, delivered_at = v.delivered_at, read_at = v.read_at,
                   pricing_category = v.pricing_category, pricing_type = v.pricing_type,
                   billable = v.billable, conversation_id = v.conversation_id,
                   write_date = now() at time zone 'UTC'
              FROM (SELECT unnest(%(ids)s::int[]) AS id, unnest(%(state)s::varchar[]) AS state,
                           unnest(%(sent)s::timestamp[]) AS sent_at,
                           unnest(%(delivered)s::timestamp[]) AS delivered_at,
                           unnest(%(read)s::timestamp[]) AS read_at,
                           unnest(%(category)s::varchar[]) AS pricing_category,
                           unnest(%(type)s::varchar[]) AS pricing_type,
                           unnest(%(billable)s::bool[]) AS billable,
                           unnest(%(conversation)s::varchar[]) AS conversation_id) v
             WHERE m.id = v.id
            """,
            ids=messages.ids, state=column["state"], sent=column["sent_at"],
            delivered=column["delivered_at"], read=column["read_at"],
            category=column["pricing_category"], type=column["pricing_type"],
            billable=column["billable"], conversation=column["conversation_id"],
            targets=list(targets), sources=list(sources),
        ))
        messages.invalidate_recordset()

    def _apply_failure(self, event):
        """Meta could not deliver it: Meta's error table decides (retry, hold, stop the
        account, or fail and reach the customer another way), unless it was already
        delivered or read, when the failure is only recorded."""
        self.ensure_one()
        error = (event.get("errors") or [{}])[0]
        code = int(error.get("code") or 0)
        reason = self.env._(meta_api.error_reason(code))
        if self.state in ("failed", "cancelled"):
            return
        if not message_state.can_move(self.state, "failed"):
            self.write({"error_code": code, "error_message": reason})
            return
        if not code:  # a failure Meta gave no reason for
            self._set_failed(reason)
            self._fallback(reason)
            return
        # The same table as Meta's answers to a send: retried, held, stopped or failed.
        self._handle_meta_error(self.account_id, meta_api.MetaError(
            error.get("message") or "", code=code,
            http_status=None if code in meta_api.STATUS_RETRY_CODES else 400))

    @api.model
    def _adopt_interrupted(self, event):
        """A message whose worker stopped before recording Meta's answer, found by the
        callback data we gave Meta; it takes the wamid of the status that confirms it."""
        message_id = meta_api.message_id_from_callback(event.get("callback_data"))
        message = self.browse(message_id).exists() if message_id else self.browse()
        if not message or message.state != "sending" or message.wamid:
            return self.browse()
        if message.write_date > fields.Datetime.now() - INTERRUPTED_AFTER and \
                not self._answer_lost(message):
            # Its worker may be recording Meta's answer right now: the event waits and is
            # matched by its wamid, rather than racing the worker for the same row. A post
            # whose answer the journal says was lost has no answer coming: adopted at once.
            return self.browse()
        message._set_sent(event["wamid"], event.get("recipient_id"))
        return message

    @api.model
    def _answer_lost(self, message):
        self.env.cr.execute(SQL(
            "SELECT answer_lost FROM cobranza_message_post WHERE message_id = %s", message.id))
        row = self.env.cr.fetchone()
        return bool(row and row[0])
