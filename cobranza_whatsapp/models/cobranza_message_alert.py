from odoo import models


class CobranzaMessageAlert(models.AbstractModel):
    """What a customer's reply means for the alerts for people: a large invoice disputed
    (``cobranza.alert``)."""

    _name = "cobranza.message.alert"
    _description = "Collection Message Alerts"

    def _on_dispute(self, result, today):
        """The invoices this reply disputes for the first time may alert the company's
        people: those already disputed were alerted when they were."""
        candidates = (self.move_ids | self._open_moves()).sudo()
        before = candidates.filtered("cobranza_disputed")
        outcome = super()._on_dispute(result, today)
        self.env["cobranza.alert"]._on_disputed(
            self, candidates.filtered("cobranza_disputed") - before)
        return outcome
