import json
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import meta_api
from ..tools.concurrency import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

# An event that failed (or waited for its message) this many times is left for a person.
MAX_ATTEMPTS = 20
CRON_BATCH = 500


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
            return self.env["cobranza.message"].sudo()._apply_statuses([data])[0]
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
    def _cron_process(self, limit=CRON_BATCH):
        """Retry what failed and match statuses that arrived before their message."""
        self = self.sudo()
        events = self.search([("state", "in", ("pending", "waiting", "error")),
                              ("attempts", "<", MAX_ATTEMPTS)], order="id", limit=limit)
        events = events.try_lock_for_update()
        events._process()
        return len(events)

    @api.model
    def _handle_payload(self, account, payload):
        """Parse Meta's envelope, store new events, process them; returns counters."""
        events = meta_api.parse_webhook(payload)
        new = self.browse(self._store(account, events))
        processed = new.filtered(lambda e: e.kind == "status")._process_statuses()
        (new - processed)._process()
        return {"events": len(events), "new": len(new)}

    def _process_statuses(self):
        """A batch of status events through the messages' one status path, with a fixed
        number of queries; returns the events processed. If the batch fails, none is: they
        go event by event through :meth:`_process`, which keeps each one's error."""
        if not self:
            return self
        try:
            with self.env.cr.savepoint():
                known = self.env["cobranza.message"].sudo()._apply_statuses(
                    [json.loads(event.payload) for event in self])
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - retried one by one, where errors are kept
            _logger.exception("A batch of %s status events failed; processing them one by one",
                              len(self))
            return self.browse()
        done = [event.id for event, is_known in zip(self, known, strict=True) if is_known]
        self.env.cr.execute(SQL(
            "UPDATE cobranza_webhook_event SET attempts = attempts + 1, error = NULL, "
            "state = CASE WHEN id = ANY(%s) THEN 'done' ELSE 'waiting' END WHERE id = ANY(%s)",
            done, self.ids))
        self.invalidate_recordset(["state", "attempts", "error"])
        return self
