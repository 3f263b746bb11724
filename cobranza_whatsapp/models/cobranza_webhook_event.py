import json
import logging

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import meta_api
from ..tools.concurrency import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

# An event that failed (or waited for its message) this many times is left for a person.
MAX_ATTEMPTS = 20
# Statuses per transaction of the processing cron: the status path costs a fixed number of
# queries per batch, so a larger one spreads them (measured: 2,000 processes about 1.2x the
# events per second of 500, on one worker).
CRON_BATCH = 2000
# Replies, system messages and reactions per transaction of the processing cron: each one
# posts notes and may download a file from Meta, so fewer than statuses.
MESSAGE_BATCH = 20
TEMPLATE_KINDS = ("template_status", "template_quality", "template_category")


class CobranzaWebhookEvent(models.Model):
    """One event Meta told us about, stored once and processed until it succeeds.

    The controller verifies the signature, routes each event to the account of its number
    (:meth:`_route`), inserts it (``ON CONFLICT DO NOTHING`` on the event key), wakes the
    processing cron and answers 200: Meta wants an answer in a fraction of a second, and
    the work (statuses, replies acted on, files downloaded from Meta) is done by
    ``ir_cron_webhook_received`` in transactions of its own (:meth:`_process_received`).
    Anything that failed or arrived before its message is retried by
    ``ir_cron_webhook_events``. So a duplicate changes nothing and a failure is retried,
    never lost.
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
        """Insert `account`'s events that are new; return the ids actually inserted."""
        return self._insert({(account.id, account.company_id.id): events})[0]

    @api.model
    def _insert(self, routed, wake_cron=None):
        """Insert the events that are new, in one statement: `routed` maps
        (account id, company id) to events. Returns (the ids actually inserted, whether a
        due trigger of the cron `wake_cron` (an id) was found and locked).

        With `wake_cron`, how the webhook wakes the processing cron once for a burst of
        POSTs rather than once a POST: a trigger that is due and not taken yet wakes the
        cron for these events too, if the cron cannot take it before this transaction
        commits. The same statement, when something new was inserted, holds that trigger's
        row with ``FOR KEY SHARE`` (what Odoo's cron does with a trigger when it starts a
        run is a DELETE, which waits for that lock; webhooks share it among themselves). A
        trigger locked already is being taken by a run that may not see these events, so
        the caller makes a new one (``SKIP LOCKED``). Each trigger costs a row and a NOTIFY
        on a connection of its own; at one status per POST that was most of a webhook's
        own work. The lookup is part of the INSERT: a round trip less per POST.
        """
        rows = [(account_id, company_id, event)
                for (account_id, company_id), events in routed.items() for event in events]
        if not rows:
            return [], False
        now = fields.Datetime.now()
        insert = SQL(
            """
            INSERT INTO cobranza_webhook_event (key, kind, account_id, company_id, payload,
                                                state, attempts, received_at, create_uid,
                                                write_uid, create_date, write_date)
            SELECT v.key, v.kind, v.account, v.company, v.payload, 'pending', 0, %(now)s,
                   %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM unnest(%(keys)s::varchar[], %(kinds)s::varchar[], %(accounts)s::int[],
                          %(companies)s::int[], %(payloads)s::text[])
                   AS v(key, kind, account, company, payload)
            ON CONFLICT (key) DO NOTHING
            RETURNING id
            """,
            now=now, uid=self.env.uid, keys=[e["key"][:255] for _a, _c, e in rows],
            kinds=[e["kind"] for _a, _c, e in rows],
            accounts=[a or None for a, _c, _e in rows],
            companies=[c or None for _a, c, _e in rows],
            payloads=[json.dumps(e, default=str) for _a, _c, e in rows],
        )
        if not wake_cron:
            self.env.cr.execute(insert)
            return [row[0] for row in self.env.cr.fetchall()], False
        # The trigger is looked for only if a row is new, else nothing is locked (the
        # statement's parts share one snapshot, the inserted rows are seen through
        # RETURNING). A row per event id, and one with no id if a trigger was found.
        self.env.cr.execute(SQL(
            """
            WITH new AS (%(insert)s),
                 due AS (SELECT id FROM ir_cron_trigger
                          WHERE cron_id = %(cron)s
                            AND call_at <= (clock_timestamp() AT TIME ZONE 'UTC')
                            AND EXISTS (SELECT FROM new)
                          LIMIT 1 FOR KEY SHARE SKIP LOCKED)
            SELECT id FROM new UNION ALL SELECT NULL FROM due
            """, insert=insert, cron=wake_cron))
        ids = [row[0] for row in self.env.cr.fetchall()]
        new = [event_id for event_id in ids if event_id is not None]
        return new, len(new) < len(ids)

    def _process(self):
        """Apply each event in its own savepoint; failures are kept with their error."""
        for event in self:
            if event.company_id:
                event = event.with_company(event.company_id).with_context(  # noqa: PLW2901
                    lang=event.company_id._cobranza_lang())
            try:
                with self.env.cr.savepoint():
                    done = event._apply()
                # A string: refused, and why (done with, never applied).
                event.write({"state": "done" if done else "waiting",
                             "attempts": event.attempts + 1,
                             "error": done if isinstance(done, str) else False})
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
            return self.env["cobranza.message"].sudo()._apply_statuses(
                [self._status_event(data)])[0]
        if kind in TEMPLATE_KINDS:
            self.env["cobranza.whatsapp.template"].sudo()._apply_webhook_event(
                self.account_id, data
            )
            return True
        Message = self.env["cobranza.message"].sudo()
        if kind == "message":
            Message._receive(self.account_id, data)
        elif kind == "system":
            Message._receive_system(self.account_id, data)
        elif kind == "reaction":  # waits, like a status, for a message we do not know yet
            return Message._receive_reaction(self.account_id, data)
        return True  # errors and kinds we do not act on are kept for the record

    # === WEBHOOK: ROUTE, STORE, WAKE THE CRON === #

    @api.model
    def _receive_webhook(self, accounts, payload):
        """The controller's part, kept short: Meta's envelope parsed, each event routed to
        its account among `accounts` (those whose App Secret signed the body), the new ones
        stored and the processing cron woken. Returns counters for the answer.

        Raises ``meta_api.EnvelopeError`` for a body that is not Meta's envelope.
        """
        events = meta_api.parse_webhook(payload)
        # The accounts as the webhook keeps them in memory: no query per POST.
        ids = set(accounts.ids)
        routes = [route for route in accounts._webhook_routes() if route.id in ids]
        routed, unknown = self._route(routes, events)
        cron_id = self._processing_cron_id()
        new, due = self._insert({(route.id, route.company_id): route_events
                                 for route, route_events in routed.items()}, cron_id)
        if new and not due:
            self.env["ir.cron"].browse(cron_id)._trigger()
        if unknown:
            _logger.warning(
                "WhatsApp webhook: %s events for numbers or business accounts that no "
                "account signing it has (%s); answered and ignored", len(unknown),
                ", ".join(sorted({self._mask_id(e.get("phone_number_id") or e.get("waba_id"))
                                  for e in unknown})))
        return {"events": len(events), "new": len(new), "ignored": len(unknown)}

    @api.model
    def _processing_cron_id(self):
        """The processing cron, from Odoo's cache of XML ids (no query once read)."""
        return self.env["ir.model.data"]._xmlid_to_res_id(
            "cobranza_whatsapp.ir_cron_webhook_received", raise_if_not_found=True)

    @api.model
    def _route(self, accounts, events):
        """Each event to the account it is for: ``metadata.phone_number_id`` names the
        number; a template update names only its WhatsApp Business Account (``entry.id``),
        which goes to every company that has an account on it (their templates are the
        WABA's). Several companies can share one Meta app, hence one App Secret: only the
        number tells them apart, never the secret. `accounts` are the accounts' webhook
        routes (``cobranza.whatsapp.account._webhook_routes``), in id order. Returns
        ({route: [events]}, events for no account of `accounts`)."""
        by_number = {account.phone_number_id: account for account in accounts
                     if account.phone_number_id}
        by_waba = {}  # WABA -> {company: its first account on it}
        for account in accounts:
            if account.waba_id:
                by_waba.setdefault(account.waba_id, {}).setdefault(account.company_id, account)
        routed, unknown = {}, []
        for event in events:
            if event["kind"] in TEMPLATE_KINDS:
                targets = list(by_waba.get(event.get("waba_id"), {}).values())
            else:
                number = event.get("phone_number_id")
                targets = [by_number[number]] if number in by_number else []
            if not targets:
                unknown.append(event)
            for index, account in enumerate(targets):
                # The other companies' copies get keys of their own (one row per key).
                copy = event if not index else dict(
                    event, key=f"{event['key']}@{account.company_id}")
                routed.setdefault(account, []).append(copy)
        return routed, unknown

    @staticmethod
    def _mask_id(value):
        """A Meta id for logs: its last four characters."""
        value = str(value or "")
        return "…" + value[-4:] if len(value) > 4 else "?"

    # === PROCESSING, OUTSIDE THE REQUEST === #

    def _process_new(self):
        """Statuses through the messages' batched status path, the rest one by one."""
        statuses = self.filtered(lambda event: event.kind == "status")
        processed = statuses._process_statuses()
        (self - processed)._process()

    @api.model
    def _take_received(self, domain, limit):
        """The oldest received events of `domain` no other worker is processing."""
        events = self.search([("state", "=", "pending"), *domain], order="id", limit=limit)
        return events.try_lock_for_update(allow_referencing=True)

    @api.model
    def _process_received(self, auto_commit=False):
        """Process what the webhook stored, oldest first: in each round a batch of statuses
        and a small batch of replies, system messages and reactions (notes, actions, media
        downloads), so neither waits for the other. With `auto_commit` (the cron) each
        round is committed on its own, so a failure loses nothing done before it. Returns
        the number of events processed.

        Every processed event leaves ``pending`` (done, waiting or error), so the loop ends.
        """
        self = self.sudo()
        processed = 0
        while True:
            batch = self._take_received([("kind", "=", "status")], CRON_BATCH) | \
                self._take_received([("kind", "!=", "status")], MESSAGE_BATCH)
            if not batch:
                break
            batch._process_new()
            processed += len(batch)
            if auto_commit:
                remaining = self.search_count([("state", "=", "pending")])
                time_left = self.env["ir.cron"]._commit_progress(len(batch),
                                                                 remaining=remaining)
                if time_left <= 0:
                    break
        return processed

    @api.model
    def _handle_payload(self, account, payload):
        """Store and process at once a payload known to be `account`'s: the sandbox's
        simulated webhooks and tools, which run outside an HTTP request."""
        events = meta_api.parse_webhook(payload)
        new = self.browse(self._store(account, events))
        new._process_new()
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
                    [event._status_event(json.loads(event.payload)) for event in self])
        except CONCURRENCY_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - retried one by one, where errors are kept
            _logger.exception("A batch of %s status events failed; processing them one by one",
                              len(self))
            return self.browse()
        done = [event.id for event, is_known in zip(self, known, strict=True) if is_known]
        # A status refused is done with, its reason kept.
        refused = [(event.id, why) for event, why in zip(self, known, strict=True)
                   if isinstance(why, str)]
        self.env.cr.execute(SQL(
            "UPDATE cobranza_webhook_event e SET attempts = attempts + 1, error = r.why, "
            "state = CASE WHEN e.id = ANY(%s) THEN 'done' ELSE 'waiting' END "
            "FROM (SELECT unnest(%s::int[]) AS id) v "
            "LEFT JOIN (SELECT unnest(%s::int[]) AS id, unnest(%s::text[]) AS why) r "
            "ON r.id = v.id WHERE e.id = v.id",
            done, self.ids, [r[0] for r in refused], [r[1] for r in refused]))
        self.invalidate_recordset(["state", "attempts", "error"])
        return self

    def _status_event(self, data):
        """A stored status as the status path takes it: with the account and company it
        came to, for which alone it may speak."""
        return dict(data, account_id=self.account_id.id, company_id=self.company_id.id)

    # === CRON ENTRY POINTS === #

    @api.model
    def _cron_process_received(self):
        """Woken by the webhook for every delivery that stored something new."""
        self._process_received(auto_commit=True)

    @api.model
    def _cron_process(self, limit=CRON_BATCH):
        """Retry what failed and match statuses that arrived before their message (and
        anything received that the processing cron has not reached yet)."""
        self = self.sudo()
        events = self.search([("state", "in", ("pending", "waiting", "error")),
                              ("attempts", "<", MAX_ATTEMPTS)], order="id", limit=limit)
        events = events.try_lock_for_update()
        events._process_new()
        return len(events)
