import time
import zlib

from odoo import api, models

from ..tools import meta_api

# What simulated customers answer (in Spanish, like the demo's customers): one of each
# intent the replies are read for, so the demo shows every path of the work queue.
SIMULATED_REPLIES = (
    "Ya pagué ayer por transferencia, les envío el comprobante",
    "Le pago el viernes sin falta",
    "¿Me pueden dar un plan de pagos en 3 cuotas?",
    "Esa factura no corresponde, el pedido llegó incompleto",
    "Quiero hablar con un asesor por favor",
    "Gracias, lo reviso con contabilidad",
)


class CobranzaWhatsappSandbox(models.AbstractModel):
    """Meta's webhooks for sandbox accounts, so nothing leaves the server.

    Meta's answers to calls are simulated by ``tools/graph_api.SandboxGraphApi``; this model
    plays the other half: sent messages get Meta-shaped status updates (and, as the account
    says, customers' replies) that go through the same webhook processing as real ones.
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
        self._simulate_replies(messages, now + 60)

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
            if draw % 100 >= account.sandbox_reply_rate:
                continue
            by_account.setdefault(account, []).append({
                "from": message.wa_id,
                "id": "wamid.SANDBOXIN" + message.wamid[-24:],
                "timestamp": str(timestamp),
                "type": "text",
                "text": {"body": SIMULATED_REPLIES[(draw // 100) % len(SIMULATED_REPLIES)]},
                "context": {"from": account.display_phone_number or "", "id": message.wamid},
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
