from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import intent as intent_tools
from ..tools import message_state, receivable

# What happens to a message is the automation's record: its state, where and how it left,
# Meta's ids, statuses and errors. Nobody changes them by hand (a form, an RPC call): only
# the state machine and the automation, as superuser or marked with this context key,
# whose value is an object no RPC call can give (a request's context is JSON).
_STATE_MACHINE = "cobranza_state_machine"
_AUTOMATION = object()
AUTOMATION_FIELDS = frozenset({
    "state", "direction", "wamid", "wa_id", "to_number", "account_id", "attempts",
    "failed_at", "received_at", "error_code", "error_message", "fallback_of_id",
    "content", "answer_to_id", "auto_answer", *message_state.STATUS_FIELDS,
})
# A customer's words (and the words ours were read by) are for the collection users.
COLLECTION_USERS = "cobranza_whatsapp.group_cobranza_user"


class CobranzaMessage(models.Model):
    """Every collection message, outbound or inbound, on any channel: the outbox and the log.

    This file holds the record and its state machine (one method per target state, the only
    writers of ``state``, from ``tools/message_state.MOVES``) and the chatter notes. The other
    jobs are abstract models it inherits, each in a file named after it:
    ``cobranza_message_sender.py`` (the queue drain and Meta's answers),
    ``cobranza_message_channels.py`` (SMS and e-mail), ``cobranza_message_answer.py``
    (purpose messages, collectors' replies, automatic answers),
    ``cobranza_message_status.py`` (Meta's status webhooks),
    ``cobranza_message_inbound.py`` (customers' messages and the actions on replies) and
    ``cobranza_message_negotiation.py`` (plan options offered and chosen in the conversation,
    promises confirmed back); the
    send journal and the sweeper of interrupted sends are ``cobranza_message_post.py``.
    """

    _name = "cobranza.message"
    # Listed before the inbound messages they extend (earlier parents come first): how a
    # reply is understood and acted on, its resolution, the alerts and the negotiation.
    _inherit = ["cobranza.message.resolution", "cobranza.message.alert",
                # pay links tracked: before the channels whose statement context it extends
                "cobranza.message.click",
                "cobranza.message.sender", "cobranza.message.channels",
                "cobranza.message.answer", "cobranza.message.status",
                # a file read as a proof of payment before any other reading of a reply
                "cobranza.message.proof",
                # the questions answered by themselves: they extend _reply_handlers()
                "cobranza.message.self.service",
                "cobranza.message.negotiation", "cobranza.message.inbound"]
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
    kind = fields.Selection(
        [("template", "Template"), ("text", "Free-form text"),
         ("interactive", "Buttons or list"), ("document", "Document")],
        required=True, default="template",
        help="Free-form text, buttons, lists and documents are only allowed within 24 hours "
             "of the customer's last message.",
    )
    state = fields.Selection(message_state.STATES, required=True, default="queued", index=True,
                             copy=False)
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
    to_number = fields.Char(string="Recipient Number",
                            help="E.164 number the message was sent to.")
    wa_id = fields.Char(string="WhatsApp ID", index="btree_not_null", groups=COLLECTION_USERS)
    body = fields.Text(string="Message", groups=COLLECTION_USERS)
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
    # Meta's words, kept as Meta writes them (a category Meta adds later is kept too), shown
    # in the reader's language.
    pricing_label = fields.Char(string="Pricing", compute="_compute_pricing_label")
    billable = fields.Boolean(readonly=True)
    conversation_id = fields.Char(readonly=True)
    attachment_ids = fields.Many2many("ir.attachment", string="Attachments",
                                      groups=COLLECTION_USERS)
    intent = fields.Selection(list(intent_tools.INTENT_LABELS), readonly=True,
                              index="btree_not_null")
    intent_confidence = fields.Float(string="Confidence", readonly=True, digits=(3, 2))
    intent_evidence = fields.Char(string="Because of", readonly=True, groups=COLLECTION_USERS,
                                  help="The words that decided the intent.")
    needs_person = fields.Boolean(readonly=True, index=True,
                                  help="Ambiguous, frustrated or unclear: a person answers.")
    action_taken = fields.Char(string="What We Did", readonly=True)

    _wamid_uniq = models.UniqueIndex(
        "(wamid) WHERE wamid IS NOT NULL", "This Meta message is already recorded."
    )
    _queue_idx = models.Index("(scheduled_at, id) WHERE state = 'queued'")
    # The customers reached in the last 24 hours (Meta's messaging limit).
    _reached_idx = models.Index(
        "(company_id, sent_at) WHERE direction = 'out' AND kind = 'template' "
        "AND channel = 'whatsapp'")

    @api.depends("partner_id", "channel", "direction", "create_date")
    def _compute_display_name(self):
        for message in self:
            arrow = "→" if message.direction == "out" else "←"
            channels = dict(message._fields["channel"]._description_selection(self.env))
            message.display_name = (
                f"{arrow} {message.partner_id.display_name or ''} "
                f"({channels.get(message.channel, '')})"
            )

    @api.depends("pricing_category", "pricing_type")
    def _compute_pricing_label(self):
        categories = {
            "utility": self.env._("Utility"), "marketing": self.env._("Marketing"),
            "marketing_lite": self.env._("Marketing (lite)"),
            "authentication": self.env._("Authentication"),
            "authentication_international": self.env._("Authentication (international)"),
            "service": self.env._("Service"),
            "referral_conversion": self.env._("Free entry point"),
        }
        types = {
            "regular": self.env._("charged"),
            "free_customer_service": self.env._("free: customer service window"),
            "free_entry_point": self.env._("free: entry point"),
        }
        for message in self:
            category = message.pricing_category
            kind = message.pricing_type
            parts = [categories.get(category, category) if category else None,
                     types.get(kind, kind) if kind else None]
            message.pricing_label = " · ".join(part for part in parts if part) or False

    # === CRUD === #

    # A message is created in the state it starts in (queued, or received from a customer;
    # imported history as it was); after that only the state machine moves it, and only the
    # automation writes what happened to it (AUTOMATION_FIELDS).
    def write(self, vals):
        if not self._is_automation() and AUTOMATION_FIELDS.intersection(vals):
            self.check_access("write")  # who may not write at all hears that first
            if "state" in vals:
                raise UserError(self.env._("A message's state follows what happens to it "
                                           "and cannot be set by hand."))
            raise UserError(self.env._(
                "What happened to a message (%(fields)s) is recorded by the automation and "
                "cannot be changed by hand.",
                fields=", ".join(sorted(
                    self._fields[name]._description_string(self.env)
                    for name in AUTOMATION_FIELDS.intersection(vals)))))
        return super().write(vals)

    def _is_automation(self):
        return self.env.su or self.env.context.get(_STATE_MACHINE) is _AUTOMATION

    def _automation(self):
        """These messages, for the automation to record what happened to them (the state
        machine, Meta's answers and statuses): see AUTOMATION_FIELDS."""
        return self.with_context(**{_STATE_MACHINE: _AUTOMATION})

    # === STATE MACHINE: the only writers of ``state`` === #

    def _move_to(self, target, vals=None):
        """Move the messages that may go to `target` (``message_state.MOVES``); the others
        are left as they are. Returns the messages moved."""
        movable = self.filtered(lambda m: message_state.can_move(m.state, target))
        if movable:
            movable._automation().write(dict(vals or {}, state=target))
        return movable

    def _set_queued(self, *, retry_at=False, give_back_attempt=False, **vals):
        """Back in the queue: a retry at `retry_at`, or (`give_back_attempt`) a send that
        never counted (an account stopped, a worker that never posted it)."""
        moved = self.browse()
        for message in self:
            values = dict(vals, next_attempt_at=retry_at)
            if give_back_attempt:
                values["attempts"] = max(message.attempts - 1, 0)
            if message.state == "sent":  # Meta failed it after taking it: a new send
                values.update(wamid=False, sent_at=False)
            moved |= message._move_to("queued", values)
        return moved

    def _set_sending(self, **vals):
        """Leaving now: one attempt more."""
        moved = self.browse()
        for message in self:
            moved |= message._move_to("sending", dict(vals, attempts=message.attempts + 1))
        return moved

    def _set_sent(self, wamid=False, wa_id=False, wamids=None, **vals):
        """Meta (or Odoo's SMS and mail queues) took it.

        `wamids`: several messages Meta took at once, each one's ``(wamid, wa_id)`` by
        message id; what they share is written in one write."""
        values = {"sent_at": fields.Datetime.now(), "next_attempt_at": False, "error_code": 0,
                  "error_message": False, **vals}
        if wamid:
            values.update(wamid=wamid, wa_id=wa_id or False)
        moved = self._move_to("sent", values)
        if wamids:
            automation = moved._automation()
            for message in automation:
                message_wamid, message_wa_id = wamids[message.id]
                message.write({"wamid": message_wamid, "wa_id": message_wa_id or False})
        return moved

    def _set_failed(self, reason, code=0, **vals):
        """Given up, with the reason the people reading it need; noted on the invoices."""
        failed = self._move_to("failed", {
            "error_message": reason, "error_code": code or 0, "next_attempt_at": False,
            "failed_at": fields.Datetime.now(), **vals,
        })
        failed._post_in_chatter(failed=True)
        return failed

    def _set_cancelled(self, reason):
        """Not to be sent any more (paid before it left, the customer opted out...)."""
        return self._move_to("cancelled", {"error_message": reason, "next_attempt_at": False})

    # === BUSINESS METHODS === #

    def _in_company_lang(self):
        """Notes and outcomes in the company's language, whoever runs the job."""
        lang = self.company_id._cobranza_lang() if len(self.company_id) == 1 else None
        return self.with_context(lang=lang) if lang and lang != self.env.lang else self

    def _in_company_langs(self):
        """These messages one by one, each in its company's language (as
        :meth:`_in_company_lang`), the environment made once per company."""
        envs = {}
        for message in self:
            company = message.company_id
            if company not in envs:
                envs[company] = message._in_company_lang().env
            yield message.with_env(envs[company])

    @api.model
    def _outbound_values(self, partner, moves, company, **values):
        """The values of a new outbound message: the one place they are decided."""
        return {
            "direction": "out",
            "channel": "whatsapp",
            "company_id": company.id,
            "partner_id": partner.id,
            "move_ids": [(6, 0, moves.ids)],
            "scheduled_at": fields.Datetime.now(),
            **values,
        }

    def _unpaid_moves(self):
        return self.move_ids.filtered(receivable.is_open)

    def _channel_label(self):
        return dict(self._fields["channel"]._description_selection(self.env)).get(
            self.channel, self.channel)

    @api.model
    def _log_chatter(self, chatter):
        if chatter:
            # Mail's rows, in one statement: mail's own logging costs more than the rest of
            # what the sender does for a message (see _cobranza_log_notes).
            self.env["account.move"].sudo()._cobranza_log_notes(
                {move_id: Markup("").join(bodies) for move_id, bodies in chatter.items()})

    def _post_in_chatter(self, failed=False):
        """The invoices' chatter shows what was sent, so accountants see it where they work.

        Inside a sending batch the notes are collected and logged in one batch at its end.
        """
        buffer = self.env.context.get("cobranza_chatter")
        for message in self:
            channel = message._channel_label()
            if failed:
                body = Markup("<p>%s</p><p>%s</p>") % (
                    self.env._("Collection message could not be sent (%(channel)s).",
                               channel=channel),
                    message.error_message or "",
                )
            else:
                body = Markup("<p>%s</p><p>%s</p>") % (
                    self.env._("Collection reminder sent by %(channel)s (%(level)s).",
                               channel=channel, level=message.level_id.name or "-"),
                    message.body or "",
                )
            for move in message.move_ids:
                if buffer is not None:
                    buffer.setdefault(move.id, []).append(body)
                else:
                    move.sudo()._message_log_batch({move.id: body})
