from odoo import fields, models, tools
from odoo.tools import SQL

from ..tools.message_state import STATES

# An inbound message this soon after ours counts as a reply to it.
REPLY_HOURS = 72
# A payment this many days after a message counts as converted by it.
CONVERSION_DAYS = 7


class CobranzaMessageReport(models.Model):
    """One row per outbound message that left (or failed to): what happened after it.

    Rates are 0/100 per row averaged by the pivot, so any grouping (template, channel,
    level, variant, segment, week) gives its delivery, read, reply and conversion rates.
    """

    _name = "cobranza.message.report"
    _description = "Collection Message Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "message_id"

    message_id = fields.Many2one("cobranza.message", readonly=True)
    date = fields.Datetime(string="Sent On", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    risk = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")], string="Risk Segment",
        readonly=True)
    level_id = fields.Many2one("cobranza.level", readonly=True)
    template_id = fields.Many2one("cobranza.whatsapp.template", readonly=True)
    template_label = fields.Char(
        string="Message Purpose", readonly=True,
        help="The template's description, else its level's name: what the message is for.")
    channel = fields.Selection(
        [("whatsapp", "WhatsApp"), ("sms", "SMS"), ("email", "E-mail")], readonly=True)
    ab_variant = fields.Selection([("a", "A"), ("b", "B")], string="Variant", readonly=True)
    state = fields.Selection(STATES, readonly=True)
    pricing_category = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    message_count = fields.Integer(string="Messages", readonly=True)
    delivered_rate = fields.Float(string="Delivery Rate (%)", aggregator="avg", readonly=True)
    read_rate = fields.Float(string="Read Rate (%)", aggregator="avg", readonly=True)
    reply_rate = fields.Float(string="Reply Rate (%)", aggregator="avg", readonly=True,
                              help="Messages answered by the customer within 72 hours.")
    conversion_rate = fields.Float(
        string="Paid within 7 Days (%)", aggregator="avg", readonly=True,
        help="Messages followed by a payment on their invoices within 7 days.")
    delivered_count = fields.Integer(string="Delivered", readonly=True)
    read_count = fields.Integer(string="Read", readonly=True)
    replied = fields.Integer(string="Replies", readonly=True)
    converted = fields.Integer(string="Paid", readonly=True)
    amount_collected = fields.Monetary(string="Collected within 7 Days", readonly=True)
    cost = fields.Monetary(readonly=True,
                           help="Billable messages at the company's Meta prices.")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT m.id, m.id AS message_id, s.sent AS date, m.company_id, m.partner_id,
                   p.country_id, %(collector)s AS collector_id, %(risk)s AS risk,
                   m.level_id, m.template_id,
                   COALESCE(NULLIF(t.label->>%(lang)s, ''), NULLIF(t.label->>'en_US', ''),
                            lv.name->>%(lang)s, lv.name->>'en_US', t.name) AS template_label,
                   m.channel, m.ab_variant, m.state,
                   m.pricing_category, c.currency_id, 1 AS message_count,
                   CASE WHEN m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL
                          OR m.state IN ('delivered', 'read') THEN 100.0 ELSE 0.0 END
                       AS delivered_rate,
                   CASE WHEN m.read_at IS NOT NULL OR m.state = 'read' THEN 100.0 ELSE 0.0 END
                       AS read_rate,
                   CASE WHEN reply.id IS NOT NULL THEN 100.0 ELSE 0.0 END AS reply_rate,
                   CASE WHEN paid.amount > 0 THEN 100.0 ELSE 0.0 END AS conversion_rate,
                   CASE WHEN m.delivered_at IS NOT NULL OR m.read_at IS NOT NULL
                          OR m.state IN ('delivered', 'read') THEN 1 ELSE 0 END AS delivered_count,
                   CASE WHEN m.read_at IS NOT NULL OR m.state = 'read' THEN 1 ELSE 0 END
                       AS read_count,
                   CASE WHEN reply.id IS NOT NULL THEN 1 ELSE 0 END AS replied,
                   CASE WHEN paid.amount > 0 THEN 1 ELSE 0 END AS converted,
                   COALESCE(paid.amount, 0.0) AS amount_collected,
                   CASE WHEN NOT COALESCE(m.billable, FALSE) THEN 0.0
                        ELSE CASE lower(COALESCE(m.pricing_category, ''))
                             WHEN 'utility' THEN COALESCE(c.cobranza_price_utility, 0.0)
                             WHEN 'marketing' THEN COALESCE(c.cobranza_price_marketing, 0.0)
                             WHEN 'authentication'
                                 THEN COALESCE(c.cobranza_price_authentication, 0.0)
                             WHEN 'service' THEN COALESCE(c.cobranza_price_service, 0.0)
                             ELSE 0.0 END
                   END AS cost
              FROM cobranza_message m
              JOIN res_partner p ON p.id = m.partner_id
              JOIN res_company c ON c.id = m.company_id
         LEFT JOIN cobranza_whatsapp_template t ON t.id = m.template_id
         LEFT JOIN cobranza_level lv ON lv.id = m.level_id
         LEFT JOIN LATERAL (SELECT COALESCE(m.sent_at, m.failed_at, m.create_date) AS sent) s
                ON TRUE
         LEFT JOIN LATERAL (
                   SELECT i.id FROM cobranza_message i
                    WHERE i.direction = 'in' AND i.partner_id = m.partner_id
                      AND i.company_id = m.company_id
                      AND i.create_date >= s.sent
                      AND i.create_date < s.sent + make_interval(hours => %(reply_hours)s)
                    LIMIT 1
                   ) reply ON TRUE
         LEFT JOIN LATERAL (
                   SELECT sum(apr.amount) AS amount
                     FROM cobranza_message_account_move_rel r
                     JOIN account_move_line dl ON dl.move_id = r.move_id
                     JOIN account_partial_reconcile apr ON apr.debit_move_id = dl.id
                     JOIN account_move_line cl ON cl.id = apr.credit_move_id
                     JOIN account_move cm ON cm.id = cl.move_id
                    WHERE r.message_id = m.id AND cm.move_type != 'out_refund'
                      AND apr.max_date >= s.sent::date
                      AND apr.max_date <= s.sent::date + %(conversion_days)s
                   ) paid ON TRUE
             WHERE m.direction = 'out' AND m.channel != 'call'
               AND m.state IN ('sent', 'delivered', 'read', 'failed')
            """,
            reply_hours=REPLY_HOURS, conversion_days=CONVERSION_DAYS,
            lang=self.env.lang or "en_US",
            # The customer as the message's company sees it (company-dependent fields).
            collector=self.env["res.partner"]._cobranza_sql(
                "p", "cobranza_collector_id", SQL("m.company_id")),
            risk=self.env["res.partner"]._cobranza_risk_sql("p", SQL("m.company_id")),
        )

    def init(self):
        # The reply lookup walks a customer's inbound messages by date (in the company).
        tools.create_index(self.env.cr, "cobranza_message_partner_in_idx", "cobranza_message",
                           ["partner_id", "create_date"], where="direction = 'in'")

    def _search(self, domain, *args, **kwargs):
        # A view over other models' tables: what the ORM holds in memory must be in them.
        self.env.flush_all()
        return super()._search(domain, *args, **kwargs)
