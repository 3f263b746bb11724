import time

from odoo import fields, models


class MailMail(models.Model):
    """A collection e-mail tells its message what the mail server did with it."""

    _inherit = "mail.mail"

    cobranza_message_id = fields.Many2one("cobranza.message", string="Collection Message",
                                          index="btree_not_null", ondelete="set null",
                                          readonly=True)

    def _postprocess_sent_message(self, success_pids, success_emails, failure_reason=False,
                                  failure_type=None):
        # Before Odoo's post-processing, which deletes the mails marked auto_delete.
        self._cobranza_update(failure_reason, failure_type)
        return super()._postprocess_sent_message(success_pids, success_emails,
                                                 failure_reason=failure_reason,
                                                 failure_type=failure_type)

    def _cobranza_update(self, failure_reason, failure_type):
        """The mail server's outcome through the messages' one status path: ``sent`` once
        the server took the mail, ``failed`` with its reason otherwise."""
        mails = self.filtered("cobranza_message_id")
        if not mails:
            return
        Message = self.env["cobranza.message"].sudo()
        events = []
        for mail in mails:
            event = {"kind": "status", "message_id": mail.cobranza_message_id.id,
                     "status": "sent" if mail.state == "sent" else "failed",
                     "timestamp": int(time.time())}
            if event["status"] == "failed":
                event["errors"] = [{"code": 0, "title": Message._mail_failure_reason(
                    mail, failure_type or mail.failure_type,
                    failure_reason or mail.failure_reason)}]
            events.append(event)
        Message._apply_statuses(events)
