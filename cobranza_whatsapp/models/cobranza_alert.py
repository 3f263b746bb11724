import logging
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_amount, formatLang, plaintext2html

from ..tools import alerts as alert_rules

_logger = logging.getLogger(__name__)

KINDS = [
    ("paid_high_risk", "High-risk customer paid"),
    ("dispute", "Large dispute"),
    ("failed_spike", "Spike in failed sends"),
]
# Which company switch turns each alert on.
SWITCHES = {
    "paid_high_risk": "cobranza_alert_paid_high_risk",
    "dispute": "cobranza_alert_dispute",
    "failed_spike": "cobranza_alert_failed_spike",
}
# How much of the customer's words a dispute's to-do quotes.
QUOTE_CHARS = 300


class CobranzaAlert(models.Model):
    """An event a person should hear of, raised once: a high-risk customer paid, a large
    invoice is disputed, sends fail far more than usual.

    The row is the marker that the event was alerted: one per company, kind and event
    (``key``), claimed with an INSERT that a second claim of the same event cannot repeat.
    Its users are the company's alert recipients (Settings); they are told the way KPI
    alerts tell theirs, by a message on the alert, or get a to-do on the invoice when the
    alert asks them to act on it (a dispute).
    """

    _name = "cobranza.alert"
    _inherit = ["mail.thread"]
    _description = "Collections Alert"
    _order = "date desc, id desc"
    _check_company_auto = True
    _mail_post_access = "read"

    name = fields.Char(compute="_compute_name", store=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    key = fields.Char(string="Event", required=True, readonly=True,
                      help="What the alert is about; one alert per event.")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True,
                              check_company=True)
    message_id = fields.Many2one("cobranza.message", string="Customer's Message",
                                 readonly=True, check_company=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(readonly=True,
                             help="Paid (a high-risk customer's payment) or still owed (a "
                             "disputed invoice), in the company currency.")
    failed_count = fields.Integer(string="Failed in the Hour", readonly=True)
    usual_failed = fields.Float(string="Failed in a Usual Hour", readonly=True,
                                digits=(16, 1))
    user_ids = fields.Many2many("res.users", string="Told", readonly=True)

    _event_uniq = models.Constraint(
        "unique(company_id, kind, key)", "This event has already been alerted.")

    @api.depends("kind", "move_id", "partner_id")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for alert in self:
            kind = kinds.get(alert.kind, "")
            what = alert.move_id.name or alert.partner_id.display_name
            alert.name = f"{kind}: {what}" if what else kind

    # === ACTIONS === #

    def action_open_failed_messages(self):
        """The messages that failed in the hour the spike was seen."""
        self.ensure_one()
        start, end, _since = alert_rules.spike_window(self.date)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Failed Messages"),
            "res_model": "cobranza.message",
            "view_mode": "list,form",
            "domain": [("company_id", "=", self.company_id.id), ("direction", "=", "out"),
                       ("state", "=", "failed"), ("failed_at", ">=", start),
                       ("failed_at", "<", end)],
            "context": {"create": False},
        }

    # === RAISING AN ALERT ONCE === #

    @api.model
    def _raise(self, company, kind, key, values):
        """The alert of one event of `company`, told to its recipients; nothing when the
        alert is switched off, nobody is to be told, or the event was alerted already."""
        if not company[SWITCHES[kind]]:
            return self.browse()
        users = company._cobranza_alert_users()
        if not users:
            return self.browse()
        alert = self._claim(company, kind, key)
        if not alert:
            _logger.info("Alert %s %s of company %s was already raised", kind, key, company.id)
            return alert
        alert.write(dict(values, user_ids=[fields.Command.set(users.ids)]))
        lang = company._cobranza_lang()
        alert = alert.with_context(lang=lang) if lang != alert.env.lang else alert
        if kind == "dispute":
            alert._schedule_review()
        else:
            alert._notify_users()
        return alert

    @api.model
    def _claim(self, company, kind, key):
        """One row per event, even when two transactions see it at once: the second claim
        waits for the first and inserts nothing."""
        now, uid = self.env.cr.now(), self.env.uid
        self.env.cr.execute(SQL(
            """
            INSERT INTO cobranza_alert (company_id, kind, key, date, create_uid, write_uid,
                                        create_date, write_date)
            VALUES (%(company)s, %(kind)s, %(key)s, %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s)
            ON CONFLICT (company_id, kind, key) DO NOTHING
            RETURNING id
            """,
            company=company.id, kind=kind, key=key, now=now, uid=uid,
        ))
        row = self.env.cr.fetchone()
        if not row:
            return self.browse()
        alert = self.browse(row[0])
        alert.modified(["kind"])  # inserted past the ORM: its name is computed from here
        return alert

    def _notify_users(self):
        """As a KPI alert tells its users: a message on the alert, to each of them."""
        self.ensure_one()
        self.message_post(body=self._body(), partner_ids=self.user_ids.partner_id.ids,
                          subtype_xmlid="mail.mt_comment")

    def _schedule_review(self):
        """A dispute is work to do: a to-do on the invoice for each recipient."""
        self.ensure_one()
        note = self._body()
        summary = self.env._("Large disputed invoice: review")
        invoice = self.move_id.sudo()
        for user in self.user_ids:
            invoice.activity_schedule("mail.mail_activity_data_todo", user_id=user.id,
                                      summary=summary, note=note)
        self.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _body(self):
        self.ensure_one()
        amount = format_amount(self.env, self.amount, self.currency_id)
        if self.kind == "paid_high_risk":
            return Markup("<p>%s</p>") % self.env._(
                "%(customer)s, a high-risk customer, paid %(amount)s on %(invoice)s.",
                customer=self.partner_id._get_html_link(), amount=amount,
                invoice=self.move_id._get_html_link())
        if self.kind == "dispute":
            return Markup("<p>%s</p><p>%s</p>") % (
                self.env._("%(customer)s disputes %(invoice)s, which still owes %(amount)s.",
                           customer=self.partner_id._get_html_link(), amount=amount,
                           invoice=self.move_id._get_html_link()),
                plaintext2html((self.message_id.sudo().body or "")[:QUOTE_CHARS]))
        return Markup("<p>%s</p>") % self.env._(
            "%(count)s messages failed to be sent in the last hour; a usual hour has "
            "%(usual)s (the average of the 7 days before).",
            count=self.failed_count, usual=formatLang(self.env, self.usual_failed, digits=1))

    # === THE EVENTS === #

    @api.model
    def _on_payments(self, partials):
        """Payments just matched with invoices (however registered: the payment wizard, the
        portal, a bank statement, the payment webhook): a high-risk customer paying is news.
        One alert per invoice and payment, so that matching the same payment again (undone
        and redone) does not alert twice."""
        paid = defaultdict(float)
        for partial in partials.sudo():
            invoice = partial.debit_move_id.move_id
            counterpart = partial.credit_move_id.move_id
            # Money in: a payment or a bank statement line, not a credit note.
            if invoice.move_type == "out_invoice" and (
                    counterpart.origin_payment_id or counterpart.statement_line_id):
                paid[invoice, counterpart] += partial.amount
        Alert = self.sudo()
        for (invoice, counterpart), amount in paid.items():
            company = invoice.company_id
            if not company.cobranza_alert_paid_high_risk:
                continue
            partner = invoice.commercial_partner_id.with_company(company)
            if partner.cobranza_risk != "high":
                continue
            Alert._raise(company, "paid_high_risk", f"{invoice.id}-{counterpart.id}", {
                "partner_id": partner.id, "move_id": invoice.id, "amount": amount})

    @api.model
    def _on_disputed(self, message, invoices):
        """Invoices a reply just disputed: each one owing more than the company's threshold
        is alerted, once for this reply."""
        company = message.company_id
        if not company.cobranza_alert_dispute:
            return
        Alert = self.sudo()
        for invoice in invoices.sudo():
            residual = invoice.amount_residual_signed
            if not alert_rules.dispute_alerts(residual, company.cobranza_alert_dispute_amount):
                continue
            Alert._raise(company, "dispute", f"{invoice.id}-{message.id}", {
                "partner_id": invoice.commercial_partner_id.id, "move_id": invoice.id,
                "message_id": message.id, "amount": residual})

    @api.model
    def _check_failed_sends(self, now=None):
        """Every company that wants it, in one query: did the last hour's failures spike?"""
        now = now or fields.Datetime.now()
        companies = self.env["res.company"].sudo().search([
            ("cobranza_alert_failed_spike", "=", True),
            ("cobranza_alert_user_ids", "!=", False),
        ])
        if not companies:
            return self.browse()
        start, end, since = alert_rules.spike_window(now)
        self.env["cobranza.message"].flush_model(
            ["company_id", "direction", "state", "failed_at"])
        self.env.cr.execute(SQL(
            """
            SELECT company_id,
                   count(*) FILTER (WHERE failed_at >= %(start)s),
                   count(*) FILTER (WHERE failed_at < %(start)s)
              FROM cobranza_message
             WHERE direction = 'out' AND state = 'failed'
               AND failed_at >= %(since)s AND failed_at < %(end)s
               AND company_id = ANY(%(companies)s)
          GROUP BY company_id
            """,
            start=start, end=end, since=since, companies=companies.ids,
        ))
        counts = {company_id: (last, before) for company_id, last, before
                  in self.env.cr.fetchall()}
        # A spike that lasts is told again after an hour, not at every check.
        recent = set(self.sudo().search([
            ("kind", "=", "failed_spike"), ("company_id", "in", companies.ids),
            ("date", ">", start)]).company_id.ids)
        raised = self.browse()
        for company in companies:
            last, before = counts.get(company.id, (0, 0))
            if company.id in recent or not alert_rules.failed_send_spike(
                    last, before, company.cobranza_alert_failed_min,
                    company.cobranza_alert_failed_factor):
                continue
            raised |= self.sudo()._raise(company, "failed_spike", alert_rules.spike_key(now), {
                "date": now, "failed_count": last,
                "usual_failed": alert_rules.usual_per_hour(before)})
        return raised

    @api.model
    def _cron_check_failed_sends(self):
        self._check_failed_sends()
