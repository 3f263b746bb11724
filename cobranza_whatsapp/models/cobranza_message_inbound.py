import datetime
import logging
import time

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_date, format_datetime, plaintext2html

from ..tools import intent as intent_tools
from ..tools import meta_api, receivable
from ..tools import phone as phone_tools

_logger = logging.getLogger(__name__)

# Meta's customer service window: free-form replies are allowed this long after the
# customer's last message.
SERVICE_WINDOW = datetime.timedelta(hours=24)
# "I paid": reminders wait this many days for the payment to be seen.
PAID_CLAIM_PAUSE_DAYS = 3
# A promise without a date is taken for this many days from today.
UNDATED_PROMISE_DAYS = 3
# How much of the customer's text a note or an activity quotes.
QUOTE_CHARS = 500
REASON_CHARS = 200

# What the automation does for each intent it acts on: the method, by name so that another
# module (or another file of this one) can override it; extended through _reply_handlers().
REPLY_HANDLERS = {
    "paid": "_on_paid",
    "promise": "_on_promise",
    "plan": "_on_plan",
    "dispute": "_on_dispute",
    "person": "_hand_to_person",
    "stop": "_on_stop",
}


class CobranzaMessageInbound(models.AbstractModel):
    """Customers' messages: stored, shown where people work, understood and acted on."""

    _name = "cobranza.message.inbound"
    _description = "Collection Message Inbound"

    # On our outbound messages: what the customer reacted with (Meta's reactions).
    reaction_emoji = fields.Char(string="Customer's Reaction", readonly=True, copy=False,
                                 help="The emoji the customer reacted to this message with.")
    reacted_at = fields.Datetime(string="Reacted On", readonly=True, copy=False)

    # === INBOUND MESSAGES === #

    @api.model
    def _find_partner_by_wa_id(self, company, wa_id):
        """Meta's wa_id can differ from the number we dialled (Mexico 521, Brazil's 9).
        Only the company's own customers and shared ones: another company's contact with
        the same number is not this company's customer."""
        candidates = phone_tools.candidate_wa_ids(wa_id or "")
        Partner = self.env["res.partner"]
        scope = [("company_id", "in", [company.id, False])] if company else []
        partner = Partner.search([*scope, ("cobranza_wa_id", "in", candidates)], limit=1)
        if not partner:
            partner = Partner.search(
                [*scope, ("cobranza_whatsapp_number", "in", ["+" + c for c in candidates])],
                limit=1,
            )
        return partner.commercial_partner_id

    @api.model
    def _event_time(self, event):
        """When Meta says it happened (now, when it does not say), as a naive UTC time."""
        return datetime.datetime.fromtimestamp(
            int(event.get("timestamp") or time.time()), tz=datetime.UTC
        ).replace(tzinfo=None)

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
        received = self._event_time(event)
        context_id = event.get("context_id")
        replied = self.search([("wamid", "=", context_id), ("company_id", "=", company.id)],
                              limit=1) if context_id else self.browse()
        moves = replied.move_ids or self.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id),
             ("direction", "=", "out"), ("state", "not in", ("cancelled", "failed"))],
            order="id desc", limit=1,
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
        # The reply window is the one this company's number opened, as every collection
        # field of the customer is the company's own.
        partner.sudo().with_company(company).write({
            "cobranza_window_until": received + SERVICE_WINDOW,
            "cobranza_wa_id": partner.cobranza_wa_id or wa_id,
        })
        body = Markup("<p>%s</p><p>%s</p>") % (
            self.env._("WhatsApp reply from the customer:"), message.body or "")
        files = [(attachment.name, attachment.raw) for attachment in attachments.sudo()]
        for record in [partner, *moves]:
            record.sudo().message_post(body=body, message_type="comment",
                                       subtype_xmlid="mail.mt_note", attachments=files)
        message._understand(event)
        return message

    @api.model
    def _receive_system(self, account, event):
        """Meta's word that a customer changed number (``user_changed_number``, with the new
        wa_id) or user id: the customer's record follows and a note says so. It is not a
        reply: nothing is read into it and no person is asked to act. Returns the customer
        (none when we do not know the number: no contact is made for it)."""
        company = account.company_id if account else self.env.company
        partner = self._find_partner_by_wa_id(company, event.get("from")).sudo()
        if not partner:
            return partner
        new_wa_id = event.get("new_wa_id")
        if event.get("system_type") == "user_changed_number" and new_wa_id:
            old_wa_id = partner.cobranza_wa_id or event.get("from") or ""
            partner.cobranza_wa_id = new_wa_id
            note = self.env._(
                "The customer changed their WhatsApp number from +%(old)s to +%(new)s: "
                "replies on WhatsApp now go to the new number. Reminders go to the phone "
                "on this form: change it if it is still the old number.",
                old=old_wa_id, new=new_wa_id)
        elif event.get("system_type") == "user_changed_user_id":
            note = self.env._("WhatsApp reports that the customer's WhatsApp user ID "
                              "changed.")
        else:
            note = self.env._("WhatsApp reports a change for this customer: %(text)s",
                              text=event.get("text") or event.get("system_type") or "?")
        partner.message_post(body=plaintext2html(note), message_type="comment",
                             subtype_xmlid="mail.mt_note")
        return partner

    @api.model
    def _receive_reaction(self, account, event):
        """A customer's emoji on one of our messages, found by its wamid within the account:
        kept on that message and noted on the customer and the invoices. It is not a reply:
        no intent, no work item, no person. Returns whether the message is known (if not,
        the event waits for it, like a status)."""
        wamid = event.get("reacted_to")
        message = self.search([("wamid", "=", wamid), ("account_id", "=", account.id),
                               ("direction", "=", "out")], limit=1) \
            if wamid and account else self.browse()
        if not message:
            return False
        emoji = event.get("emoji") or ""
        message.write({"reaction_emoji": emoji or False,
                       "reacted_at": self._event_time(event)})
        sent = format_datetime(self.env, message.sent_at or message.create_date,
                               tz=message.partner_id.tz or "UTC", dt_format="short")
        if emoji:
            note = self.env._("The customer reacted %(emoji)s to the WhatsApp message of "
                              "%(date)s.", emoji=emoji, date=sent)
        else:
            note = self.env._("The customer removed their reaction to the WhatsApp message "
                              "of %(date)s.", date=sent)
        for record in [message.partner_id, *message.move_ids]:
            record.sudo().message_post(body=plaintext2html(note), message_type="comment",
                                       subtype_xmlid="mail.mt_note")
        return True

    def _attach_inbound_media(self, account, media):
        """Keep a receipt or photo the customer sent; a failed download loses nothing else."""
        if not media or not media.get("id") or not account:
            return self.env["ir.attachment"]
        try:
            content, mimetype = account._graph_api().download_media(media["id"])
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

    # === REPLIES UNDERSTOOD AND ACTED ON === #

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
        mode = self.company_id[f"cobranza_intent_{result.intent}"] \
            if result.intent in intent_tools.ACTIONABLE_INTENTS else "none"
        in_group = result.intent == "stop" and event.get("group_id")
        if in_group:
            # Written in a group, to everyone in it: never an opt-out from our messages.
            mode = "none"
        if result.intent == "stop" and mode == "auto":
            # An opt-out is honoured even when the reply is angry; a person still follows up.
            self._on_stop(result, today)
            if result.needs_person:
                self._hand_to_person(result, today)
        elif result.needs_person or result.intent == "unknown" or mode == "person":
            self._hand_to_person(result, today)
        elif mode == "auto":
            handler = self._reply_handlers().get(result.intent)
            if handler:
                getattr(self, handler)(result, today)
            else:
                self._hand_to_person(result, today)
        if in_group and not self.action_taken:
            self.action_taken = self.env._("Written in a group: not taken as a request to "
                                           "stop messages")
        return result

    @api.model
    def _reply_handlers(self):
        """Intent -> the name of the method acting on it (``method(result, today)``). Each
        file adding answers extends this with super()."""
        return dict(REPLY_HANDLERS)

    def _open_moves(self):
        """What the reply is about: its invoices still open, else all the customer owes."""
        return self._unpaid_moves() or self.env["account.move"].sudo().search([
            *receivable.OPEN_RECEIVABLE_DOMAIN,
            ("commercial_partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ])

    def _quote(self):
        return (self.body or "")[:QUOTE_CHARS]

    def _hand_to_person(self, result, today=None):
        partner = self.partner_id.sudo().with_company(self.company_id)
        partner.cobranza_handoff = True
        # The reply waits in the work queue until a collector closes it (which ends the
        # hand-off).
        self.sudo().needs_person = True
        collector = partner._cobranza_collector(self.company_id)
        activity_type = self.env.ref("cobranza_whatsapp.mail_activity_type_collection_call")
        existing = partner.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        labels = dict(self._fields["intent"]._description_selection(self.env))
        # Plain text made HTML: what the customer wrote is shown as written, escaped.
        note = plaintext2html(self.env._(
            "The customer wrote: \"%(text)s\" (understood as %(intent)s, confidence "
            "%(confidence)s). Reply from the WhatsApp message or call them.",
            text=self._quote(), intent=labels.get(result.intent),
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
        moves.sudo().write({
            "cobranza_paused_until": today + datetime.timedelta(days=PAID_CLAIM_PAUSE_DAYS)})
        accountant = self.env["cobranza.payment.notification"]._accountant_for(self.company_id)
        self.partner_id.sudo().activity_schedule(
            "mail.mail_activity_data_todo", user_id=accountant.id,
            summary=self.env._("Customer says it paid: verify the payment"),
            note=plaintext2html(self.env._("Invoices %(invoices)s. Message: \"%(text)s\"",
                                           invoices=", ".join(moves.mapped("name")) or "-",
                                           text=self._quote())))
        self.action_taken = self.env._("Reminders paused %(days)s days; payment to verify",
                                       days=PAID_CLAIM_PAUSE_DAYS)

    def _on_promise(self, result, today):
        date = result.promise_date or today + datetime.timedelta(days=UNDATED_PROMISE_DAYS)
        if self.env["cobranza.promise"]._hand_over_beyond_horizon(self, result, date, today):
            return
        promise = self.env["cobranza.promise"].sudo()._record(
            self.partner_id, self._open_moves(), date,
            amount=float(result.amount) if result.amount else None, message=self,
            note=self.body)
        self.action_taken = self.env._("Promise to pay recorded for %(date)s",
                                       date=format_date(self.env, promise.date))

    def _on_plan(self, result, today):
        """A plan proposed within the company's rules and a collector asked to agree it:
        never the offer again (it asks for this very answer)."""
        plan, problem = self.env["cobranza.payment.plan"].sudo()._propose(
            self.partner_id, self._open_moves(), message=self)
        if not plan:
            self._hand_to_person(result, today)
            self.action_taken = problem
        elif problem:
            self.sudo().needs_person = True
            self.action_taken = self.env._(
                "Payment plan %(plan)s proposed, outside the rules: a person decides",
                plan=plan.name)
        else:
            self.action_taken = self.env._(
                "Payment plan %(plan)s proposed for a collector to agree", plan=plan.name)

    def _on_dispute(self, result, today):
        moves = self.move_ids or self._open_moves()
        moves.sudo().write({"cobranza_disputed": True,
                            "cobranza_exclusion_reason": (self.body or "")[:REASON_CHARS]})
        self._hand_to_person(result, today)
        self.action_taken = self.env._("Invoices marked disputed; handed to a person")

    def _on_stop(self, result, today):
        # The customer stops this company's messages, the business it wrote to.
        partner = self.partner_id.sudo().with_company(self.company_id)
        partner.write({"cobranza_optout_date": fields.Datetime.now(),
                       "cobranza_optout_reason": (self.body or "")[:REASON_CHARS]})
        queued = self.sudo().search([("partner_id", "=", partner.id), ("state", "=", "queued"),
                                     ("company_id", "=", self.company_id.id),
                                     ("channel", "in", ("whatsapp", "sms"))])
        queued._set_cancelled(self.env._("The customer asked to stop messages."))
        self.action_taken = self.env._("WhatsApp stopped for this customer")
