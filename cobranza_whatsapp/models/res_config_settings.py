from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cobranza_frequency_cap = fields.Integer(
        related="company_id.cobranza_frequency_cap", readonly=False
    )
    cobranza_daily_cap = fields.Integer(related="company_id.cobranza_daily_cap", readonly=False)
    cobranza_pilot_percent = fields.Integer(
        related="company_id.cobranza_pilot_percent", readonly=False
    )
    cobranza_risk_medium_days = fields.Integer(
        related="company_id.cobranza_risk_medium_days", readonly=False
    )
    cobranza_risk_high_days = fields.Integer(
        related="company_id.cobranza_risk_high_days", readonly=False
    )
    cobranza_risk_high_amount = fields.Monetary(
        related="company_id.cobranza_risk_high_amount", readonly=False
    )
    cobranza_pdf_mode = fields.Selection(related="company_id.cobranza_pdf_mode", readonly=False)
    cobranza_payment_journal_id = fields.Many2one(
        related="company_id.cobranza_payment_journal_id", readonly=False
    )
    cobranza_plan_max_instalments = fields.Integer(
        related="company_id.cobranza_plan_max_instalments", readonly=False)
    cobranza_plan_min_first_percent = fields.Integer(
        related="company_id.cobranza_plan_min_first_percent", readonly=False)
    cobranza_plan_min_instalment = fields.Monetary(
        related="company_id.cobranza_plan_min_instalment", readonly=False)
    cobranza_plan_interval = fields.Selection(
        related="company_id.cobranza_plan_interval", readonly=False)
    cobranza_plan_first_days = fields.Integer(
        related="company_id.cobranza_plan_first_days", readonly=False)
    cobranza_plan_risk_low = fields.Boolean(related="company_id.cobranza_plan_risk_low",
                                            readonly=False)
    cobranza_plan_risk_medium = fields.Boolean(related="company_id.cobranza_plan_risk_medium",
                                               readonly=False)
    cobranza_plan_risk_high = fields.Boolean(related="company_id.cobranza_plan_risk_high",
                                             readonly=False)
    cobranza_intent_paid = fields.Selection(related="company_id.cobranza_intent_paid",
                                          readonly=False)
    cobranza_intent_promise = fields.Selection(related="company_id.cobranza_intent_promise",
                                          readonly=False)
    cobranza_intent_plan = fields.Selection(related="company_id.cobranza_intent_plan",
                                          readonly=False)
    cobranza_intent_dispute = fields.Selection(related="company_id.cobranza_intent_dispute",
                                          readonly=False)
    cobranza_intent_person = fields.Selection(related="company_id.cobranza_intent_person",
                                          readonly=False)
    cobranza_intent_stop = fields.Selection(related="company_id.cobranza_intent_stop",
                                          readonly=False)
    cobranza_intent_balance = fields.Selection(related="company_id.cobranza_intent_balance",
                                               readonly=False)
    cobranza_intent_invoice_copy = fields.Selection(
        related="company_id.cobranza_intent_invoice_copy", readonly=False)
    cobranza_intent_how_to_pay = fields.Selection(
        related="company_id.cobranza_intent_how_to_pay", readonly=False)
    cobranza_how_to_pay_text = fields.Text(related="company_id.cobranza_how_to_pay_text",
                                           readonly=False)
    cobranza_how_to_pay_text_only = fields.Boolean(
        related="company_id.cobranza_how_to_pay_text_only", readonly=False)
    cobranza_send_thanks = fields.Boolean(related="company_id.cobranza_send_thanks", readonly=False)
    cobranza_auto_answers = fields.Boolean(related="company_id.cobranza_auto_answers",
                                           readonly=False)
    cobranza_price_utility = fields.Monetary(
        related="company_id.cobranza_price_utility", readonly=False)
    cobranza_price_marketing = fields.Monetary(
        related="company_id.cobranza_price_marketing", readonly=False)
    cobranza_price_authentication = fields.Monetary(
        related="company_id.cobranza_price_authentication", readonly=False)
    cobranza_price_service = fields.Monetary(
        related="company_id.cobranza_price_service", readonly=False)
    cobranza_collector_id = fields.Many2one(
        related="company_id.cobranza_collector_id", readonly=False
    )
    cobranza_payment_webhook_secret = fields.Char(
        related="company_id.cobranza_payment_webhook_secret", readonly=False,
        groups="base.group_system",
    )
    cobranza_promise_horizon_days = fields.Integer(
        related="company_id.cobranza_promise_horizon_days", readonly=False)
    cobranza_escalation = fields.Boolean(related="company_id.cobranza_escalation", readonly=False)
    cobranza_early_discount = fields.Boolean(related="company_id.cobranza_early_discount",
                                             readonly=False)
    cobranza_click_tracking = fields.Boolean(related="company_id.cobranza_click_tracking",
                                             readonly=False)
    cobranza_alert_user_ids = fields.Many2many(
        related="company_id.cobranza_alert_user_ids", readonly=False)
    cobranza_alert_paid_high_risk = fields.Boolean(
        related="company_id.cobranza_alert_paid_high_risk", readonly=False)
    cobranza_alert_dispute = fields.Boolean(
        related="company_id.cobranza_alert_dispute", readonly=False)
    cobranza_alert_dispute_amount = fields.Monetary(
        related="company_id.cobranza_alert_dispute_amount", readonly=False)
    cobranza_alert_failed_spike = fields.Boolean(
        related="company_id.cobranza_alert_failed_spike", readonly=False)
    cobranza_alert_failed_min = fields.Integer(
        related="company_id.cobranza_alert_failed_min", readonly=False)
    cobranza_alert_failed_factor = fields.Float(
        related="company_id.cobranza_alert_failed_factor", readonly=False)
    cobranza_account_count = fields.Integer(compute="_compute_cobranza_counts")
    cobranza_level_count = fields.Integer(compute="_compute_cobranza_counts")
    cobranza_template_count = fields.Integer(compute="_compute_cobranza_counts")

    @api.depends("company_id")
    def _compute_cobranza_counts(self):
        for settings in self:
            company_domain = [("company_id", "=", settings.company_id.id)]
            settings.cobranza_account_count = self.env["cobranza.whatsapp.account"].search_count(
                company_domain
            )
            settings.cobranza_level_count = self.env["cobranza.level"].search_count(
                company_domain
            )
            settings.cobranza_template_count = self.env[
                "cobranza.whatsapp.template"
            ].search_count(company_domain)

    @api.model
    def default_get(self, fields):
        """Settings are filled from ir.config_parameter and the company as superuser: a value
        restricted to some groups (a webhook secret) must not reach anyone else this way."""
        values = super().default_get(fields)
        return {name: value for name, value in values.items()
                if name not in self._fields or self._has_field_access(self._fields[name], "read")}

    def action_cobranza_load_defaults(self):
        self.ensure_one()
        self.company_id._cobranza_load_defaults()
        return self.env["ir.actions.act_window"]._for_xml_id(
            "cobranza_whatsapp.cobranza_level_action"
        )
