from odoo import Command, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import format_amount, format_date

from ..tools import phone as phone_tools
from ..tools import send_window
from ..tools.receivable import OPEN_RECEIVABLE_DOMAIN

RISKS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
CUSTOMER_TYPES = [("new", "New"), ("recurring", "Recurring")]


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "cobranza.partner.cadence"]

    # What the customer is to each company that bills it is that company's own: its risk,
    # its consent (the business the customer agreed to hear from), its collector and
    # hand-off. Odoo's company-dependent fields keep one value per company in a jsonb
    # column; the form shows the current company's.
    cobranza_risk_computed = fields.Selection(
        RISKS, string="Computed Risk", readonly=True, company_dependent=True,
        help="Recomputed by every cadence run from days overdue, balance and behaviour.",
        groups="base.group_user",
    )
    cobranza_risk_manual = fields.Selection(
        RISKS, string="Risk Override", company_dependent=True, tracking=True,
        help="Set to force a risk segment; clear to go back to the computed one.",
        groups="base.group_user",
    )
    cobranza_risk = fields.Selection(
        RISKS, string="Risk Segment", compute="_compute_cobranza_risk",
        search="_search_cobranza_risk", groups="base.group_user",
    )
    cobranza_risk_reason = fields.Text(string="Why this Risk", readonly=True,
                                       company_dependent=True, groups="base.group_user")
    cobranza_type_computed = fields.Selection(
        CUSTOMER_TYPES, string="Computed Customer Type", readonly=True, company_dependent=True,
        groups="base.group_user",
    )
    cobranza_type_manual = fields.Selection(
        CUSTOMER_TYPES, string="Customer Type Override", company_dependent=True,
        groups="base.group_user",
    )
    cobranza_customer_type = fields.Selection(
        CUSTOMER_TYPES, string="Customer Type", compute="_compute_cobranza_customer_type",
        search="_search_cobranza_customer_type", groups="base.group_user",
    )
    cobranza_collector_id = fields.Many2one(
        "res.users", string="Collector", company_dependent=True, tracking=True,
        help="Who takes over when a person is needed. Empty: the salesperson, then the "
        "company's default collector.",
        groups="base.group_user",
    )
    cobranza_optin_date = fields.Datetime(string="WhatsApp Opt-in", company_dependent=True,
                                          tracking=True, groups="base.group_user")
    cobranza_optin_source = fields.Char(
        string="Opt-in Source", company_dependent=True, tracking=True,
        help="Where the customer agreed to receive WhatsApp messages: contract, web form, "
        "a WhatsApp message…",
        groups="base.group_user",
    )
    cobranza_optout_date = fields.Datetime(string="WhatsApp Opt-out", company_dependent=True,
                                           tracking=True, groups="base.group_user")
    cobranza_optout_reason = fields.Char(string="Opt-out Reason", company_dependent=True,
                                         groups="base.group_user")
    cobranza_consent = fields.Selection(
        [("none", "No consent"), ("optin", "Opted in"), ("optout", "Opted out")],
        string="WhatsApp Consent", compute="_compute_cobranza_consent",
        groups="base.group_user",
    )
    cobranza_whatsapp_number = fields.Char(
        string="WhatsApp Number", compute="_compute_cobranza_whatsapp_number", store=True,
        help="The phone normalised to international format.",
        groups="base.group_user",
    )
    cobranza_phone_warning = fields.Char(
        string="Phone Problem", compute="_compute_cobranza_whatsapp_number", store=True,
        groups="base.group_user",
    )
    cobranza_tz = fields.Char(
        string="Contact Time Zone", compute="_compute_cobranza_tz",
        help="The zone contact hours are counted in: the customer's own, or its country's "
        "(its state's where the country has several) when the zone set is not one of its "
        "country's, as when it was inherited from the user who created the customer.",
        groups="base.group_user",
    )
    cobranza_wa_id = fields.Char(
        string="WhatsApp ID", copy=False, index="btree_not_null",
        help="The id Meta reports for this customer; it can differ from the dialled number.",
        groups="base.group_user",
    )
    cobranza_window_until = fields.Datetime(
        string="Reply Window Until", company_dependent=True,
        help="Free-form replies are allowed until then (24 hours after the customer's last "
        "message).",
        groups="base.group_user",
    )
    cobranza_handoff = fields.Boolean(
        string="With a Collector", company_dependent=True, tracking=True,
        help="A person is handling this customer: automatic reminders wait.",
        groups="base.group_user",
    )
    cobranza_broken_promises = fields.Integer(string="Broken Promises", company_dependent=True,
                                              readonly=True, groups="base.group_user")
    cobranza_promise_ids = fields.One2many("cobranza.promise", "partner_id",
                                           string="Promises to Pay", groups="base.group_user")
    cobranza_message_ids = fields.One2many("cobranza.message", "partner_id",
                                           groups="base.group_user")
    cobranza_message_count = fields.Integer(compute="_compute_cobranza_stats",
                                            groups="base.group_user")
    cobranza_total_overdue = fields.Monetary(
        string="Total Overdue", compute="_compute_cobranza_stats",
        currency_field="cobranza_currency_id",
        groups="base.group_user",
    )
    cobranza_total_due = fields.Monetary(
        string="Total Due", compute="_compute_cobranza_stats",
        currency_field="cobranza_currency_id",
        groups="base.group_user",
    )
    cobranza_currency_id = fields.Many2one("res.currency", compute="_compute_cobranza_stats",
                                           groups="base.group_user")
    cobranza_oldest_due = fields.Date(string="Oldest Overdue", compute="_compute_cobranza_stats",
                                      groups="base.group_user")
    cobranza_overdue_count = fields.Integer(compute="_compute_cobranza_stats",
                                            groups="base.group_user")
    cobranza_last_contact = fields.Datetime(
        string="Last Contact", compute="_compute_cobranza_stats",
        groups="base.group_user",
    )
    cobranza_last_outcome = fields.Char(string="Outcome", compute="_compute_cobranza_outlook",
                                        groups="base.group_user")
    cobranza_next_action = fields.Char(string="Next Action", compute="_compute_cobranza_outlook",
                                       groups="base.group_user")
    cobranza_promise_status = fields.Char(string="Promise or Plan",
                                          compute="_compute_cobranza_outlook",
                                          groups="base.group_user")
    cobranza_pay_probability = fields.Integer(
        string="Payment Probability (%)", readonly=True, company_dependent=True,
        help="How likely the customer is to pay, from their history; refreshed by the cadence.",
        groups="base.group_user")
    cobranza_pay_probability_reason = fields.Text(
        string="Why this Probability", readonly=True, company_dependent=True,
        groups="base.group_user")

    @api.depends_context("company")
    @api.depends("cobranza_risk_computed", "cobranza_risk_manual")
    def _compute_cobranza_risk(self):
        for partner in self:
            partner.cobranza_risk = partner.cobranza_risk_manual or partner.cobranza_risk_computed

    @api.depends_context("company")
    @api.depends("cobranza_type_computed", "cobranza_type_manual")
    def _compute_cobranza_customer_type(self):
        for partner in self:
            partner.cobranza_customer_type = (
                partner.cobranza_type_manual or partner.cobranza_type_computed or "new"
            )

    def _search_cobranza_risk(self, operator, value):
        return self._search_manual_or_computed(
            "cobranza_risk_manual", "cobranza_risk_computed", operator, value)

    def _search_cobranza_customer_type(self, operator, value):
        return self._search_manual_or_computed(
            "cobranza_type_manual", "cobranza_type_computed", operator, value)

    def _search_manual_or_computed(self, manual, computed, operator, value):
        """The override where set, else the computed value: the computes' rule as a domain."""
        if operator != "in":
            return NotImplemented
        return ["|", (manual, "in", value), "&", (manual, "=", False), (computed, "in", value)]

    @api.depends_context("company")
    @api.depends("cobranza_optin_date", "cobranza_optout_date")
    def _compute_cobranza_consent(self):
        for partner in self:
            if partner.cobranza_optout_date and (
                not partner.cobranza_optin_date
                or partner.cobranza_optout_date >= partner.cobranza_optin_date
            ):
                partner.cobranza_consent = "optout"
            elif partner.cobranza_optin_date:
                partner.cobranza_consent = "optin"
            else:
                partner.cobranza_consent = "none"

    @api.depends("phone", "country_id")
    def _compute_cobranza_whatsapp_number(self):
        for partner in self:
            raw = partner.phone
            if not raw:
                partner.cobranza_whatsapp_number = False
                partner.cobranza_phone_warning = False
                continue
            result = phone_tools.normalize_phone(raw, partner.country_id.code)
            partner.cobranza_whatsapp_number = result.e164 if result.valid else False
            partner.cobranza_phone_warning = False if result.valid else (
                self.env._(result.reason_template, **(result.reason_params or {}))
                if result.reason_template else self.env._("Invalid phone number.")
            )

    @api.depends("tz", "country_id", "state_id")
    def _compute_cobranza_tz(self):
        for partner in self:
            partner.cobranza_tz = send_window.customer_timezone(
                partner.tz, partner.country_id.code, partner.state_id.code)

    def _compute_cobranza_stats(self):
        today = fields.Date.context_today(self)
        # Everyone who sees the customer sees its collection status, invoicing rights or not
        # (a sales rep before a call), so the sums are read as superuser, in the user's
        # companies only.
        groups = self.env["account.move"].sudo()._read_group(
            [
                ("company_id", "in", self.env.companies.ids),
                ("partner_id", "child_of", self.commercial_partner_id.ids),
                *OPEN_RECEIVABLE_DOMAIN,
            ],
            ["partner_id"],
            ["amount_residual_signed:sum", "invoice_date_due:min", "id:recordset"],
        )
        due_by_partner = {}
        for partner, _residual, _oldest, moves in groups:
            bucket = due_by_partner.setdefault(partner.commercial_partner_id.id, [])
            bucket.extend(moves)
        last_contacts = dict(self.env["cobranza.message"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["create_date:max"]
        ))
        counts = dict(self.env["cobranza.message"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
        ))
        for partner in self:
            moves = due_by_partner.get(partner.commercial_partner_id.id, [])
            overdue = [m for m in moves if m.invoice_date_due and m.invoice_date_due < today]
            partner.cobranza_currency_id = (
                partner.company_id.currency_id or self.env.company.currency_id
            )
            partner.cobranza_total_due = sum(m.amount_residual_signed for m in moves)
            partner.cobranza_total_overdue = sum(m.amount_residual_signed for m in overdue)
            partner.cobranza_overdue_count = len(overdue)
            partner.cobranza_oldest_due = min((m.invoice_date_due for m in overdue), default=False)
            partner.cobranza_last_contact = last_contacts.get(partner, False)
            partner.cobranza_message_count = counts.get(partner, 0)

    def _compute_cobranza_outlook(self):
        """Where the case stands for a sales rep: last answer, what comes next, any promise."""
        messages = self.env["cobranza.message"]
        intents = dict(messages._fields["intent"]._description_selection(self.env))
        states = dict(messages._fields["state"]._description_selection(self.env))
        for partner in self:
            commercial = partner.commercial_partner_id
            last = messages.search([("partner_id", "child_of", commercial.id)],
                                   order="create_date desc, id desc", limit=1)
            if not last:
                partner.cobranza_last_outcome = False
            elif last.direction == "in":
                partner.cobranza_last_outcome = self.env._(
                    "Replied: %(intent)s", intent=intents.get(last.intent) or "-")
            else:
                partner.cobranza_last_outcome = self.env._(
                    "Message %(state)s", state=(states.get(last.state) or "").lower())
            moves = self.env["account.move"].sudo().search([
                ("company_id", "in", self.env.companies.ids),
                ("partner_id", "child_of", commercial.id), *OPEN_RECEIVABLE_DOMAIN,
            ])
            upcoming = sorted((m.cobranza_next_date, m.cobranza_next_level_id.name)
                              for m in moves if m.cobranza_next_date)
            if commercial.cobranza_handoff or any(moves.mapped("cobranza_handoff")):
                partner.cobranza_next_action = self.env._("A collector follows up")
            elif upcoming:
                partner.cobranza_next_action = self.env._(
                    "%(level)s on %(date)s", level=upcoming[0][1],
                    date=format_date(self.env, upcoming[0][0]))
            else:
                partner.cobranza_next_action = False
            promise = commercial.cobranza_promise_ids.filtered(lambda p: p.state == "open")[:1]
            plan = self.env["cobranza.payment.plan"].search(
                [("partner_id", "=", commercial.id), ("state", "=", "active")], limit=1)
            if promise:
                partner.cobranza_promise_status = self.env._(
                    "Promised %(amount)s by %(date)s",
                    amount=format_amount(self.env, promise.amount, promise.currency_id),
                    date=format_date(self.env, promise.date))
            elif plan:
                partner.cobranza_promise_status = self.env._(
                    "Payment plan %(name)s: %(left)s left", name=plan.name,
                    left=format_amount(self.env, plan.amount_residual, plan.currency_id))
            else:
                partner.cobranza_promise_status = False

    # === CRUD METHODS === #

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # A form sends its empty fields too: only a value set is a change.
            self._cobranza_check_write({key: value for key, value in vals.items() if value})
        return super().create(vals_list)

    def write(self, vals):
        self._cobranza_check_write(vals)
        return super().write(vals)

    # === ACTION METHODS === #

    def action_cobranza_open_messages(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Collection Messages"),
            "res_model": "cobranza.message",
            "view_mode": "list,form",
            "domain": [("partner_id", "child_of", self.commercial_partner_id.id)],
            "context": {"create": False},
        }

    def action_cobranza_open_overdue(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Overdue Invoices"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [(self.env.ref("account.view_out_invoice_tree").id, "list"),
                      (self.env.ref("account.view_move_form").id, "form")],
            "domain": [
                ("partner_id", "child_of", self.commercial_partner_id.id),
                *OPEN_RECEIVABLE_DOMAIN,
                ("invoice_date_due", "<", fields.Date.context_today(self)),
            ],
            "context": {"create": False, "default_move_type": "out_invoice"},
        }

    def action_cobranza_record_promise(self):
        """A promise the customer made to a collector, for all it owes here."""
        self.ensure_one()
        return self.env["cobranza.promise"]._action_new(
            self.commercial_partner_id, self._cobranza_open_invoices())

    def action_cobranza_offer_plan(self):
        """A payment plan for what the customer owes here, to agree with it."""
        self.ensure_one()
        return self.env["cobranza.payment.plan"]._action_new(
            self.commercial_partner_id, self._cobranza_open_invoices())

    # === BUSINESS METHODS === #

    def _cobranza_open_invoices(self):
        """The customer's open invoices in the current company, oldest due first."""
        self.ensure_one()
        return self.env["account.move"].search([
            ("commercial_partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id), *OPEN_RECEIVABLE_DOMAIN,
        ], order="invoice_date_due, id")

    def _cobranza_check_write(self, vals):
        """Sales reps see the collection status but only collection users change it."""
        if self.env.su or not any(key.startswith("cobranza_") for key in vals):
            return
        if not self.env.user.has_group("cobranza_whatsapp.group_cobranza_user"):
            raise AccessError(
                self.env._("Only WhatsApp Collections users can change collection data.")
            )

    def _cobranza_collector(self, company):
        """Who takes the case: the customer's collector, its salesperson, the default one."""
        self.ensure_one()
        return self._cobranza_collectors(company)[self.id]

    def _cobranza_collectors(self, company):
        """The collector of each customer in self, as {partner id: user}, in one pass."""
        default = (
            company.cobranza_collector_id
            or self.env.ref("base.user_admin", raise_if_not_found=False)
            or self.env.user
        )
        return {
            partner.id: (commercial.cobranza_collector_id or commercial.user_id or default)
            for partner in self
            for commercial in [partner.commercial_partner_id.with_company(company)]
        }

    # === COMMITMENTS === #

    def _cobranza_commitment_broken(self, moves, record, note, tell_customer=False):
        """A promise or a payment plan not kept, handled one way: the reminders of `moves`
        resume, the customer's count of broken commitments grows, `record` (the promise or
        the plan) says so, and (`tell_customer`) the customer is told on WhatsApp."""
        self.ensure_one()
        moves.sudo().write({"cobranza_paused_until": False})
        self.sudo().with_company(record.company_id).cobranza_broken_promises += 1
        record.message_post(body=note)
        if tell_customer:
            self.env["cobranza.message"].sudo()._queue_purpose(self, moves, "broken_promise")

    def _cobranza_new_record_action(self, res_model, name, moves):
        """The form of a new promise or plan of this customer for `moves`, as a collector
        starts one from the invoice or the customer."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": res_model,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_move_ids": [Command.set(moves.ids)],
                "default_company_id": (moves[:1].company_id or self.env.company).id,
            },
        }
