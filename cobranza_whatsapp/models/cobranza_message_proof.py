from odoo import fields, models

from ..tools import intent as intent_tools
from ..tools import payment_proof


class CobranzaMessageProof(models.AbstractModel):
    """A customer's image or PDF sent after a reminder, read as a proof of payment: kept as a
    ``cobranza.payment.proof`` for an accountant to verify while the reminders wait, and the
    customer told at once that it is being verified. Any other message (and a file whose
    caption says something else: a dispute, a question) is read as the inbound messages
    read it."""

    _name = "cobranza.message.proof"
    _description = "Collection Message Proof of Payment"

    def _understand(self, event):
        self.ensure_one()
        today = fields.Date.context_today(self)
        result = self._proof_reading(event, today)
        if result is None:
            return super()._understand(event)
        self.write({
            "intent": result.intent,
            "intent_confidence": result.confidence,
            "intent_evidence": ", ".join(str(e) for e in result.evidence)[:255] or False,
            "needs_person": result.needs_person,
        })
        # A proof is the customer saying it paid: the company's setting for that decides.
        mode = self.company_id.cobranza_intent_paid
        if mode == "auto":
            self._on_proof(result, today)
        elif mode == "person":
            self._hand_to_person(result, today)
        return result

    def _proof_reading(self, event, today):
        """The reply's reading when it is a proof of payment, else None: a file (an image or a
        PDF, downloaded) sent to the company's number, not in a group, by a customer who owes
        it and was reminded lately, with no caption saying something else."""
        if event.get("group_id") or event.get("type") not in payment_proof.FILE_MESSAGE_TYPES:
            return None
        files = self._proof_files()
        if not files:
            return None
        reading = intent_tools.detect_intent(self.body or "", today, payload=event.get("payload"))
        result = payment_proof.proof_reading(reading, files[:1].name)
        if result is None or not self._open_moves() or not self._reminded_lately():
            return None
        return result

    def _proof_files(self):
        return self.sudo().attachment_ids.filtered(
            lambda a: payment_proof.is_proof_file(a.mimetype))

    def _reminded_lately(self):
        """Whether this company sent the customer a reminder lately (a template that went
        out; a thanks is not one)."""
        return bool(self.sudo().search_count([
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            ("direction", "=", "out"), ("kind", "=", "template"),
            ("state", "in", ("sent", "delivered", "read")),
            ("sent_at", ">=", payment_proof.reminded_since(fields.Datetime.now())),
            "|", ("template_id", "=", False), ("template_id.purpose", "!=", "thanks"),
        ], limit=1))

    def _on_proof(self, result, today):
        """The file kept for an accountant to verify (once: the same file again is the same
        proof), the reminders held, the customer told."""
        files = self._proof_files()
        Proof = self.env["cobranza.payment.proof"].sudo()
        known = Proof._find_same(self.company_id, self.partner_id, files[:1].checksum)
        if known:
            known._received_again(self, result)
            self.action_taken = self.env._("Same file as proof of payment %(proof)s",
                                           proof=known.display_name)
            return known
        proof = Proof._record(self, self._open_moves(), files,
                              float(result.amount) if result.amount else 0.0)
        if result.needs_person:
            self._hand_to_person(result, today)
        self.action_taken = self.env._("Proof of payment to verify; reminders wait")
        return proof
