from odoo import api, fields, models
from odoo.exceptions import ValidationError

INTENT_MODES = [
    ("auto", "Act automatically"),
    ("person", "Hand to a person"),
    ("none", "Only record it"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    cobranza_frequency_cap = fields.Integer(
        string="Messages per Customer per Week",
        default=2,
        help="At most this many business-initiated messages to one customer "
        "in any rolling 7 days.",
    )
    cobranza_daily_cap = fields.Integer(
        string="Messages per Customer per Day",
        default=1,
        help="At most this many business-initiated messages to one customer within 24 "
        "hours, across levels, purposes and channels; the other invoices wait for the "
        "next day.",
    )
    cobranza_pilot_percent = fields.Integer(
        string="Pilot Percentage",
        default=100,
        help="Run the cadence only for this share of customers, chosen deterministically "
        "by customer, so that the same customers stay in the pilot run after run.",
    )
    cobranza_risk_medium_days = fields.Integer(string="Medium Risk after (days late)", default=7)
    cobranza_risk_high_days = fields.Integer(string="High Risk after (days late)", default=30)
    cobranza_risk_high_amount = fields.Monetary(
        string="High Risk Balance",
        currency_field="currency_id",
        default=10000.0,
        help="A customer owing more than this is high risk whatever the days late.",
    )
    cobranza_pdf_mode = fields.Selection(
        [("upload", "Upload to Meta"), ("link", "Portal link")],
        string="Invoice PDF",
        default="upload",
        required=True,
        help="Upload the invoice PDF to Meta (reused for 30 days), or let Meta download it "
        "from the customer portal link with its access token.",
    )
    cobranza_payment_journal_id = fields.Many2one(
        "account.journal",
        string="Payment Notification Journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', id)]",
        help="Bank journal used for payments notified by the payment webhook "
        "when the notification names none.",
    )
    # The company's own: a notice signed with it pays only this company's invoices.
    cobranza_payment_webhook_secret = fields.Char(
        string="Payment Webhook Secret",
        groups="base.group_system",
        copy=False,
        help="Banks and wallets sign this company's payment notifications with it; a notice "
        "signed with it is matched only against this company's invoices.",
    )
    cobranza_promise_horizon_days = fields.Integer(
        string="Promised Date Horizon (days)",
        default=45,
        help="A promise to pay later than this many days from today does not pause the "
        "reminders: a reply promising it goes to a person, a collector cannot record it.",
    )
    cobranza_plan_max_instalments = fields.Integer(string="Maximum Instalments", default=6)
    cobranza_plan_min_first_percent = fields.Integer(
        string="Minimum First Instalment (%)", default=20)
    cobranza_plan_risk_low = fields.Boolean(string="Plans for Low Risk", default=True)
    cobranza_plan_risk_medium = fields.Boolean(string="Plans for Medium Risk", default=True)
    cobranza_plan_risk_high = fields.Boolean(string="Plans for High Risk", default=False)
    # How the plans a customer chooses in the conversation are laid out.
    cobranza_plan_min_instalment = fields.Monetary(
        string="Minimum Instalment", currency_field="currency_id",
        help="No instalment of a plan may be less than this (in the company's currency; 0: "
             "no minimum). A customer who owes too little for two such instalments is "
             "answered by a person.")
    cobranza_plan_interval = fields.Selection(
        [("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("monthly", "Monthly")],
        string="Instalment Interval", default="monthly", required=True,
        help="The time between the instalments of a plan the customer chooses on WhatsApp.")
    cobranza_plan_first_days = fields.Integer(
        string="Days to the First Instalment", default=3,
        help="The first instalment of a plan offered on WhatsApp falls this many days after "
             "the offer; the customer may choose an option until that day.")
    cobranza_intent_paid = fields.Selection(INTENT_MODES, default="auto", required=True,
                                            string="When a customer says it paid")
    cobranza_intent_promise = fields.Selection(INTENT_MODES, default="auto", required=True,
                                               string="When a customer promises to pay")
    cobranza_intent_plan = fields.Selection(INTENT_MODES, default="auto", required=True,
                                            string="When a customer asks for a plan")
    cobranza_intent_dispute = fields.Selection(INTENT_MODES, default="auto", required=True,
                                               string="When a customer disputes an invoice")
    cobranza_intent_person = fields.Selection(INTENT_MODES, default="auto", required=True,
                                              string="When a customer asks for a person")
    cobranza_intent_stop = fields.Selection(INTENT_MODES, default="auto", required=True,
                                            string="When a customer asks to stop")
    cobranza_intent_balance = fields.Selection(
        INTENT_MODES, default="auto", required=True,
        string="When a customer asks for the balance",
        help="Act automatically: answer with the open invoices, credits and pay links.")
    cobranza_intent_invoice_copy = fields.Selection(
        INTENT_MODES, default="auto", required=True,
        string="When a customer asks for an invoice copy",
        help="Act automatically: send the invoice's PDF, or a list to choose it from.")
    cobranza_intent_how_to_pay = fields.Selection(
        INTENT_MODES, default="auto", required=True,
        string="When a customer asks how to pay",
        help="Act automatically: answer with the How to Pay text, the company's bank "
             "accounts and the portal's online payment methods.")
    cobranza_how_to_pay_text = fields.Text(
        string="How to Pay", translate=True,
        help="Sent first when a customer asks how to pay (in the customer's language: "
             "translate it), e.g. a wallet number Odoo does not keep. The company's bank "
             "accounts and online payment methods follow it.")
    cobranza_how_to_pay_text_only = fields.Boolean(
        string="Only This Text",
        help="Send only the text above (and the pay links of the invoices, when the portal "
             "takes online payments), not the bank accounts Odoo keeps.")
    cobranza_send_thanks = fields.Boolean(
        string="Thank Customers for Payments",
        default=True,
        help="Confirm on WhatsApp when a reminded invoice is paid.",
    )
    cobranza_auto_answers = fields.Boolean(
        string="Answer Customers Automatically",
        default=True,
        help="Inside the 24 hours a customer's message opens, answer their questions (balance, "
             "invoice copy, how to pay, plan choice) by WhatsApp without a person. Off: "
             "every question goes to the work queue.",
    )
    cobranza_escalation = fields.Boolean(
        string="Escalate Early",
        default=True,
        help="A level with 'Escalate after (days)' brings its next level forward when the "
        "customer neither replies nor pays; a promise or a payment plan not kept brings the "
        "next level forward too.",
    )
    cobranza_early_discount = fields.Boolean(
        string="Mention Early-Payment Discounts",
        default=True,
        help="Where an invoice's payment terms give an early-payment discount still open, "
        "the reminder tells the discounted amount and its deadline (the level's template "
        "with the discount).",
    )
    cobranza_collector_id = fields.Many2one(
        "res.users",
        string="Default Collector",
        help="Receives hand-offs for customers with no collector and no salesperson.",
    )
    # What Meta charges per billable message, by pricing category, in the company currency:
    # the dashboard's cost of messages. Meta's rates depend on the recipient's country.
    cobranza_price_utility = fields.Monetary(
        string="Price per Utility Message", currency_field="currency_id")
    cobranza_price_marketing = fields.Monetary(
        string="Price per Marketing Message", currency_field="currency_id")
    cobranza_price_authentication = fields.Monetary(
        string="Price per Authentication Message", currency_field="currency_id")
    cobranza_price_service = fields.Monetary(
        string="Price per Service Message", currency_field="currency_id",
        help="Free-form replies inside the 24-hour window; free under per-message pricing.")
    cobranza_click_tracking = fields.Boolean(
        string="Track Pay Link Clicks", default=True,
        help="Pay links go out as short links of Odoo's link tracker, so that the dashboard "
        "counts the messages whose link was opened. Off: the plain portal links.")
    # Alerts for people (cobranza.alert): who is told, and of which events.
    cobranza_alert_user_ids = fields.Many2many(
        "res.users", "cobranza_alert_user_rel", "company_id", "user_id",
        string="Alert Recipients",
        domain=lambda self: [("share", "=", False), ("all_group_ids", "in", self.env.ref(
            "cobranza_whatsapp.group_cobranza_user").ids)],
        help="The collection users told of this company's alerts (and the default "
        "recipients of its KPI alerts). Nobody set: no alert is raised.")
    cobranza_alert_paid_high_risk = fields.Boolean(
        string="When a High-Risk Customer Pays", default=True,
        help="A notification when a payment is registered on an invoice of a customer who "
        "is high risk for this company.")
    cobranza_alert_dispute = fields.Boolean(
        string="When a Large Invoice Is Disputed", default=True,
        help="A to-do on the invoice for each recipient when a customer's reply disputes "
        "an invoice whose open amount is above the threshold.")
    cobranza_alert_dispute_amount = fields.Monetary(
        string="Disputes Above", currency_field="currency_id", default=5000.0,
        help="The invoice's open amount, in the company currency, above which a dispute "
        "alerts the recipients.")
    cobranza_alert_failed_spike = fields.Boolean(
        string="When Sends Fail Far More than Usual", default=True,
        help="A notification when, within the last hour, at least the minimum number of "
        "messages failed and that is the set multiple of a usual hour (the average hour "
        "of the 7 days before). At most one alert an hour.")
    cobranza_alert_failed_min = fields.Integer(
        string="Failed Sends in an Hour", default=20,
        help="At least this many messages failed in the last hour.")
    cobranza_alert_failed_factor = fields.Float(
        string="Times a Usual Hour", default=3.0, digits=(16, 1),
        help="And at least this many times the failures of a usual hour.")

    @api.constrains("cobranza_frequency_cap", "cobranza_daily_cap", "cobranza_pilot_percent",
                    "cobranza_risk_medium_days", "cobranza_risk_high_days")
    def _check_cobranza_settings(self):
        for company in self:
            if company.cobranza_frequency_cap < 0:
                raise ValidationError(self.env._(
                    "The number of messages per customer per week cannot be negative."))
            if company.cobranza_daily_cap < 1:
                raise ValidationError(self.env._(
                    "At least one message per customer per day must be allowed."))
            if not 0 <= company.cobranza_pilot_percent <= 100:
                raise ValidationError(self.env._("The pilot percentage must be between 0 and 100."))
            if not 0 <= company.cobranza_risk_medium_days <= company.cobranza_risk_high_days:
                raise ValidationError(self.env._(
                    "Medium risk must start before high risk (days late)."))

    @api.constrains("cobranza_promise_horizon_days")
    def _check_cobranza_promise_horizon(self):
        if any(company.cobranza_promise_horizon_days < 1 for company in self):
            raise ValidationError(self.env._(
                "The promised date horizon must be at least one day."))

    @api.constrains("cobranza_plan_min_instalment", "cobranza_plan_first_days")
    def _check_cobranza_plan_offer(self):
        for company in self:
            if company.cobranza_plan_min_instalment < 0 or company.cobranza_plan_first_days < 0:
                raise ValidationError(self.env._(
                    "The minimum instalment and the days to the first instalment cannot be "
                    "negative."))

    @api.constrains("cobranza_payment_webhook_secret")
    def _check_cobranza_payment_webhook_secret(self):
        """Each secret names one company: the one whose invoices its notices pay."""
        for company in self.sudo().filtered("cobranza_payment_webhook_secret"):
            if self.sudo().search_count([
                ("id", "!=", company.id),
                ("cobranza_payment_webhook_secret", "=", company.cobranza_payment_webhook_secret),
            ], limit=1):
                raise ValidationError(self.env._(
                    "Another company already uses this payment webhook secret: each company "
                    "needs its own."))

    DEFAULT_TEMPLATES = (
        "template_preventive", "template_due", "template_overdue", "template_plan",
        "template_final", "template_statement", "template_thanks", "template_broken_promise",
        "template_plan_instalment",
        "template_preventive_discount",
    )
    DEFAULT_LEVELS = (
        "level_preventive", "level_due", "level_overdue_3", "level_plan_7",
        "level_handoff_15", "level_final_30",
    )

    def _cobranza_lang(self):
        """The language of the notes, activities and outcomes the automation writes for
        the company's people: the company's own, whoever runs the job (cron, webhook)."""
        self.ensure_one()
        return self.partner_id.lang or self.env.lang or "en_US"

    def _cobranza_load_defaults(self):
        """Give a company the shipped cadence and templates (the XML ones belong to the first).

        Existing levels are left alone: a company that has a cadence keeps it.
        """
        self = self.sudo()  # the shipped records belong to the first company
        Level = self.env["cobranza.level"]
        Template = self.env["cobranza.whatsapp.template"]
        for company in self:
            if Level.search_count([("company_id", "=", company.id)], limit=1):
                continue
            mapping = {}
            for xmlid in self.DEFAULT_TEMPLATES:
                source = self.env.ref(f"cobranza_whatsapp.{xmlid}", raise_if_not_found=False)
                if not source:
                    continue
                existing = Template.search([("company_id", "=", company.id),
                                            ("name", "=", source.name),
                                            ("language", "=", source.language)], limit=1)
                mapping[source.id] = existing or source.copy(
                    {"company_id": company.id, "account_id": False}
                )
            for xmlid in self.DEFAULT_LEVELS:
                source = self.env.ref(f"cobranza_whatsapp.{xmlid}", raise_if_not_found=False)
                if not source:
                    continue
                Level.create({
                    **source.copy_data()[0],
                    "name": source.name,
                    "company_id": company.id,
                    "template_id": mapping.get(source.template_id.id, Template).id,
                    "template_b_id": False,
                    "statement_template_id": mapping.get(source.statement_template_id.id,
                                                         Template).id,
                    "early_discount_template_id": mapping.get(
                        source.early_discount_template_id.id, Template).id,
                })
        return True

    @api.constrains("cobranza_alert_failed_min", "cobranza_alert_failed_factor",
                    "cobranza_alert_dispute_amount")
    def _check_cobranza_alerts(self):
        for company in self:
            if company.cobranza_alert_failed_min < 1:
                raise ValidationError(self.env._(
                    "A failed-send alert needs at least one failed send in the hour."))
            if company.cobranza_alert_failed_factor < 1:
                raise ValidationError(self.env._(
                    "The failed sends must be at least once a usual hour's."))
            if company.cobranza_alert_dispute_amount < 0:
                raise ValidationError(self.env._(
                    "The dispute amount of an alert cannot be negative."))

    def _cobranza_alert_users(self):
        """The company's alert recipients who may see it (an alert of one company reaches
        its own people only) and work collections."""
        self.ensure_one()
        return self.sudo().cobranza_alert_user_ids.filtered(
            lambda user: user.active and self in user.company_ids
            and user.has_group("cobranza_whatsapp.group_cobranza_user"))
