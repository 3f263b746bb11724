from odoo import fields, models


class CobranzaStep(models.Model):
    """The fact that an invoice reached a level: written once, whatever reruns or workers do.

    The unique index on (invoice, level) is what makes the cadence exactly-once; the
    cadence inserts with ``ON CONFLICT DO NOTHING`` and only queues a message for the
    rows it really inserted.
    """

    _name = "cobranza.step"
    _description = "Collection Step"
    _order = "date desc, id desc"
    _check_company_auto = True

    # (move_id, level_id) is the unique index below, which also serves lookups by invoice.
    move_id = fields.Many2one(
        "account.move", string="Invoice", required=True, ondelete="cascade"
    )
    level_id = fields.Many2one("cobranza.level", required=True, ondelete="restrict")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    message_id = fields.Many2one(
        "cobranza.message", compute="_compute_message_id",
        help="The message that carried this step (the customer's message at this level "
        "covering this invoice).",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    outcome = fields.Selection(
        [
            ("queued", "Message queued"),
            ("handoff", "Handed to a person"),
            ("skipped", "Skipped"),
        ],
        required=True,
        default="queued",
    )
    note = fields.Char()

    _move_level_uniq = models.Constraint(
        "unique(move_id, level_id)", "An invoice reaches each collection level only once."
    )

    def _compute_message_id(self):
        messages = self.env["cobranza.message"].search([
            ("move_ids", "in", self.move_id.ids), ("level_id", "in", self.level_id.ids),
            ("direction", "=", "out"), ("fallback_of_id", "=", False),
        ], order="id")
        by_key = {}
        for message in messages:
            for move in message.move_ids:
                by_key.setdefault((move.id, message.level_id.id), message)
        for step in self:
            step.message_id = by_key.get((step.move_id.id, step.level_id.id), False)
