from odoo import fields, models

OUTCOMES = [
    ("solved", "Solved with the customer"),
    ("follow_up", "Talked to the customer: reminders resume"),
    ("unreachable", "Could not reach the customer"),
]


class CobranzaWorkItemClose(models.TransientModel):
    """A collector closes work items with what came of them; the automation takes over."""

    _name = "cobranza.work.item.close"
    _description = "Close Work Items"

    outcome = fields.Selection(OUTCOMES, required=True, default="solved")
    note = fields.Text(help="What was agreed, for whoever reads the customer's history.")
    item_count = fields.Integer(compute="_compute_item_count")

    def _items(self):
        return self.env["cobranza.work.item"].browse(self.env.context.get("active_ids", []))

    def _compute_item_count(self):
        for wizard in self:
            wizard.item_count = len(wizard._items())

    def action_close(self):
        self.ensure_one()
        self._items()._close(self.outcome, self.note)
        return {"type": "ir.actions.act_window_close"}
