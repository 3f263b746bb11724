from odoo import fields, models
from odoo.tools import SQL


class CobranzaMessageReport(models.Model):
    """The message analysis with its pay link clicks: sent, read, clicked, paid."""

    _inherit = "cobranza.message.report"

    clicked = fields.Integer(
        readonly=True,
        help="Messages whose pay link the customer opened at least once.")
    click_rate = fields.Float(string="Click Rate (%)", aggregator="avg", readonly=True)
    click_count = fields.Integer(string="Clicks", readonly=True,
                                 help="Every opening of the message's pay links.")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT r.*,
                   CASE WHEN k.clicks > 0 THEN 1 ELSE 0 END AS clicked,
                   CASE WHEN k.clicks > 0 THEN 100.0 ELSE 0.0 END AS click_rate,
                   k.clicks AS click_count
              FROM (%s) r
         LEFT JOIN LATERAL (
                   SELECT count(*) AS clicks FROM link_tracker_click c
                    WHERE c.cobranza_message_id = r.id
                   ) k ON TRUE
            """,
            super()._table_query,
        )
