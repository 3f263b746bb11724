import datetime

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import kpi
from .cobranza_dashboard import _percent


class CobranzaDashboard(models.TransientModel):
    """The automated conversation's figures on the dashboard: of the customers' requests
    received in the period (the replies that asked for something, ``cobranza.message``
    ``resolution``), how many the automation resolved, how many went to a person, and how
    long they took. Same company, segment, level, template and channel as the message
    figures; "no data" when there was no request."""

    _inherit = "cobranza.dashboard"

    automatic_resolution_rate = fields.Float(
        compute="_compute_kpis", string="Resolved Automatically (%)",
        help="Of the customers' requests received in the period (replies that asked for "
        "something), those the automation resolved without a person.")
    reply_handoff_rate = fields.Float(
        compute="_compute_kpis", string="Requests Handed to a Person (%)",
        help="Of the customers' requests received in the period, those handed to a person "
        "(handled or still waiting).")
    avg_resolution_hours = fields.Float(
        compute="_compute_kpis", string="Average Time to Resolution (hours)",
        help="From the customer's message to its resolution, by the automation or a person, "
        "for the period's requests resolved so far.")

    @api.model
    def _kpis(self, company, date_from, date_to, risk=None, level=None, template=None,
              channel=None):
        figures = super()._kpis(company, date_from, date_to, risk=risk, level=level,
                                template=template, channel=channel)
        figures.update(self._conversation_kpis(company, date_from, date_to, risk, level,
                                               template, channel))
        return figures

    def _conversation_kpis(self, company, date_from, date_to, risk, level, template, channel):
        filters = [SQL("AND msg.level_id = %s", level.id) if level else SQL(""),
                   SQL("AND msg.template_id = %s", template.id) if template else SQL(""),
                   SQL("AND msg.channel = %s", channel) if channel else SQL("")]
        self.env.cr.execute(SQL(
            """
            SELECT count(*) FILTER (WHERE msg.resolution = 'automatic'),
                   count(*) FILTER (WHERE msg.resolution = 'person'),
                   count(*) FILTER (WHERE msg.resolution = 'open'),
                   COALESCE(sum(GREATEST(EXTRACT(EPOCH FROM msg.resolved_at - msg.received_at),
                                         0)) FILTER (WHERE msg.resolved_at IS NOT NULL), 0),
                   count(*) FILTER (WHERE msg.resolved_at IS NOT NULL)
              FROM cobranza_message msg
              JOIN res_partner p ON p.id = msg.partner_id
             WHERE msg.direction = 'in' AND msg.resolution IS NOT NULL
               AND msg.company_id = ANY(%s)
               AND msg.received_at >= %s AND msg.received_at < %s %s %s
            """,
            self._kpi_company_ids(company), fields.Datetime.to_datetime(date_from),
            fields.Datetime.to_datetime(date_to + datetime.timedelta(days=1)),
            self._risk_filter(risk, company), SQL(" ").join(filters),
        ))
        automatic, by_person, waiting, seconds, resolved = self.env.cr.fetchone()
        return {
            "automatic_resolution_rate": _percent(
                kpi.automatic_resolution_rate(automatic, by_person, waiting)),
            "reply_handoff_rate": _percent(kpi.reply_handoff_rate(automatic, by_person, waiting)),
            "avg_resolution_hours": kpi.average_hours(seconds, resolved),
        }
