from odoo import fields, models
from odoo.tools import SQL

BUCKETS = [
    ("0_not_due", "Not Due"),
    ("1_30", "1-30 Days"),
    ("31_60", "31-60 Days"),
    ("61_90", "61-90 Days"),
    ("91_plus", "Over 90 Days"),
]


class CobranzaAgingReport(models.Model):
    """One row per open customer invoice, in the bucket of its days overdue today.

    The amounts are the invoices' residuals in the company's currency: the buckets of a
    company add up to its open customer invoices. (The keys start with their order so that
    the buckets come out in it.)
    """

    _name = "cobranza.aging.report"
    _description = "Receivables Aging"
    _auto = False
    _order = "days_overdue desc"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    risk = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")], string="Risk Segment",
        readonly=True)
    invoice_date_due = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(aggregator="avg", readonly=True)
    bucket = fields.Selection(BUCKETS, string="Age", readonly=True)
    amount_residual = fields.Monetary(string="Amount Due", readonly=True)
    invoice_count = fields.Integer(string="Invoices", readonly=True)

    @property
    def _table_query(self):
        today = fields.Date.context_today(self)
        return SQL(
            """
            SELECT m.id, m.id AS move_id, m.company_id, c.currency_id,
                   m.commercial_partner_id AS partner_id, %(risk)s AS risk,
                   m.invoice_date_due, 1 AS invoice_count,
                   GREATEST(%(today)s::date - COALESCE(m.invoice_date_due, m.invoice_date), 0)
                       AS days_overdue,
                   CASE WHEN COALESCE(m.invoice_date_due, m.invoice_date) >= %(today)s::date
                            THEN '0_not_due'
                        WHEN %(today)s::date - m.invoice_date_due <= 30 THEN '1_30'
                        WHEN %(today)s::date - m.invoice_date_due <= 60 THEN '31_60'
                        WHEN %(today)s::date - m.invoice_date_due <= 90 THEN '61_90'
                        ELSE '91_plus' END AS bucket,
                   m.amount_residual_signed AS amount_residual
              FROM account_move m
              JOIN res_partner p ON p.id = m.commercial_partner_id
              JOIN res_company c ON c.id = m.company_id
             WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
               AND m.payment_state IN ('not_paid', 'partial')
               AND m.amount_residual_signed > 0
            """,
            today=today,
            # The customer as the invoice's company sees it (company-dependent fields).
            risk=self.env["res.partner"]._cobranza_risk_sql("p", SQL("m.company_id")),
        )

    def _search(self, domain, *args, **kwargs):
        # A view over other models' tables: what the ORM holds in memory must be in them.
        self.env.flush_all()
        return super()._search(domain, *args, **kwargs)
