from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..tools import message_state
from .cobranza_message import COLLECTION_USERS

# How many of the customer's messages the conversation shows, the latest ones.
THREAD_LIMIT = 50
# The time each outbound state was reached.
STATE_STAMPS = dict(message_state.STAMP_FIELDS, failed="failed_at")
REPLY_STATES = [("received", "Received"), ("waiting", "Needs a Person"),
                ("handled", "Handled")]


class CobranzaMessage(models.Model):
    """A customer's reply on one screen: the conversation with the customer in the reply's
    company (what we sent, what they answered, what the automation did) and what a collector
    does next (a promise, a plan, an answer, done)."""

    _inherit = "cobranza.message"

    conversation = fields.Html(
        string="Thread", compute="_compute_conversation", groups=COLLECTION_USERS,
        help="The messages with this customer in this company, oldest first.")
    reply_state = fields.Selection(
        REPLY_STATES, compute="_compute_reply_state", string="Reply Status",
        help="Received; waiting in the work queue for a person; handled (by the automation "
        "or a person).")
    work_item_id = fields.Many2one("cobranza.work.item", compute="_compute_reply_state")

    # === COMPUTE METHODS === #

    @api.depends("partner_id", "company_id")
    @api.depends_context("lang", "tz")
    def _compute_conversation(self):
        for message in self:
            if not message.partner_id or not message.id:
                message.conversation = False
                continue
            thread = self.search([
                ("partner_id", "=", message.partner_id.id),
                ("company_id", "=", message.company_id.id),
            ], order="create_date desc, id desc", limit=THREAD_LIMIT)
            message.conversation = Markup("").join(
                entry._conversation_entry(current=entry == message)
                for entry in thread.sorted(lambda m: (m.create_date, m.id)))

    @api.depends("direction", "needs_person", "action_taken", "intent")
    def _compute_reply_state(self):
        # The queue is the collectors' (its rule: their companies); whether a reply waits in
        # it is shown to whoever reads the reply.
        items = self.env["cobranza.work.item"].sudo().search([
            ("kind", "=", "reply"), ("message_id", "in", self.filtered("id").ids)])
        item_of = {item.message_id.id: item for item in items}
        for message in self:
            item = item_of.get(message.id, self.env["cobranza.work.item"])
            message.work_item_id = item
            if message.direction != "in":
                message.reply_state = False
            elif item:
                message.reply_state = "waiting"
            elif message.intent or message.action_taken:
                message.reply_state = "handled"
            else:
                message.reply_state = "received"

    # === ACTIONS === #

    def action_record_promise(self):
        """A promise the customer made in this conversation, for its open invoices."""
        self.ensure_one()
        return self._new_record_action(self.env["cobranza.promise"])

    def action_offer_plan(self):
        """A payment plan offered in this conversation, for its open invoices."""
        self.ensure_one()
        return self._new_record_action(self.env["cobranza.payment.plan"])

    def action_mark_done(self):
        """The reply is handled: its work item is closed with what came of it (the close
        wizard, as in the queue), which ends the hand-off."""
        self.ensure_one()
        item = self.work_item_id
        if not item:
            raise UserError(self.env._("This reply is not waiting for a person."))
        return item.action_done()

    # === BUSINESS METHODS === #

    def _new_record_action(self, model):
        moves = self._open_moves()
        action = model._action_new(self.partner_id.commercial_partner_id, moves)
        action["context"].update(default_company_id=self.company_id.id,
                                 default_source_message_id=self.id)
        return action

    @api.model
    def _send_text(self, partner, body, reply_to=None):
        """A person answered the reply: it no longer needs one."""
        message = super()._send_text(partner, body, reply_to=reply_to)
        if reply_to and reply_to.needs_person:
            reply_to.sudo().needs_person = False
        return message

    def _conversation_entry(self, current=False):
        """One message of the conversation, as HTML: every text in it escaped."""
        self.ensure_one()
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        when = format_datetime(self.env, self.received_at or self.sent_at or self.create_date,
                               tz=tz, dt_format="short")
        channel = self._channel_label()
        states = dict(self._fields["state"]._description_selection(self.env))
        inbound = self.direction == "in"
        if inbound:
            who = self.partner_id.display_name
            intents = dict(self._fields["intent"]._description_selection(self.env))
            facts = [self.env._("Understood as %(intent)s",
                                intent=intents.get(self.intent, self.intent))
                     if self.intent else "",
                     self.action_taken or ""]
        else:
            who = self.template_id.name or (
                self.env._("Free-form text") if self.kind == "text" else "")
            # Its status and when it got there (the reason, when it failed).
            stamp = self[STATE_STAMPS[self.state]] if self.state in STATE_STAMPS else False
            facts = [states.get(self.state, self.state) + (
                " " + format_datetime(self.env, stamp, tz=tz, dt_format="short")
                if stamp else "")]
            if self.state == "failed" and self.error_message:
                facts.append(self.error_message)
            if self.reaction_emoji:
                facts.append(self.env._("Reaction %(emoji)s", emoji=self.reaction_emoji))
        body = Markup("<br/>").join((self.body or "").splitlines()) or Markup(
            "<i>%s</i>") % self.env._("(no text)")
        classes = "o_cobranza_in bg-info-subtle me-5" if inbound else \
            "o_cobranza_out bg-success-subtle ms-5"
        if current:
            classes += " border border-primary o_cobranza_current"
        return Markup(
            '<div class="o_cobranza_conversation_entry %s rounded p-2 mb-2">'
            '<div class="small text-muted">%s %s</div>'
            '<div class="o_cobranza_text">%s</div>'
            '<div class="small text-muted o_cobranza_facts">%s</div></div>'
        ) % (classes, "←" if inbound else "→",
             " · ".join(part for part in (who, channel, when) if part), body,
             " · ".join(fact for fact in facts if fact))
