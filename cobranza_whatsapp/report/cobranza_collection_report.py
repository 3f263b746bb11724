from odoo import fields, models
from odoo.tools import SQL


class CobranzaCollectionReport(models.Model):
    """One row per payment applied to a customer invoice, with the level it came after.

    "Amounts collected after each level" is this report grouped by level: the level is the
    highest one the invoice had reached on the payment date (none: paid before any
    reminder). Credit notes are not collections and are left out.
    """

    _name = "cobranza.collection.report"
    _description = "Collections Analysis"
    _auto = False
    _order = "date desc"

    date = fields.Date(string="Paid On", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    risk = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")], string="Risk Segment",
        readonly=True)
    level_id = fields.Many2one("cobranza.level", string="After Level", readonly=True)
    amount = fields.Monetary(string="Collected", readonly=True)
    days_after_due = fields.Float(string="Days after Due Date", aggregator="avg", readonly=True)
    days_to_collect = fields.Float(string="Days to Collect", aggregator="avg", readonly=True,
                                   help="From the invoice date to the payment.")

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT apr.id, apr.max_date AS date, m.company_id, c.currency_id, m.id AS move_id,
                   m.commercial_partner_id AS partner_id, p.country_id,
                   %s AS collector_id, %s AS risk,
                   reached.level_id, apr.amount,
                   (apr.max_date - m.invoice_date_due) AS days_after_due,
                   (apr.max_date - m.invoice_date) AS days_to_collect
              FROM account_partial_reconcile apr
              JOIN account_move_line dl ON dl.id = apr.debit_move_id
              JOIN account_move m ON m.id = dl.move_id AND m.move_type = 'out_invoice'
              JOIN account_move_line cl ON cl.id = apr.credit_move_id
              JOIN account_move cm ON cm.id = cl.move_id AND cm.move_type != 'out_refund'
              JOIN res_partner p ON p.id = m.commercial_partner_id
              JOIN res_company c ON c.id = m.company_id
         LEFT JOIN LATERAL (
                   SELECT s.level_id FROM cobranza_step s
                     JOIN cobranza_level lv ON lv.id = s.level_id
                    WHERE s.move_id = m.id AND s.date::date <= apr.max_date
                 ORDER BY lv.offset_days DESC LIMIT 1
                   ) reached ON TRUE
            """,
            # The customer as the invoice's company sees it (company-dependent fields).
            self.env["res.partner"]._cobranza_sql(
                "p", "cobranza_collector_id", SQL("m.company_id")),
            self.env["res.partner"]._cobranza_risk_sql("p", SQL("m.company_id")),
        )

    def _search(self, domain, *args, **kwargs):
        # A view over other models' tables: what the ORM holds in memory must be in them.
        self.env.flush_all()
        return super()._search(domain, *args, **kwargs)
