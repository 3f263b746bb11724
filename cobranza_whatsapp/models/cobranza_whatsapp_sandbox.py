import time
import uuid
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
    """Meta's side of the conversation for sandbox accounts, so nothing leaves the server.

    It answers with the shapes the Graph API uses, so everything above the HTTP call runs
    unchanged; templates are approved at once, and sent messages get Meta-shaped status
    updates that go through the same webhook processing as real ones.
    """

    _name = "cobranza.whatsapp.sandbox"
    _description = "WhatsApp Sandbox"

    @api.model
    def _answer(self, account, method, endpoint, *, json=None, params=None, data=None,
                files=None):
        parts = [p for p in endpoint.split("/") if p]
        tail = parts[-1] if parts else ""
        if method == "POST" and tail == "messages":
            return self._answer_message(account, json or {})
        if method == "POST" and tail == "media":
            return {"id": f"sandbox-media-{uuid.uuid4().hex[:16]}"}
        if method == "POST" and tail == "message_templates":
            return {"id": f"sandbox-tpl-{uuid.uuid4().hex[:12]}", "status": "APPROVED",
                    "category": (json or {}).get("category", "UTILITY")}
        if method == "GET" and tail == "message_templates":
            templates = self.env["cobranza.whatsapp.template"].search(
                [("company_id", "=", account.company_id.id), ("meta_template_id", "!=", False)]
            )
            return {"data": [
                {"id": t.meta_template_id, "name": t.name, "language": t.language,
                 "status": "APPROVED", "category": t.category,
                 "quality_score": {"score": "GREEN"}}
                for t in templates
            ], "paging": {}}
        if method == "GET":
            return {"display_phone_number": account.display_phone_number or "+51 1 555 0100",
                    "verified_name": account.company_id.name, "quality_rating": "GREEN",
                    "id": account.phone_number_id or "sandbox"}
        return {"success": True}

    @api.model
    def _answer_message(self, account, payload):
        to = str(payload.get("to", ""))
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.SANDBOX{uuid.uuid4().hex.upper()}",
                          "message_status": "accepted"}],
        }

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
                    "biz_opaque_callback_data": f"cobranza:{message.id}",
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
        for event in meta_api.parse_webhook(payload):
            if event["kind"] == "status":
                self.env["cobranza.message"]._apply_status(event)
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
