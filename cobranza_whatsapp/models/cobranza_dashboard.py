import datetime

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..tools import kpi

RISKS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
CHANNELS = [("whatsapp", "WhatsApp"), ("sms", "SMS"), ("email", "E-mail")]
# The main KPIs shown beside their value in the previous period of the same length.
PREVIOUS = ("recovery_rate", "dso", "collected_on_overdue", "conversion_rate")
# The message report's measures from a sent message to its payment.
FUNNEL = ("message_count", "delivered_count", "read_count", "clicked", "replied", "converted")


def previous_period(date_from, date_to):
    """The period of the same length that ends the day before `date_from`."""
    days = (date_to - date_from).days + 1
    previous_to = date_from - datetime.timedelta(days=1)
    return previous_to - datetime.timedelta(days=days - 1), previous_to


def preset_period(preset, today):
    """(date_from, date_to) of a preset: the month or quarter so far, the last 30 days."""
    if preset == "month":
        return today.replace(day=1), today
    if preset == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if preset == "last_30":
        return today - datetime.timedelta(days=29), today
    raise ValueError(preset)


class CobranzaDashboard(models.TransientModel):
    """The managers' figures for a period: is the automation collecting, and at what cost.

    Invoice figures (recovery, days to collect, DSO, hand-offs, promises) follow the period,
    company and segment; message figures also follow the level, template and channel.
    The formulas are in ``tools/kpi.py`` and the README.
    """

    _name = "cobranza.dashboard"
    _description = "Collections Dashboard"
    _check_company_auto = True

    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self)
        - datetime.timedelta(days=29))
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True,
                                 default=lambda self: self.env.company,
                                 domain=lambda self: [("id", "in", self.env.companies.ids)])
    currency_id = fields.Many2one(related="company_id.currency_id")
    risk = fields.Selection(RISKS, string="Risk Segment")
    level_id = fields.Many2one("cobranza.level", check_company=True,
                               domain="[('company_id', '=', company_id)]")
    template_id = fields.Many2one("cobranza.whatsapp.template", check_company=True,
                                  domain="[('company_id', '=', company_id)]")
    channel = fields.Selection(CHANNELS)

    overdue_at_start = fields.Monetary(compute="_compute_kpis", string="Overdue at Start")
    collected_on_overdue = fields.Monetary(compute="_compute_kpis",
                                           string="Collected on It")
    recovery_rate = fields.Float(compute="_compute_kpis", string="Recovery Rate (%)")
    avg_days_to_collect = fields.Float(compute="_compute_kpis", string="Average Days to Collect")
    dso = fields.Float(compute="_compute_kpis", string="DSO (days)")
    receivable_at_end = fields.Monetary(compute="_compute_kpis", string="Receivable at End")
    credit_sales = fields.Monetary(compute="_compute_kpis", string="Net Credit Sales",
                                   help="Invoiced in the period, less its credit notes.")
    handoff_rate = fields.Float(compute="_compute_kpis", string="Hand-off Rate (%)")
    promise_kept_rate = fields.Float(compute="_compute_kpis", string="Promises Kept (%)")
    messages = fields.Integer(compute="_compute_kpis", string="Messages Sent")
    delivery_rate = fields.Float(compute="_compute_kpis", string="WhatsApp Delivered (%)")
    sms_delivery_rate = fields.Float(compute="_compute_kpis", string="SMS Delivered (%)")
    email_sent_rate = fields.Float(compute="_compute_kpis", string="E-mails Sent (%)",
                                   help="Taken by the mail server: all an e-mail can tell.")
    read_to_paid_rate = fields.Float(compute="_compute_kpis", string="Read, then Paid (%)",
                                     help="Of the messages read, those followed by the "
                                     "payment of their invoices within 7 days.")
    read_rate = fields.Float(compute="_compute_kpis", string="Read Rate (%)")
    click_rate = fields.Float(compute="_compute_kpis", string="Clicked (%)",
                              help="Messages whose pay link the customer opened.")
    click_to_paid_rate = fields.Float(
        compute="_compute_kpis", string="Clicked, then Paid (%)",
        help="Of the messages whose pay link was opened, those followed by the payment of "
        "their invoices within 7 days.")
    funnel_table = fields.Html(
        compute="_compute_funnel_table", string="Funnel", sanitize=False,
        help="Sent, read, clicked and paid, per template and channel and per channel.")
    reply_rate = fields.Float(compute="_compute_kpis", string="Reply Rate (%)")
    conversion_rate = fields.Float(compute="_compute_kpis", string="Paid within 7 Days (%)")
    collected_after_messages = fields.Monetary(compute="_compute_kpis",
                                               string="Collected within 7 Days")
    message_cost = fields.Monetary(compute="_compute_kpis", string="Cost of Messages")
    previous_date_from = fields.Date(compute="_compute_kpis", string="Previous Period")
    previous_date_to = fields.Date(compute="_compute_kpis")
    recovery_rate_previous = fields.Float(compute="_compute_kpis",
                                          string="Recovery Rate, Previous Period (%)")
    dso_previous = fields.Float(compute="_compute_kpis", string="DSO, Previous Period")
    collected_on_overdue_previous = fields.Monetary(
        compute="_compute_kpis", string="Collected on It, Previous Period")
    conversion_rate_previous = fields.Float(
        compute="_compute_kpis", string="Paid within 7 Days, Previous Period (%)")
    no_data = fields.Char(compute="_compute_kpis")
    no_data_keys = fields.Char(compute="_compute_kpis",
                               help="The KPIs without data, shown as such instead of 0.")

    def _compute_display_name(self):
        for board in self:
            board.display_name = self.env._("Collections Dashboard")

    @api.constrains("company_id")
    def _check_company_allowed(self):
        # Constraints run as superuser: the company is checked for the user who asked.
        for board in self.with_env(self.env(su=False)):
            board._kpi_company_ids(board.company_id)

    @api.depends("date_from", "date_to", "company_id", "risk", "level_id", "template_id",
                 "channel")
    def _compute_kpis(self):
        for board in self:
            filters = {"risk": board.risk, "level": board.level_id,
                       "template": board.template_id, "channel": board.channel}
            figures = self._kpis(board.company_id, board.date_from, board.date_to, **filters)
            missing = []
            for name, value in figures.items():
                if value is None:
                    missing.append(self._fields[name]._description_string(self.env))
                    value = 0
                board[name] = value
            board.no_data = ", ".join(missing) if missing else False
            previous_from, previous_to = previous_period(board.date_from, board.date_to)
            board.previous_date_from, board.previous_date_to = previous_from, previous_to
            previous = self._kpis(board.company_id, previous_from, previous_to, **filters)
            previous = {f"{name}_previous": previous[name] for name in PREVIOUS}
            for name, value in previous.items():
                board[name] = value or 0
            # ",dso,read_rate," so that the view tests one whole name at a time.
            empty = ",".join(name for name, value in (figures | previous).items()
                             if value is None)
            board.no_data_keys = f",{empty},"

    @api.depends("date_from", "date_to", "company_id", "risk", "level_id", "template_id",
                 "channel")
    @api.depends_context("lang")
    def _compute_funnel_table(self):
        for board in self:
            rows, by_channel, total = self._funnel(
                board.company_id, board.date_from, board.date_to, risk=board.risk,
                level=board.level_id, template=board.template_id, channel=board.channel)
            board.funnel_table = self.env["ir.qweb"]._render(
                "cobranza_whatsapp.cobranza_dashboard_funnel",
                {"rows": rows, "by_channel": by_channel, "total": total,
                 "rate": lambda value: "-" if value is None else
                 f"{formatLang(self.env, value * 100, digits=1)} %"})

    # === PERIOD PRESETS === #

    def _set_preset(self, preset):
        self.write(dict(zip(("date_from", "date_to"), preset_period(
            preset, fields.Date.context_today(self)), strict=True)))

    def action_period_month(self):
        self._set_preset("month")

    def action_period_last_30(self):
        self._set_preset("last_30")

    def action_period_quarter(self):
        self._set_preset("quarter")

    # === ACTIONS === #

    def _report_domain(self, date_field, datetime_field=False):
        self.ensure_one()
        domain = [("company_id", "=", self.company_id.id)]
        if datetime_field:
            domain += [(date_field, ">=", fields.Datetime.to_datetime(self.date_from)),
                       (date_field, "<", fields.Datetime.to_datetime(
                           self.date_to + datetime.timedelta(days=1)))]
        else:
            domain += [(date_field, ">=", self.date_from), (date_field, "<=", self.date_to)]
        if self.risk:
            domain.append(("risk", "=", self.risk))
        return domain

    def action_open_messages(self):
        self.ensure_one()
        domain = self._report_domain("date", datetime_field=True)
        for field in ("level_id", "template_id", "channel"):
            if self[field]:
                domain.append((field, "=", self[field].id if field != "channel"
                               else self[field]))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cobranza_whatsapp.cobranza_message_report_action")
        action["domain"] = domain
        return action

    def action_open_collections(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cobranza_whatsapp.cobranza_collection_report_action")
        action["domain"] = self._report_domain("date")
        action["views"] = _first_view(action, "pivot")
        action["context"] = {"pivot_row_groupby": ["level_id"],
                             "pivot_measures": ["amount"]}
        return action

    def action_open_collected_weekly(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cobranza_whatsapp.cobranza_collection_report_action")
        action["name"] = self.env._("Collected per Week")
        action["domain"] = self._report_domain("date")
        action["views"] = _first_view(action, "graph")
        action["context"] = {"graph_mode": "line", "graph_measure": "amount",
                             "graph_groupbys": ["date:week"]}
        return action

    def action_open_funnel(self):
        """Sent, delivered, read, replied, paid: per channel and message, in the period."""
        action = self.action_open_messages()
        action["name"] = self.env._("Message Funnel")
        action["views"] = _first_view(action, "pivot")
        action["context"] = {
            "pivot_measures": list(FUNNEL),
            "pivot_row_groupby": ["channel", "template_label"],
            "graph_mode": "bar", "graph_measure": "message_count",
            "graph_groupbys": ["channel", "state"],
        }
        return action

    def action_open_aging(self):
        """The open receivables today by age (the period does not apply to them)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "cobranza_whatsapp.cobranza_aging_report_action")
        domain = [("company_id", "=", self.company_id.id)]
        if self.risk:
            domain.append(("risk", "=", self.risk))
        action["domain"] = domain
        action["views"] = _first_view(action, "graph")
        action["context"] = {"graph_mode": "bar", "graph_measure": "amount_residual",
                             "graph_groupbys": ["bucket"]}
        return action

    # === KPIS === #

    @api.model
    def _kpi_company_ids(self, company):
        """The company's id in a list for the KPI queries, if the user may read it (one of
        their enabled companies; any for the superuser, as the KPI alert cron runs);
        AccessError otherwise: the figures are read in SQL, past the record rules."""
        company.ensure_one()
        if not self.env.su and company not in self.env.companies:
            raise AccessError(self.env._(
                "You cannot see the collection figures of %(company)s.", company=company.name))
        return [company.id]

    @api.model
    def _kpis(self, company, date_from, date_to, risk=None, level=None, template=None,
              channel=None):
        """Every dashboard figure for one company and period; None where there is no data."""
        self._kpi_company_ids(company)
        self.env.flush_all()
        figures = {}
        figures.update(self._invoice_kpis(company, date_from, date_to, risk))
        figures.update(self._message_kpis(company, date_from, date_to, risk, level, template,
                                          channel))
        return figures

    def _risk_filter(self, risk, company):
        # The customer's risk as this company sees it (a company-dependent field).
        return SQL("AND %s = %s", self.env["res.partner"]._cobranza_risk_sql(
            "p", company.id), risk) if risk else SQL("")

    def _invoice_kpis(self, company, date_from, date_to, risk):
        cr = self.env.cr
        company_ids = self._kpi_company_ids(company)
        payments = SQL(
            """
            LEFT JOIN account_move_line dl ON dl.move_id = m.id
            LEFT JOIN account_partial_reconcile apr ON apr.debit_move_id = dl.id
            LEFT JOIN account_move_line cl ON cl.id = apr.credit_move_id
            LEFT JOIN account_move cm ON cm.id = cl.move_id
            """
        )
        invoices = SQL(
            """
            FROM account_move m
            JOIN res_partner p ON p.id = m.commercial_partner_id
            %s
            WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
              AND m.company_id = ANY(%s) %s
            """,
            payments, company_ids, self._risk_filter(risk, company),
        )
        # Recovery: what was overdue when the period began, and what of it came in.
        cr.execute(SQL(
            """
            SELECT COALESCE(sum(residual), 0), COALESCE(sum(LEAST(collected, residual)), 0)
              FROM (
                SELECT m.amount_total_signed
                       - COALESCE(sum(apr.amount) FILTER (WHERE apr.max_date < %(start)s), 0)
                           AS residual,
                       COALESCE(sum(apr.amount) FILTER (
                           WHERE apr.max_date >= %(start)s AND apr.max_date <= %(end)s
                             AND cm.move_type != 'out_refund'), 0) AS collected
                %(invoices)s
                  AND m.invoice_date < %(start)s AND m.invoice_date_due < %(start)s
              GROUP BY m.id
              ) inv
             WHERE residual > 0.005
            """,
            start=date_from, end=date_to, invoices=invoices,
        ))
        overdue_at_start, collected = cr.fetchone()
        # DSO on net figures, as an accountant checks it by hand: the customers' receivable
        # balance at the end (invoices less credit notes and payments, the partner ledger's
        # total at that date) over the period's net credit sales (invoices less credit
        # notes).
        cr.execute(SQL(
            """
            SELECT COALESCE(sum(aml.balance), 0)
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN account_move m ON m.id = aml.move_id
              JOIN res_partner p ON p.id = COALESCE(m.commercial_partner_id, aml.partner_id)
             WHERE aml.parent_state = 'posted' AND acc.account_type = 'asset_receivable'
               AND aml.company_id = ANY(%s) AND aml.date <= %s %s
            """,
            company_ids, date_to, self._risk_filter(risk, company),
        ))
        receivable_at_end = max(cr.fetchone()[0], 0.0)
        cr.execute(SQL(
            """
            SELECT COALESCE(sum(m.amount_total_signed), 0)
              FROM account_move m JOIN res_partner p ON p.id = m.commercial_partner_id
             WHERE m.move_type IN ('out_invoice', 'out_refund') AND m.state = 'posted'
               AND m.company_id = ANY(%s)
               AND m.invoice_date >= %s AND m.invoice_date <= %s %s
            """,
            company_ids, date_from, date_to, self._risk_filter(risk, company),
        ))
        credit_sales = cr.fetchone()[0]
        # Days to collect: invoices whose last payment fell in the period.
        cr.execute(SQL(
            """
            SELECT paid_on - invoice_date FROM (
                SELECT m.invoice_date, max(apr.max_date) AS paid_on
                %(invoices)s AND m.payment_state IN ('paid', 'in_payment')
              GROUP BY m.id, m.invoice_date
            ) inv
             WHERE paid_on >= %(start)s AND paid_on <= %(end)s
            """,
            start=date_from, end=date_to, invoices=invoices,
        ))
        days_to_collect = [row[0] for row in cr.fetchall()]
        # Hand-offs among the invoices the cadence worked in the period.
        cr.execute(SQL(
            """
            SELECT count(DISTINCT s.move_id),
                   count(DISTINCT s.move_id) FILTER (WHERE lv.handoff OR m.cobranza_handoff)
              FROM cobranza_step s
              JOIN cobranza_level lv ON lv.id = s.level_id
              JOIN account_move m ON m.id = s.move_id
              JOIN res_partner p ON p.id = s.partner_id
             WHERE s.company_id = ANY(%s) AND m.company_id = ANY(%s)
               AND s.date >= %s AND s.date < %s %s
            """,
            company_ids, company_ids, date_from, date_to + datetime.timedelta(days=1),
            self._risk_filter(risk, company),
        ))
        stepped, handed_off = cr.fetchone()
        cr.execute(SQL(
            """
            SELECT count(*) FILTER (WHERE pr.state = 'kept'),
                   count(*) FILTER (WHERE pr.state IN ('kept', 'broken'))
              FROM cobranza_promise pr JOIN res_partner p ON p.id = pr.partner_id
             WHERE pr.company_id = ANY(%s) AND pr.date >= %s AND pr.date <= %s %s
            """,
            company_ids, date_from, date_to, self._risk_filter(risk, company),
        ))
        kept, judged = cr.fetchone()
        days = (date_to - date_from).days + 1
        return {
            "overdue_at_start": overdue_at_start,
            "collected_on_overdue": collected,
            "recovery_rate": _percent(kpi.recovery_rate(collected, overdue_at_start)),
            "avg_days_to_collect": kpi.average(days_to_collect),
            "receivable_at_end": receivable_at_end,
            "credit_sales": credit_sales,
            "dso": kpi.dso(receivable_at_end, credit_sales, days),
            "handoff_rate": _percent(kpi.ratio(handed_off, stepped)),
            "promise_kept_rate": _percent(kpi.ratio(kept, judged)),
        }

    def _message_domain(self, company, date_from, date_to, risk, level, template, channel):
        domain = [
            ("company_id", "in", self._kpi_company_ids(company)),
            ("date", ">=", fields.Datetime.to_datetime(date_from)),
            ("date", "<", fields.Datetime.to_datetime(date_to + datetime.timedelta(days=1))),
        ]
        if risk:
            domain.append(("risk", "=", risk))
        if level:
            domain.append(("level_id", "=", level.id))
        if template:
            domain.append(("template_id", "=", template.id))
        if channel:
            domain.append(("channel", "=", channel))
        return domain

    def _message_kpis(self, company, date_from, date_to, risk, level, template, channel):
        domain = self._message_domain(company, date_from, date_to, risk, level, template,
                                      channel)
        Report = self.env["cobranza.message.report"]
        [(count, read, replied, converted, collected, cost)] = Report._read_group(
            domain, [], ["message_count:sum", "read_rate:avg", "reply_rate:avg",
                         "conversion_rate:avg", "amount_collected:sum", "cost:sum"])
        if not count:
            read = replied = converted = None
        # Delivery per channel: Meta's delivered for WhatsApp, the SMS provider's report for
        # SMS, the mail server taking it for e-mail (all e-mail can tell).
        delivered = dict(Report._read_group(
            [*domain, ("channel", "in", ("whatsapp", "sms"))], ["channel"],
            ["delivered_rate:avg"]))
        emails = Report.search_count([*domain, ("channel", "=", "email")])
        email_rate = kpi.ratio(
            Report.search_count([*domain, ("channel", "=", "email"),
                                 ("state", "in", ("sent", "delivered", "read"))]),
            emails)
        # Of the messages read, how many were followed by the payment (within 7 days).
        [(read_count, read_converted)] = Report._read_group(
            [*domain, ("read_rate", "=", 100.0)], [], ["__count", "conversion_rate:avg"])
        [(clicked_count, clicked_converted)] = Report._read_group(
            [*domain, ("clicked", "=", 1)], [], ["__count", "conversion_rate:avg"])
        return {
            "messages": count or 0,
            "delivery_rate": delivered.get("whatsapp"),
            "sms_delivery_rate": delivered.get("sms"),
            "email_sent_rate": _percent(email_rate),
            "read_rate": read,
            "read_to_paid_rate": read_converted if read_count else None,
            "click_rate": _percent(kpi.ratio(clicked_count, count)),
            "click_to_paid_rate": clicked_converted if clicked_count else None,
            "reply_rate": replied,
            "conversion_rate": converted,
            "collected_after_messages": collected or 0.0,
            "message_cost": cost or 0.0,
        }


    @api.model
    def _funnel(self, company, date_from, date_to, risk=None, level=None, template=None,
                channel=None):
        """Sent, read, clicked, paid (``kpi.FunnelRow``) for the dashboard's filters: per
        template on each channel as (channel label, row), per channel, and in all."""
        self._kpi_company_ids(company)
        domain = self._message_domain(company, date_from, date_to, risk, level, template,
                                      channel)
        labels = dict(self._fields["channel"]._description_selection(self.env))
        groups = self.env["cobranza.message.report"]._read_group(
            domain, ["channel", "template_label"],
            ["message_count:sum", "read_count:sum", "clicked:sum", "converted:sum"],
            order="channel, template_label")
        rows = [(chan, kpi.funnel_row(label or "-", chan, *counts))
                for chan, label, *counts in groups]
        by_channel = []
        for chan, name in CHANNELS:
            part = [row for row_channel, row in rows if row_channel == chan]
            if part:
                by_channel.append(kpi.funnel_total(part, labels.get(chan, name)))
        return ([(labels.get(chan, chan), row) for chan, row in rows], by_channel,
                kpi.funnel_total([row for _chan, row in rows], self.env._("All messages")))


def _first_view(action, view_type):
    """The action's views with `view_type` first: the one the button opens."""
    return sorted(action["views"], key=lambda view: view[1] != view_type)


def _percent(value):
    return None if value is None else value * 100
