from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import cadence
from ..tools.receivable import OPEN_RECEIVABLE_DOMAIN, is_open


class CobranzaMessageCompose(models.TransientModel):
    """"Send reminder now": the cadence's own choice for one customer, previewed, queued and
    sent at once by the send cron."""

    _name = "cobranza.message.compose"
    _description = "Send a Collection Reminder Now"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    level_id = fields.Many2one("cobranza.level", compute="_compute_plan",
                               store=True, readonly=False)
    channel = fields.Selection(
        [("whatsapp", "WhatsApp"), ("sms", "SMS"), ("email", "E-mail")],
        compute="_compute_plan", store=True, readonly=False,
    )
    template_id = fields.Many2one("cobranza.whatsapp.template", compute="_compute_plan",
                                  store=True, readonly=False)
    ab_variant = fields.Selection([("a", "A"), ("b", "B")], string="Variant",
                                  compute="_compute_ab_variant")
    note = fields.Text(compute="_compute_plan", store=True)
    preview = fields.Text(compute="_compute_preview")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "account.move":
            moves = self.env["account.move"].browse(ids)
            partner = moves.commercial_partner_id
            if len(partner) != 1:
                raise UserError(self.env._("Choose invoices of a single customer."))
        elif model == "res.partner":
            partner = self.env["res.partner"].browse(ids[:1]).commercial_partner_id
            moves = self.env["account.move"].search([
                ("commercial_partner_id", "=", partner.id),
                ("company_id", "=", self.env.company.id),
                *OPEN_RECEIVABLE_DOMAIN,
            ])
        else:
            return values
        moves = moves.filtered(is_open)
        if not moves:
            raise UserError(self.env._("%(customer)s has no open invoice to remind.",
                                       customer=partner.display_name))
        values.update(partner_id=partner.id, move_ids=[(6, 0, moves.ids)],
                      company_id=moves[0].company_id.id)
        return values

    @api.depends("partner_id", "move_ids")
    def _compute_plan(self):
        for wizard in self:
            levels = self.env["cobranza.level"].search(
                [("company_id", "=", wizard.company_id.id)])
            today = fields.Date.context_today(self)
            overdue = max(((today - m.invoice_date_due).days for m in wizard.move_ids
                           if m.invoice_date_due), default=0)
            current = levels.filtered(lambda lv, d=overdue: lv.offset_days <= d)[-1:] \
                or levels[:1]
            partner = wizard.partner_id.with_company(wizard.company_id)
            rule = self.env["cobranza.cadence"]._level_rule(current) if current else None
            facts = cadence.Customer(
                id=partner.id, risk=partner.cobranza_risk or "low",
                customer_type=partner.cobranza_customer_type or "new",
                consent=partner.cobranza_consent or "none",
                has_whatsapp_number=bool(partner.cobranza_whatsapp_number),
                has_phone=bool(partner.phone), has_email=bool(partner.email),
            )
            channel, reason = cadence.resolve_channel(rule, facts) if rule else (None, None)
            if channel == cadence.CALL:
                channel = "whatsapp" if facts.consent == "optin" and \
                    facts.has_whatsapp_number else None
            wizard.level_id = current
            wizard.channel = channel
            # The cadence's template for this customer at this level, A/B variant included.
            wizard.template_id = current._template_for(
                current._ab_variant_for(partner), len(wizard.move_ids)
            ) if current and channel == "whatsapp" else False
            wizard.note = self.env._(reason) if reason else False

    @api.depends("level_id", "partner_id", "channel")
    def _compute_ab_variant(self):
        for wizard in self:
            wizard.ab_variant = wizard.level_id._ab_variant_for(wizard.partner_id) \
                if wizard.level_id and wizard.channel == "whatsapp" else False

    @api.depends("template_id", "move_ids", "channel")
    def _compute_preview(self):
        for wizard in self:
            if wizard.channel == "whatsapp" and wizard.template_id:
                values = wizard.template_id._render_values_for(
                    wizard.partner_id, wizard.move_ids, wizard.company_id)
                wizard.preview = wizard.template_id._render_text(values)
            elif wizard.channel == "sms" and wizard.level_id.sms_template_id:
                move = wizard.move_ids[:1]
                wizard.preview = wizard.level_id.sms_template_id._render_field(
                    "body", move.ids, compute_lang=True)[move.id]
            elif wizard.channel == "email" and wizard.level_id.mail_template_id:
                move = wizard.move_ids[:1]
                wizard.preview = wizard.level_id.mail_template_id._render_field(
                    "subject", move.ids, compute_lang=True)[move.id]
            else:
                wizard.preview = False

    def action_send(self):
        """Queue the reminder and wake the sender; nothing is posted to Meta from here.

        Odoo replays a request's transaction after a serialization failure: a post made in
        it would be made again, and the customer would get the reminder twice. The message
        is committed to the outbox with the request, and the send cron posts it once.
        """
        self.ensure_one()
        if not self.channel:
            raise UserError(self.env._(
                "This customer cannot be reached: %(reason)s",
                reason=self.note or self.env._("no consent, phone or e-mail for this level.")))
        Message = self.env["cobranza.message"].sudo()
        message = Message.create(Message._outbound_values(
            self.partner_id, self.move_ids, self.company_id, channel=self.channel,
            level_id=self.level_id.id, template_id=self.template_id.id,
            ab_variant=self._ab_variant_sent()))
        message._trigger_sender()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Reminder queued"),
                "message": self.env._(
                    "The reminder to %(customer)s is in the outbox and goes out in a moment.",
                    customer=self.partner_id.display_name),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _ab_variant_sent(self):
        """The variant counts in the level's A/B test only if its template is what goes out.

        A template picked by hand is outside the test, as the cadence's messages of a
        level without variant B are.
        """
        self.ensure_one()
        level = self.level_id
        if not (level.template_b_id and self.ab_variant and self.template_id) or \
                self.template_id != level._template_for(self.ab_variant, len(self.move_ids)):
            return False
        return self.ab_variant
