import time
import zlib

from odoo import api, models
from odoo.addons.sms.tools.sms_api import SmsApiBase

from ..tools import graph_api, meta_api

# What simulated customers answer (in Spanish, like the demo's customers): one of each
# intent the replies are read for, so the demo shows every path of the work queue.
SIMULATED_REPLIES = (
    "Ya pagué ayer por transferencia, les envío el comprobante",
    "Le pago el viernes sin falta",
    "¿Me pueden dar un plan de pagos en 3 cuotas?",
    "Esa factura no corresponde, el pedido llegó incompleto",
    "Quiero hablar con un asesor por favor",
    "Gracias, lo reviso con contabilidad",
    "Buenas, cuanto debo en total?",
    "Me puede reenviar la factura por favor",
    "A que cuenta les deposito?",
)


class SandboxSmsApi(SmsApiBase):
    """Odoo's SMS service as the sandbox plays it: every SMS taken, none sent anywhere."""

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        return [{"uuid": number["uuid"], "state": "success"}
                for message in messages for number in message["numbers"]]


class CobranzaWhatsappSandbox(models.AbstractModel):
    """Meta's webhooks for sandbox accounts, so nothing leaves the server.

    Meta's answers to calls are simulated by ``tools/graph_api.SandboxGraphApi``; this model
    plays the other half: sent messages get Meta-shaped status updates (and, as the account
    says, customers' replies) that go through the same webhook processing as real ones.
    SMS and e-mail are simulated too, where they would leave the server (IAP's call, the
    SMTP session), so Odoo's own handling of the outcome runs as for real ones.
    """

    _name = "cobranza.whatsapp.sandbox"
    _description = "WhatsApp Sandbox"

    @api.model
    def _simulate_statuses(self, messages):
        """Meta's status webhooks for sandbox sends: sent, delivered, and read for most.

        They are built in Meta's envelope and parsed by the same code as real webhooks,
        so the demo exercises the real status handling.
        """
        now = int(time.time())
        statuses = []
        for message in messages.filtered("wamid"):
            progression = ["sent", "delivered"]
            if zlib.crc32(message.wamid.encode()) % 10 < 7:
                progression.append("read")
            for offset, status in enumerate(progression):
                statuses.append({
                    "id": message.wamid,
                    "status": status,
                    "timestamp": str(now + offset * 5),
                    "recipient_id": message.wa_id or "",
                    "biz_opaque_callback_data": meta_api.callback_data(message.id),
                    "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                                "category": "utility"},
                })
        if not statuses:
            return
        payload = {"object": "whatsapp_business_account", "entry": [{
            "id": messages[:1].account_id.waba_id or "sandbox",
            "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "", "phone_number_id": "sandbox"},
                "statuses": statuses,
            }}],
        }]}
        self.env["cobranza.message"]._apply_statuses(
            [event for event in meta_api.parse_webhook(payload) if event["kind"] == "status"])
        self._simulate_clicks(messages)
        self._simulate_replies(messages, now + 60)

    @api.model
    def _simulate_clicks(self, messages):
        """Half the simulated customers who read a reminder open its pay link, as a click
        through the pay link's tracker (``link.tracker.click``), so the demo's funnel goes
        from read to clicked to paid."""
        Click = self.env["link.tracker.click"].sudo()
        for message in messages.filtered(lambda m: m.state == "read" and m.kind == "template"
                                         and m.company_id.cobranza_click_tracking):
            if zlib.crc32(("click:" + message.wamid).encode()) % 2:
                continue
            tracker = self.env["link.tracker"].sudo().search(
                [("cobranza_move_id", "in", message.move_ids.ids)], limit=1)
            if tracker:
                Click.add_click(tracker.code, ip="198.51.100.7", country_code=False,
                                cobranza_message_id=message.id)

    @api.model
    def _simulate_replies(self, messages, timestamp):
        """Some customers answer, as the account's reply rate says, through the webhook path.

        The reply is a Meta-shaped inbound message quoting ours (``context``), stored and
        understood exactly like a real one, so the demo's work queue and promises fill up.
        """
        by_account = {}
        for message in messages.filtered(lambda m: m.wamid and m.wa_id and m.direction == "out"):
            account = message.account_id
            if account.mode != "sandbox" or not account.sandbox_reply_rate:
                continue
            draw = zlib.crc32(("reply:" + message.wamid).encode())
            if message.kind == "interactive":
                # Most customers tap one of the options an automatic answer offers.
                reply = self._simulated_tap(message, draw)
            elif message.kind == "template" and draw % 100 < account.sandbox_reply_rate:
                text = SIMULATED_REPLIES[(draw // 100) % len(SIMULATED_REPLIES)]
                reply = {"type": "text", "text": {"body": text}}
                if text == SIMULATED_REPLIES[0]:
                    # The one who paid sends the receipt: a proof of payment to verify.
                    reply = {"type": "image", "image": {
                        "id": graph_api.SANDBOX_RECEIPT + message.wamid[-12:],
                        "mime_type": "image/png", "sha256": "sandbox",
                        "caption": "Ya pagué ayer por transferencia, aquí el comprobante"}}
            else:
                continue  # nobody answers a plain answer or a document
            if not reply:
                continue
            by_account.setdefault(account, []).append({
                "from": message.wa_id,
                "id": "wamid.SANDBOXIN" + message.wamid[-24:],
                "timestamp": str(timestamp),
                "context": {"from": account.display_phone_number or "", "id": message.wamid},
                **reply,
            })
        for account, inbound in by_account.items():
            contacts = [{"wa_id": m["from"], "profile": {"name": ""}} for m in inbound]
            payload = {"object": "whatsapp_business_account", "entry": [{
                "id": account.waba_id or "sandbox",
                "changes": [{"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "", "phone_number_id": "sandbox"},
                    "contacts": contacts,
                    "messages": inbound,
                }}],
            }]}
            self.env["cobranza.webhook.event"].sudo()._handle_payload(account, payload)

    @api.model
    def _simulated_tap(self, message, draw):
        """A customer's tap on a button or a row of an interactive message (its first
        option, as most do; one in five does not answer)."""
        content = message.content or {}
        action = content.get("action") or {}
        if draw % 5 == 0:
            return None
        if content.get("type") == "button" and action.get("buttons"):
            option = action["buttons"][0]["reply"]
            return {"type": "interactive", "interactive": {
                "type": "button_reply", "button_reply": {"id": option["id"],
                                                         "title": option["title"]}}}
        rows = [row for section in action.get("sections") or [] for row in section["rows"]]
        if content.get("type") == "list" and rows:
            return {"type": "interactive", "interactive": {
                "type": "list_reply", "list_reply": {"id": rows[0]["id"],
                                                     "title": rows[0]["title"]}}}
        return None

    @api.model
    def _simulate_sms(self, sms):
        """IAP's answer and delivery report for sandbox SMS, through Odoo's own handling
        of them (``sms.sms._send_with_api``, ``sms.tracker``): no request is made."""
        sms = sms.sudo()
        sms.with_context(sms_api=SandboxSmsApi(self.env))._send(unlink_failed=False,
                                                                unlink_sent=True)
        self.env["sms.tracker"].sudo().search(
            [("sms_uuid", "in", sms.mapped("uuid"))])._action_update_from_sms_state("sent")

    @api.model
    def _simulate_email(self, mails):
        """The mail server's acceptance of sandbox e-mails, through Odoo's own
        post-processing of a sent mail (``mail.mail._postprocess_sent_message``): no SMTP
        connection is made."""
        for mail in mails.sudo():
            mail.write({"state": "sent", "failure_type": False, "failure_reason": False})
            mail._postprocess_sent_message(success_pids=mail.recipient_ids.ids,
                                           success_emails=[])
