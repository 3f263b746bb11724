from odoo import api, fields, models


class CobranzaWorkDone(models.Model):
    """A collector closed a work item by hand: who, when; the item leaves the queue."""

    _name = "cobranza.work.done"
    _description = "Collections Work Item Done"
    _order = "id desc"

    kind = fields.Selection(
        [("reply", "Reply waiting"), ("broken_promise", "Broken promise"),
         ("failed", "Delivery failed")],
        required=True,
    )
    res_id = fields.Integer(required=True)
    user_id = fields.Many2one("res.users", required=True, default=lambda self: self.env.user)

    _kind_res_uniq = models.Constraint(
        "unique(kind, res_id)", "This work item is already done."
    )

    @api.model
    def _mark(self, kind, res_id):
        """Idempotent: two collectors closing the same item leave one row."""
        self.check_access("create")
        self.env.cr.execute(
            "INSERT INTO cobranza_work_done (kind, res_id, user_id, create_uid, write_uid, "
            "create_date, write_date) VALUES (%s, %s, %s, %s, %s, now() at time zone 'UTC', "
            "now() at time zone 'UTC') ON CONFLICT (kind, res_id) DO NOTHING",
            (kind, res_id, self.env.uid, self.env.uid, self.env.uid),
        )
