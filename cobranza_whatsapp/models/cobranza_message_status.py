import datetime
import logging
import time

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, plaintext2html

from ..tools import message_state, meta_api, phone
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
        """Apply status events: Meta's (``meta_api.parse_webhook``, found by wamid) and those
        of Odoo's own SMS and mail queues (found by ``message_id``, ``models/sms_tracker.py``,
        ``models/mail_mail.py``). Returns, per event, True (applied, or nothing to change),
        False (its message is unknown: keep the event, its message may come later) or, for
        a status refused, why (a string: done with, never applied)."""
        if not events:
            return []
        messages = self._status_messages(events)
        outcome = [bool(message) for message in messages]
        folded = {}  # message -> {"state", the status fields}
        failures = []
        order = sorted(range(len(events)), key=lambda i: events[i].get("timestamp") or 0)
        for index in order:
            event, message = events[index], messages[index]
            if not message:
                continue
            refusal = self._refusal(message, event)
            if refusal:
                outcome[index] = refusal
                continue
            status = event["status"]
            if status == "failed":
                failures.append((message, event))
                continue
            if event.get("message_id") and status in ("sent", "cancelled"):
                self._apply_queue_status(message._in_company_lang(), status)
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
        return outcome

    @api.model
    def _status_messages(self, events):
        """The message of each event (empty when unknown): by our id for Odoo's own queues,
        by Meta's wamid, or by the callback data of a send whose answer was lost (adopted:
        it takes the wamid of the status that confirms it, unless the status is refused)."""
        wamids = list({event["wamid"] for event in events if event.get("wamid")})
        by_wamid = {m.wamid: m for m in self.search([("wamid", "in", wamids)])} \
            if wamids else {}
        by_id = {m.id: m for m in self.browse(
            [event["message_id"] for event in events if event.get("message_id")]).exists()}
        found = []
        for event in events:
            if event.get("message_id"):
                found.append(by_id.get(event["message_id"]) or self.browse())
                continue
            message = by_wamid.get(event["wamid"])
            if not message:
                message = self._interrupted_for(event)
                if message and not self._refusal(message, event, log=False):
                    message._set_sent(event["wamid"], event.get("recipient_id"))
                    by_wamid[event["wamid"]] = message
            found.append(message or self.browse())
        return found

    @api.model
    def _refusal(self, message, event, log=True):
        """Why a status may not speak for `message`, or False. A webhook speaks only for
        the messages of the account it came to (several companies' numbers can share one
        Meta app and its secret), and Meta's status names the customer the message went to
        (issue #15). Odoo's own queues know their message."""
        if event.get("message_id"):
            return False
        account_id, company_id = event.get("account_id"), event.get("company_id")
        if (account_id and message.account_id and message.account_id.id != account_id) or \
                (company_id and message.company_id.id != company_id):
            if log:
                _logger.warning(
                    "WhatsApp status %s refused: it came to account %s and its message %s is "
                    "account %s's", event.get("status"), account_id, message.id,
                    message.account_id.id)
            return "The status came to another WhatsApp account than its message's."
        recipient = event.get("recipient_id")
        if not recipient and not account_id:
            return False  # simulated by the sandbox or given by a test, not Meta's
        known = self._recipients(message)
        if not any(phone.same_whatsapp_user(recipient, number) for number in known):
            if log:
                _logger.warning(
                    "WhatsApp status %s refused: its recipient %s is not the recipient (%s) "
                    "of message %s", event.get("status"), phone.mask_phone(recipient or ""),
                    ", ".join(phone.mask_phone(number) for number in known) or "-",
                    message.id)
            return "The status's recipient is not the customer the message was sent to."
        return False

    @api.model
    def _recipients(self, message):
        """Whom the message went to: Meta's id and the number it was sent to, or (for a
        message that kept neither) the customer's."""
        own = [number for number in (message.wa_id, message.to_number) if number]
        partner = message.partner_id.sudo()
        return own or [number for number in (partner.cobranza_wa_id,
                                             partner.cobranza_whatsapp_number) if number]

    @api.model
    def _apply_queue_status(self, message, status):
        """Odoo's SMS service or mail server took the message (or a user cancelled the SMS
        in Odoo): only now is it sent, and noted on its invoices."""
        if status == "sent":
            message._set_sent()._post_in_chatter()
        else:
            message._set_cancelled(self.env._("The SMS was cancelled in Odoo."))

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
        """It could not be delivered: for WhatsApp, Meta's error table decides (retry, hold,
        stop the account, or fail and reach the customer another way); an SMS or e-mail
        Odoo could not send fails with Odoo's reason and falls back. Once delivered or read
        the customer has it: the failure is recorded and a person told, nothing more."""
        self.ensure_one()
        error = (event.get("errors") or [{}])[0]
        code = int(error.get("code") or 0)
        internal = self.channel != "whatsapp"
        reason = (error.get("title") or "") if internal else \
            self.env._(meta_api.error_reason(code))
        if self.state in ("failed", "cancelled"):
            return
        if self.state in ("delivered", "read"):
            self._record_late_failure(code, reason, error.get("title"))
            return
        if not message_state.can_move(self.state, "failed"):
            self._automation().write({"error_code": code, "error_message": reason})
            return
        if internal or not code:  # Odoo's reason, or a failure Meta gave no reason for
            self._set_failed(reason)
            self._fallback(reason)
            return
        # The same table as Meta's answers to a send: retried, held, stopped or failed.
        self._handle_meta_error(self.account_id, meta_api.MetaError(
            error.get("message") or "", code=code,
            http_status=None if code in meta_api.STATUS_RETRY_CODES else 400))

    def _record_late_failure(self, code, reason, title):
        """Meta reports a failure for a message it had delivered (or the customer read):
        the customer has it, so it is neither failed nor sent again on another channel.
        The failure is kept on the message and its invoices, and a person looks at it."""
        self.ensure_one()
        if title and title not in reason:
            reason = f"{reason} ({title})"
        self._automation().write({"error_code": code, "error_message": reason})
        states = dict(self._fields["state"]._description_selection(self.env))
        note = self.env._(
            "Meta reported a failure for the %(channel)s message after it was %(state)s: "
            "%(reason)s. It is not sent again; check with the customer whether anything is "
            "missing.", channel=self._channel_label(), state=states.get(self.state, ""),
            reason=reason)
        body = Markup("<p>%s</p>") % note
        self.move_ids.sudo()._message_log_batch({move.id: body for move in self.move_ids})
        partner = self.partner_id.sudo().with_company(self.company_id)
        partner.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=partner._cobranza_collector(self.company_id).id,
            summary=self.env._("Message failed after it was delivered"),
            note=plaintext2html(note))

    @api.model
    def _interrupted_for(self, event):
        """A message whose worker stopped before recording Meta's answer, found by the
        callback data we gave Meta, that the status may confirm."""
        message_id = meta_api.message_id_from_callback(event.get("callback_data"))
        message = self.browse(message_id).exists() if message_id else self.browse()
        if not message or message.state != "sending" or message.wamid or \
                message.channel != "whatsapp":
            return self.browse()
        if message.write_date > fields.Datetime.now() - INTERRUPTED_AFTER and \
                not self._answer_lost(message):
            # Its worker may be recording Meta's answer right now: the event waits and is
            # matched by its wamid, rather than racing the worker for the same row. A post
            # whose answer the journal says was lost has no answer coming: adopted at once.
            return self.browse()
        return message

    @api.model
    def _answer_lost(self, message):
        self.env.cr.execute(SQL(
            "SELECT answer_lost FROM cobranza_message_post WHERE message_id = %s", message.id))
        row = self.env.cr.fetchone()
        return bool(row and row[0])
