import json
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import meta_api
from ..tools.concurrency import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)


class CobranzaWebhookEvent(models.Model):
    """One event Meta told us about, stored once and processed until it succeeds.

    The controller only verifies, parses and inserts (``ON CONFLICT DO NOTHING`` on the
    event key), then answers 200 at once; processing happens right after in the same
    request and, for anything that failed or arrived before its message, in a cron. So a
    duplicate changes nothing and a failure is retried, never lost.
    """

    _name = "cobranza.webhook.event"
    _description = "WhatsApp Webhook Event"
    _order = "id desc"

    key = fields.Char(required=True, readonly=True)
    kind = fields.Char(required=True, readonly=True, index=True)
    account_id = fields.Many2one("cobranza.whatsapp.account", readonly=True, index=True,
                                 ondelete="set null")
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    payload = fields.Text(readonly=True, help="The normalised event, as JSON.")
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done"), ("waiting", "Waiting for its message"),
         ("error", "Error")],
        default="pending", required=True, index=True, readonly=True,
    )
    attempts = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    received_at = fields.Datetime(default=fields.Datetime.now, readonly=True)

    _key_uniq = models.Constraint("unique(key)", "This webhook event is already recorded.")
    _todo_idx = models.Index("(id) WHERE state IN ('pending', 'waiting', 'error')")

    # === BUSINESS METHODS === #

    @api.model
    def _store(self, account, events):
        """Insert the events that are new; return the ids actually inserted."""
        if not events:
            return []
        now = fields.Datetime.now()
        self.env.cr.execute(SQL(
            """
            INSERT INTO cobranza_webhook_event (key, kind, account_id, company_id, payload,
                                                state, attempts, received_at, create_uid,
                                                write_uid, create_date, write_date)
            SELECT v.key, v.kind, %(account)s, %(company)s, v.payload, 'pending', 0, %(now)s,
                   %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM (SELECT unnest(%(keys)s::varchar[]) AS key,
                           unnest(%(kinds)s::varchar[]) AS kind,
                           unnest(%(payloads)s::text[]) AS payload) v
            ON CONFLICT (key) DO NOTHING
            RETURNING id
            """,
            account=account.id or None, company=account.company_id.id or None, now=now,
            uid=self.env.uid, keys=[e["key"][:255] for e in events],
            kinds=[e["kind"] for e in events],
            payloads=[json.dumps(e, default=str) for e in events],
        ))
        return [row[0] for row in self.env.cr.fetchall()]

    def _process(self):
        """Apply each event in its own savepoint; failures are kept with their error."""
        for event in self:
            if event.company_id:
                event = event.with_context(lang=event.company_id._cobranza_lang())  # noqa: PLW2901
            try:
                with self.env.cr.savepoint():
                    done = event._apply()
                event.write({"state": "done" if done else "waiting",
                             "attempts": event.attempts + 1, "error": False})
            except CONCURRENCY_ERRORS:
                raise  # the request (or cron) is retried as a whole by Odoo
            except Exception as error:  # noqa: BLE001 - kept and retried, never lost
                _logger.exception("Webhook event %s failed", event.id)
                event.write({"state": "error", "attempts": event.attempts + 1,
                             "error": f"{type(error).__name__}: {error}"[:2000]})

    def _apply(self):
        self.ensure_one()
        data = json.loads(self.payload)
        kind = data.get("kind")
        if kind == "status":
            return bool(self.env["cobranza.message"].sudo()._apply_status(data))
        if kind in ("template_status", "template_quality", "template_category"):
            self.env["cobranza.whatsapp.template"].sudo()._apply_webhook_event(
                self.account_id, data
            )
            return True
        if kind == "message":
            self.env["cobranza.message"].sudo()._receive(self.account_id, data)
            return True
        return True  # errors and kinds we do not act on are kept for the record

    @api.model
    def _cron_process(self, limit=500):
        """Retry what failed and match statuses that arrived before their message."""
        self = self.sudo()
        events = self.search([("state", "in", ("pending", "waiting", "error")),
                              ("attempts", "<", 20)], order="id", limit=limit)
        events = events.try_lock_for_update()
        events._process()
        return len(events)

    @api.model
    def _handle_payload(self, account, payload):
        """Parse Meta's envelope, store new events, process them; returns counters."""
        events = meta_api.parse_webhook(payload)
        new_ids = self._store(account, events)
        new = self.browse(new_ids)
        statuses = new.filtered(lambda e: e.kind == "status")
        done = statuses._process_statuses_in_bulk()
        (new - done)._process()
        return {"events": len(events), "new": len(new_ids)}

    def _process_statuses_in_bulk(self):
        """Apply a batch of sent/delivered/read statuses with a fixed number of queries.

        Meta sends about three status events per message, in batches: one lookup of the
        batch's messages, one UPDATE for all of them, one for the events. Failures and
        statuses of unknown messages are left to the per-event path (fallback, waiting).
        """
        parsed = [(event, json.loads(event.payload)) for event in self]
        bulk = [(event, data) for event, data in parsed
                if data.get("status") in ("sent", "delivered", "read")]
        if not bulk:
            return self.browse()
        Message = self.env["cobranza.message"].sudo()
        messages = Message.search([("wamid", "in", list({d["wamid"] for _e, d in bulk}))])
        by_wamid = {m.wamid: m for m in messages}
        changes = {}
        done = self.browse()
        for event, data in sorted(bulk, key=lambda item: item[1].get("timestamp") or 0):
            message = by_wamid.get(data["wamid"])
            if not message:
                continue
            vals = changes.setdefault(message.id, {
                "state": message.state, "sent_at": message.sent_at,
                "delivered_at": message.delivered_at, "read_at": message.read_at,
                "pricing_category": message.pricing_category,
                "pricing_type": message.pricing_type, "billable": message.billable,
                "conversation_id": message.conversation_id,
            })
            Message._merge_status(vals, data)
            done |= event
        if changes:
            ids = list(changes)
            # The ORM's False for an empty value would not cast to timestamp or varchar.
            column = {name: [changes[i][name] if changes[i][name] is not False else None
                             for i in ids] for name in changes[ids[0]]}
            self.env.cr.execute(SQL(
                """
                UPDATE cobranza_message m
                   SET state = v.state, sent_at = v.sent_at, delivered_at = v.delivered_at,
                       read_at = v.read_at, pricing_category = v.pricing_category,
                       pricing_type = v.pricing_type, billable = v.billable,
                       conversation_id = v.conversation_id,
                       write_date = now() at time zone 'UTC'
                  FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::varchar[]) AS state,
                               unnest(%s::timestamp[]) AS sent_at,
                               unnest(%s::timestamp[]) AS delivered_at,
                               unnest(%s::timestamp[]) AS read_at,
                               unnest(%s::varchar[]) AS pricing_category,
                               unnest(%s::varchar[]) AS pricing_type,
                               unnest(%s::bool[]) AS billable,
                               unnest(%s::varchar[]) AS conversation_id) v
                 WHERE m.id = v.id
                """,
                ids, column["state"], column["sent_at"], column["delivered_at"],
                column["read_at"], column["pricing_category"], column["pricing_type"],
                column["billable"], column["conversation_id"],
            ))
            messages.invalidate_recordset()
        if done:
            self.env.cr.execute(SQL(
                "UPDATE cobranza_webhook_event SET state = 'done', attempts = attempts + 1, "
                "error = NULL WHERE id = ANY(%s)", done.ids))
            done.invalidate_recordset()
        return done
