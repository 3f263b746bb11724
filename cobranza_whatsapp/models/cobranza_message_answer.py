import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import pdf

from ..tools import meta_api

_logger = logging.getLogger(__name__)


class CobranzaMessageAnswer(models.AbstractModel):
    """Messages the automation or a collector writes outside the cadence: a company's
    template for a purpose (thanks, broken promise, plan), a collector's free-form reply,
    and the automatic answers to a customer's question inside the window they opened."""

    _name = "cobranza.message.answer"
    _description = "Collection Message Answer"

    # What an interactive message offers (Meta's ``interactive`` object, checked by
    # ``meta_api.check_interactive``); a document answer's invoices are its ``move_ids``.
    content = fields.Json(readonly=True, copy=False)
    answer_to_id = fields.Many2one(
        "cobranza.message", readonly=True, index="btree_not_null",
        help="The customer's message this one answers: WhatsApp shows it as a reply to it.")
    auto_answer = fields.Boolean(
        readonly=True,
        help="Written and sent by the automation, not by a person.")

    # === MESSAGES FOR A PURPOSE AND FREE-FORM REPLIES === #

    @api.model
    def _queue_purpose(self, partner, moves, purpose):
        """Queue the company's template for this purpose (thanks, broken promise, plan…),
        when the customer can receive WhatsApp."""
        company = moves[:1].company_id or self.env.company
        if purpose == "thanks" and not company.cobranza_send_thanks:
            return self.browse()
        template = self.env["cobranza.whatsapp.template"].sudo().search([
            ("company_id", "=", company.id), ("purpose", "=", purpose),
            ("status", "=", "approved"),
        ], limit=1)
        if not template or partner.with_company(company).cobranza_consent != "optin" or \
                not partner.cobranza_whatsapp_number:
            return self.browse()
        return self.create(self._outbound_values(partner, moves, company,
                                                 template_id=template.id))

    @api.model
    def _send_text(self, partner, body, reply_to=None):
        """Free-form text, which Meta only accepts within 24 h of the customer's message.

        It goes through the sender like any message (the outbox, the journal, the one
        client): queued with the caller's transaction and posted by the send cron, woken now.
        """
        company = reply_to.company_id if reply_to else self.env.company
        # The window and the consent are the answering company's own.
        partner = partner.commercial_partner_id.with_company(company)
        if not partner.cobranza_window_until or \
                partner.cobranza_window_until < fields.Datetime.now():
            raise UserError(self.env._(
                "%(customer)s has not written in the last 24 hours: WhatsApp only allows an "
                "approved template now.", customer=partner.display_name))
        if partner.cobranza_consent == "optout":
            raise UserError(self.env._("%(customer)s asked not to receive WhatsApp messages.",
                                       customer=partner.display_name))
        account = self.env["cobranza.whatsapp.account"].sudo()._get_for_company(company)
        if not account:
            raise UserError(self.env._("No active WhatsApp account for %(company)s.",
                                       company=company.name))
        try:
            meta_api.build_text_payload("0", body)
        except ValueError as error:
            raise UserError(self.env._(str(error))) from None
        message = self.sudo().create(self._outbound_values(
            partner, reply_to.move_ids if reply_to else self.env["account.move"], company,
            kind="text", body=body, account_id=account.id,
            answer_to_id=reply_to.id if reply_to else False))
        self._trigger_sender()
        return message

    # === AUTOMATIC ANSWERS === #

    def _answer(self, body, *, buttons=(), list_button=None, sections=(), header=None,
                footer=None, document_moves=None, moves=None):
        """Answer this customer's message (an inbound one) by WhatsApp, inside the 24-hour
        window it opened: a text, reply buttons (`buttons`: (id, title) pairs), a list
        (`list_button` and `sections`, see ``meta_api.list_message``) or the PDF of
        `document_moves` with `body` as its caption. It is queued and sent by the sender like
        any message, threaded to the customer's message, logged on the customer and on the
        invoices (`moves`, the document's invoices, else the reply's).

        Returns the queued message, or an empty recordset when the automation must not
        answer: the company answers nothing by itself, the customer opted out, the window
        closed, no active account, or a message Meta would refuse (the caller then hands
        the reply to a person)."""
        self.ensure_one()
        company = self.company_id
        empty = self.browse()
        partner = self.partner_id.with_company(company)
        if not company.cobranza_auto_answers or partner.cobranza_consent == "optout" or \
                not partner.cobranza_window_until or \
                partner.cobranza_window_until < fields.Datetime.now():
            return empty
        account = self.account_id or self.env["cobranza.whatsapp.account"].sudo() \
            ._get_for_company(company)
        if not account or account.state != "active":
            return empty
        content, kind, shown = False, "text", body
        try:
            if document_moves:
                kind = "document"
                if body:
                    meta_api.check_caption(body)
            elif buttons or sections:
                kind = "interactive"
                content = meta_api.reply_buttons(body, buttons, header=header, footer=footer) \
                    if buttons else meta_api.list_message(body, list_button, sections,
                                                          header=header, footer=footer)
                shown = self._interactive_text(content)
            else:
                meta_api.build_text_payload("0", body)
        except ValueError as error:
            _logger.warning("Automatic answer to message %s not sent: %s", self.id, error)
            return empty
        if document_moves:
            moves = document_moves
            shown = body or self.env._("Invoice %(names)s (PDF)",
                                       names=", ".join(document_moves.mapped("name")))
        elif moves is None:
            moves = self.move_ids
        message = self.sudo().create(self._outbound_values(
            partner, moves or self.env["account.move"], company, kind=kind, body=shown,
            content=content, account_id=account.id, answer_to_id=self.id, auto_answer=True))
        self._trigger_sender()
        return message

    @api.model
    def _interactive_text(self, interactive):
        """An interactive message as the conversation and the chatter show it: its text,
        then one line per button or row."""
        lines = [(interactive.get("header") or {}).get("text"), interactive["body"]["text"],
                 (interactive.get("footer") or {}).get("text")]
        action = interactive["action"]
        if interactive["type"] == "button":
            lines += [f"[{b['reply']['title']}]" for b in action["buttons"]]
        else:
            lines.append(f"[{action['button']}]")
            lines += [f"- {row['title']}" + (f": {row['description']}"
                                             if row.get("description") else "")
                      for section in action["sections"] for row in section["rows"]]
        return "\n".join(line for line in lines if line)

    def _free_form_payload(self, to, account):
        """The payload of a text, interactive or document message (inside the window)."""
        reply_to = self.answer_to_id.wamid or None
        if self.kind == "interactive":
            return meta_api.build_interactive_payload(to, self.content, reply_to=reply_to)
        if self.kind == "document":
            return meta_api.build_document_payload(
                to, self._answer_document(account), caption=self.body or None,
                reply_to=reply_to)
        return meta_api.build_text_payload(to, self.body or "", reply_to=reply_to)

    def _answer_document(self, account):
        """The PDF of the message's invoices (several: one file), uploaded to Meta."""
        moves = self.move_ids.sudo().sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        if not moves:
            raise meta_api.PayloadError(meta_api.NO_DOCUMENT_REASON)
        if len(moves) == 1:
            filename = f"{moves.name.replace('/', '_')}.pdf"
            content = moves._cobranza_pdf_content()
        else:
            filename = self.env._("Invoices_%(name)s.pdf",
                                  name=(self.partner_id.name or "").replace(" ", "_")[:40])
            content = pdf.merge_pdf([move._cobranza_pdf_content() for move in moves])
        media_id = self.env["cobranza.whatsapp.media"].sudo()._get_media_id(
            account, content, filename)
        return {"id": media_id, "filename": filename}

    @api.model
    def _trigger_sender(self):
        """Wake the send cron (as ``sms`` does for its queue): a message queued by a request
        goes out in a moment, posted from the cron's own transaction, once."""
        senders = self.env["ir.cron"].sudo().search([
            ("model_id.model", "=", "cobranza.message"), ("code", "=", "model._cron_send()")])
        for cron in senders or self.env.ref("cobranza_whatsapp.ir_cron_send"):
            cron._trigger()

    def _note_reply_on_customer(self):
        """The answer, once Meta took it, on the customer's timeline (and, for an automatic
        answer, on its invoices' too)."""
        if self.auto_answer:
            title = self.env._("Automatic WhatsApp answer:")
            records = [self.partner_id, *self.move_ids]
        else:
            title = self.env._("WhatsApp reply by %(user)s:", user=self.env.user.name)
            records = [self.partner_id]
        body = Markup("<p>%s</p><p>%s</p>") % (title, self.body or "")
        for record in records:
            record.sudo().message_post(body=body, message_type="comment",
                                       subtype_xmlid="mail.mt_note")
