import datetime

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import formatLang

from ..tools import kpi

# KPI -> whether a higher value is better (a drop is bad) or worse (a rise is bad).
KPIS = {
    "recovery_rate": True,
    "delivery_rate": True,
    "read_rate": True,
    "reply_rate": True,
    "conversion_rate": True,
    "promise_kept_rate": True,
    "handoff_rate": False,
    "dso": False,
    "avg_days_to_collect": False,
}


class CobranzaKpiAlert(models.Model):
    """A manager's tripwire: tell me when a KPI gets worse by X % week over week."""

    _name = "cobranza.kpi.alert"
    _inherit = ["mail.thread"]
    _description = "Collections KPI Alert"
    _order = "company_id, kpi, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    kpi = fields.Selection(
        [
            ("recovery_rate", "Recovery rate"),
            ("delivery_rate", "Delivery rate"),
            ("read_rate", "Read rate"),
            ("reply_rate", "Reply rate"),
            ("conversion_rate", "Paid within 7 days"),
            ("promise_kept_rate", "Promises kept"),
            ("handoff_rate", "Hand-off rate"),
            ("dso", "DSO"),
            ("avg_days_to_collect", "Average days to collect"),
        ],
        string="KPI", required=True, default="recovery_rate",
    )
    threshold = fields.Float(
        string="Worsens by (%)", default=10.0, required=True,
        help="Relative change from the previous 7 days to the last 7 days, in the bad "
        "direction (a drop for rates, a rise for DSO, days to collect and hand-offs).",
    )
    # The company's alert recipients (Settings) unless the alert names its own.
    user_ids = fields.Many2many(
        "res.users", string="Notify", required=True,
        default=lambda self: self.env.company._cobranza_alert_users() or self.env.user)
    last_checked = fields.Date(readonly=True)
    last_value = fields.Float(string="Last 7 Days", readonly=True)
    previous_value = fields.Float(string="Previous 7 Days", readonly=True)
    triggered = fields.Boolean(readonly=True)

    _threshold_positive = models.Constraint(
        "CHECK(threshold > 0)", "The alert threshold must be a positive percentage."
    )

    @api.depends("kpi", "threshold")
    def _compute_name(self):
        labels = dict(self._fields["kpi"]._description_selection(self.env))
        for alert in self:
            alert.name = self.env._("%(kpi)s worsens by %(threshold)s %%",
                                    kpi=labels.get(alert.kpi, ""),
                                    threshold=formatLang(self.env, alert.threshold, digits=1))

    # === BUSINESS METHODS === #

    def _check(self, today=None):
        """Compare the last 7 days with the 7 before; notify on a drop past the threshold."""
        today = today or fields.Date.context_today(self)
        last = (today - datetime.timedelta(days=7), today - datetime.timedelta(days=1))
        previous = (today - datetime.timedelta(days=14), today - datetime.timedelta(days=8))
        dashboard = self.env["cobranza.dashboard"]
        for alert in self:
            current_value = dashboard._kpis(alert.company_id, *last)[alert.kpi]
            previous_value = dashboard._kpis(alert.company_id, *previous)[alert.kpi]
            rule = kpi.AlertRule(higher_is_better=KPIS[alert.kpi], threshold=alert.threshold)
            fired = kpi.alert_triggered(rule, current_value, previous_value)
            alert.write({
                "last_checked": today, "last_value": current_value or 0.0,
                "previous_value": previous_value or 0.0, "triggered": fired,
            })
            if fired:
                alert._notify(current_value, previous_value)

    def _notify(self, current_value, previous_value):
        self.ensure_one()
        change = kpi.relative_change(current_value, previous_value)
        body = Markup("<p>%s</p>") % self.env._(
            "%(kpi)s went from %(previous)s to %(current)s in the last 7 days (%(change)s %%).",
            kpi=dict(self._fields["kpi"]._description_selection(self.env))[self.kpi],
            # Numbers in the reader's language: "27,1" in Spanish, not "27.1".
            previous=formatLang(self.env, previous_value, digits=1),
            current=formatLang(self.env, current_value, digits=1),
            change=("+" if change > 0 else "") + formatLang(self.env, change, digits=1),
        )
        self.message_post(body=body, partner_ids=self.user_ids.partner_id.ids,
                          subtype_xmlid="mail.mt_comment")

    @api.model
    def _cron_check(self):
        self.search([("kpi", "in", list(KPIS))])._check()
