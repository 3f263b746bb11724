import time

from odoo import fields, models

# Odoo's SMS states (``sms.sms``) as a collection message's status: ``pending`` is what
# Odoo shows as "Sent" (IAP took it), ``sent`` its "Delivered" (the delivery report).
SMS_STATE_TO_STATUS = {"pending": "sent", "sent": "delivered", "error": "failed",
                       "canceled": "cancelled"}


class SmsTracker(models.Model):
    """The collection message an SMS was sent for, kept up to date the way Odoo keeps its
    notifications and mailing traces: from IAP's answer when the SMS leaves and from its
    delivery reports later (``sms.sms._send_with_api``, ``/sms/status``)."""

    _inherit = "sms.tracker"

    cobranza_message_id = fields.Many2one("cobranza.message", string="Collection Message",
                                          index="btree_not_null", ondelete="cascade",
                                          readonly=True)

    def _action_update_from_sms_state(self, sms_state, failure_type=False,
                                      failure_reason=False):
        result = super()._action_update_from_sms_state(
            sms_state, failure_type=failure_type, failure_reason=failure_reason)
        self._cobranza_update(sms_state, failure_type, failure_reason)
        return result

    def _action_update_from_provider_error(self, provider_error):
        error_status, failure_type, failure_reason = super()._action_update_from_provider_error(
            provider_error)
        self._cobranza_update("error", failure_type, failure_reason)
        return error_status, failure_type, failure_reason

    def _cobranza_update(self, sms_state, failure_type, failure_reason):
        """Odoo's SMS outcome through the messages' one status path."""
        status = SMS_STATE_TO_STATUS.get(sms_state)
        trackers = self.filtered("cobranza_message_id")
        if not status or not trackers:
            return
        Message = self.env["cobranza.message"].sudo()
        events = []
        for tracker in trackers:
            message = tracker.cobranza_message_id
            event = {"kind": "status", "message_id": message.id, "status": status,
                     "timestamp": int(time.time())}
            if status == "failed":
                event["errors"] = [{"code": 0, "title": Message._sms_failure_reason(
                    message, failure_type, failure_reason)}]
            events.append(event)
        Message._apply_statuses(events)
