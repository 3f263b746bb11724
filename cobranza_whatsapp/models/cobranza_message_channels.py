from odoo import api, models


class CobranzaMessageChannels(models.AbstractModel):
    """SMS and e-mail: handed to Odoo's own queues (``sms.sms``, ``mail.mail``), whose
    outcome comes back through ``models/sms_tracker.py`` and ``models/mail_mail.py``."""

    _name = "cobranza.message.channels"
    _description = "Collection Message on SMS and E-mail"

    def _send_sms(self):
        """Hand the SMS to Odoo's SMS queue: the message is ``sending`` until Odoo's SMS
        service (IAP) took it (``sms.tracker``, ``models/sms_tracker.py``)."""
        moves = self._unpaid_moves()
        level = self.level_id
        partner = self.partner_id
        if not partner.phone:
            self._set_failed(self.env._("The customer has no phone number for SMS."))
            return
        template = level.sms_template_id
        if not template:
            self._set_failed(self.env._("The level has no SMS template."))
            return
        move = moves[:1]
        body = template.with_context(**self._statement_context(moves))._render_field(
            "body", move.ids, compute_lang=True)[move.id]
        sms = self.env["sms.sms"].sudo().create({
            "number": partner.cobranza_whatsapp_number or partner.phone,
            "partner_id": partner.id,
            "body": body,
        })
        self.env["sms.tracker"].sudo().create({"sms_uuid": sms.uuid,
                                               "cobranza_message_id": self.id})
        self._set_sending(body=body, to_number=sms.number)
        if self._simulated():
            self.env["cobranza.whatsapp.sandbox"]._simulate_sms(sms)

    def _send_email(self):
        """Hand the e-mail to Odoo's mail queue: the message is ``sending`` until the mail
        server took it (``mail.mail``, ``models/mail_mail.py``)."""
        moves = self._unpaid_moves()
        template = self.level_id.mail_template_id
        if not template:
            self._set_failed(self.env._("The level has no e-mail template."))
            return
        if not self.partner_id.email:
            self._set_failed(self.env._("The customer has no e-mail address."))
            return
        move = moves[:1]
        template = template.with_context(**self._statement_context(moves))
        mail = self.env["mail.mail"].sudo().browse(template.sudo().send_mail(
            move.id, force_send=False, email_values={"cobranza_message_id": self.id}))
        body = template._render_field("subject", move.ids, compute_lang=True)[move.id]
        self._set_sending(body=body)
        if self._simulated():
            self.env["cobranza.whatsapp.sandbox"]._simulate_email(mail)

    def _statement_context(self, moves):
        """For an SMS or e-mail about several invoices, what the shipped templates list
        (``ctx['cobranza_statement']``): every invoice, the total, the overdue and the
        not-yet-due parts apart, formatted for the customer (Spanish, as the templates are,
        in the customer's country's formats); nothing for a single invoice."""
        if len(moves) < 2:
            return {}
        values = self.env["cobranza.whatsapp.template"]._render_values_for(
            self.partner_id, moves, self.company_id, lang="es")
        return {"cobranza_statement": {
            "count": len(moves),
            "invoices": values["invoice_numbers"],
            "total": values["amount_due"],
            "overdue": values["amount_overdue"],
            "not_due": values["amount_not_due"],
            "link": f"{moves[:1].get_base_url()}/my/invoices",
        }}

    @api.model
    def _sms_failure_reason(self, message, failure_type, failure_reason):
        """Why Odoo's SMS service did not take the SMS, in words for a collector."""
        types = dict(self.env["sms.sms"]._fields["failure_type"]._description_selection(
            self.env))
        return self._odoo_failure_reason(
            self.env._("The SMS was not sent: %(type)s.",
                       type=types.get(failure_type) or failure_type or "?"), failure_reason)

    @api.model
    def _mail_failure_reason(self, mail, failure_type, failure_reason):
        """Why the mail server did not take the e-mail, in words for a collector."""
        types = dict(mail._fields["failure_type"]._description_selection(self.env))
        return self._odoo_failure_reason(
            self.env._("The e-mail was not sent: %(type)s.",
                       type=types.get(failure_type) or failure_type or "?"), failure_reason)

    @staticmethod
    def _odoo_failure_reason(summary, detail):
        detail = str(detail or "").strip()
        return f"{summary} {detail[:500]}" if detail else summary
