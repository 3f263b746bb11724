import logging
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import formatting, meta_api

_logger = logging.getLogger(__name__)

# Meta's template statuses folded into the few a collector needs to reason about.
META_STATUS_MAP = {
    "APPROVED": "approved",
    "REINSTATED": "approved",
    "UNARCHIVED": "approved",
    "PENDING": "pending",
    "IN_APPEAL": "pending",
    "REJECTED": "rejected",
    "PAUSED": "paused",
    "FLAGGED": "approved",
    "DISABLED": "disabled",
    "PENDING_DELETION": "disabled",
    "DELETED": "disabled",
    "ARCHIVED": "disabled",
    "LIMIT_EXCEEDED": "rejected",
    "LOCKED": "disabled",
}

PURPOSES = [
    ("preventive", "Before the due date"),
    ("due", "Due day"),
    ("overdue", "Overdue"),
    ("plan", "Payment plan offer"),
    ("final", "Final notice"),
    ("statement", "Statement of several invoices"),
    ("thanks", "Payment received"),
    ("broken_promise", "Promise not kept"),
    ("plan_instalment", "Payment plan instalment"),
    ("other", "Other"),
]

PLACEHOLDER_RE = re.compile(r"\{\{(\d+)\}\}")


class CobranzaWhatsappTemplate(models.Model):
    """A Meta message template: only approved ones go out, and Meta decides approval."""

    _name = "cobranza.whatsapp.template"
    _inherit = ["mail.thread"]
    _description = "WhatsApp Message Template"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(
        required=True,
        help="Meta's template name: lowercase letters, digits and underscores.",
    )
    label = fields.Char(string="Description", translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    account_id = fields.Many2one(
        "cobranza.whatsapp.account",
        string="WhatsApp Account",
        check_company=True,
        index=True,
        help="The account whose WhatsApp Business Account owns the template.",
    )
    language = fields.Char(
        required=True, default="es", help="Meta's language code: es, es_MX, en_US…"
    )
    category = fields.Selection(
        [("UTILITY", "Utility"), ("MARKETING", "Marketing")],
        required=True,
        default="UTILITY",
        help="Payment reminders are Utility messages.",
    )
    purpose = fields.Selection(PURPOSES, default="overdue", required=True)
    header_type = fields.Selection(
        [("none", "None"), ("document", "Invoice PDF")], default="document", required=True
    )
    body = fields.Text(required=True, help="Message text with placeholders {{1}}, {{2}}…")
    footer = fields.Char()
    variable_ids = fields.One2many(
        "cobranza.whatsapp.template.variable", "template_id", string="Variables", copy=True
    )
    button_ids = fields.One2many(
        "cobranza.whatsapp.template.button", "template_id", string="Buttons", copy=True
    )
    status = fields.Selection(
        [
            ("draft", "Draft"),
            ("pending", "Pending Meta review"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("paused", "Paused by Meta"),
            ("disabled", "Disabled by Meta"),
        ],
        default="draft",
        required=True,
        copy=False,
        tracking=True,
    )
    quality = fields.Selection(
        [("GREEN", "High"), ("YELLOW", "Medium"), ("RED", "Low"), ("UNKNOWN", "Unknown")],
        default="UNKNOWN",
        copy=False,
        tracking=True,
    )
    rejected_reason = fields.Char(copy=False, readonly=True)
    meta_template_id = fields.Char(string="Meta Template ID", copy=False, readonly=True, index=True)
    preview = fields.Text(compute="_compute_preview")

    _name_lang_uniq = models.Constraint(
        "unique(company_id, name, language)",
        "A template with this name and language already exists.",
    )

    @api.depends("body", "variable_ids.example", "variable_ids.position")
    def _compute_preview(self):
        for template in self:
            examples = {var.position: var.example or f"[{var.source}]"
                        for var in template.variable_ids}
            template.preview = PLACEHOLDER_RE.sub(
                lambda m, ex=examples: ex.get(int(m.group(1)), m.group(0)), template.body or ""
            )

    @api.constrains("name")
    def _check_name(self):
        for template in self:
            try:
                meta_api.validate_template_name(template.name)
            except ValueError as error:
                raise ValidationError(self.env._(str(error))) from None

    @api.constrains("body", "variable_ids", "footer")
    def _check_body(self):
        for template in self:
            if len(template.body or "") > meta_api.TEXT_LIMITS["body"]:
                raise ValidationError(
                    self.env._("Template %(name)s: the body is longer than Meta's %(limit)s "
                               "characters.", name=template.name,
                               limit=meta_api.TEXT_LIMITS["body"])
                )
            if len(template.footer or "") > meta_api.TEXT_LIMITS["footer"]:
                raise ValidationError(
                    self.env._("Template %(name)s: the footer is longer than Meta's %(limit)s "
                               "characters.", name=template.name,
                               limit=meta_api.TEXT_LIMITS["footer"])
                )
            used = {int(n) for n in PLACEHOLDER_RE.findall(template.body or "")}
            mapped = set(template.variable_ids.mapped("position"))
            if used != mapped or used != set(range(1, len(used) + 1)):
                raise ValidationError(
                    self.env._(
                        "Template %(name)s: the placeholders in the body (%(used)s) must be "
                        "numbered from {{1}} without gaps and each mapped to a value "
                        "(mapped: %(mapped)s).",
                        name=template.name,
                        used=", ".join(map(str, sorted(used))) or "-",
                        mapped=", ".join(map(str, sorted(mapped))) or "-",
                    )
                )

    # === ACTION METHODS === #

    def action_submit(self):
        """Send the template to Meta for review; sandbox accounts approve it at once."""
        for template in self:
            account = template.account_id or self.env["cobranza.whatsapp.account"]._get_for_company(
                template.company_id
            )
            if not account:
                raise UserError(self.env._("Configure a WhatsApp account before submitting "
                                           "templates."))
            payload = template._meta_create_payload()
            try:
                answer = account._send_api_request(
                    "POST", f"{account.waba_id or 'sandbox'}/message_templates", json=payload
                )
            except meta_api.MetaError as error:
                raise UserError(
                    self.env._("Meta did not accept template %(name)s: %(reason)s",
                               name=template.name, reason=self.env._(str(error)))
                ) from error
            template.write({
                "account_id": account.id,
                "meta_template_id": answer.get("id"),
                "status": META_STATUS_MAP.get(answer.get("status", "PENDING"), "pending"),
                "rejected_reason": False,
            })
        return True

    def action_sync_status(self):
        """Read every template's status and quality from Meta, page by page."""
        accounts = self.mapped("account_id") or self.env["cobranza.whatsapp.account"].search(
            [("company_id", "in", self.env.companies.ids)]
        )
        for account in accounts:
            self._sync_account(account)
        return True

    # === BUSINESS METHODS === #

    def _meta_create_payload(self):
        self.ensure_one()
        examples = [var.example or var.source for var in self.variable_ids.sorted("position")]
        buttons = []
        base_url = self.get_base_url().rstrip("/")
        for button in self.button_ids:
            if button.button_type == "url":
                url = button.url or base_url + "/{{1}}"
                buttons.append({"type": "URL", "text": button.text, "url": url,
                                "example": [url.replace("{{1}}", "my/invoices/1")]})
            else:
                buttons.append({"type": "QUICK_REPLY", "text": button.text})
        return meta_api.build_template_create_payload(
            self.name, self.language, self.category, self.body,
            header_document=self.header_type == "document",
            footer=self.footer or None,
            buttons=buttons,
            body_examples=examples,
        )

    @api.model
    def _sync_account(self, account, page_size=100):
        endpoint = f"{account.waba_id or 'sandbox'}/message_templates"
        params = {"fields": "id,name,status,category,language,quality_score,rejected_reason",
                  "limit": page_size}
        seen_pages = 0
        while endpoint and seen_pages < 100:
            answer = account._send_api_request("GET", endpoint, params=params)
            for item in answer.get("data") or []:
                self._apply_meta_status(account, item)
            endpoint = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if endpoint:
                params = dict(params, after=endpoint)
                endpoint = f"{account.waba_id or 'sandbox'}/message_templates"
            seen_pages += 1

    @api.model
    def _apply_meta_status(self, account, item):
        domain = [("company_id", "=", account.company_id.id)]
        if item.get("id"):
            template = self.search([*domain, ("meta_template_id", "=", str(item["id"]))], limit=1)
        else:
            template = self.browse()
        if not template and item.get("name"):
            template = self.search(
                [*domain, ("name", "=", item["name"]), ("language", "=", item.get("language"))],
                limit=1,
            )
        if not template:
            return template
        vals = {}
        status = META_STATUS_MAP.get(str(item.get("status", "")).upper())
        if status:
            vals["status"] = status
        quality = (item.get("quality_score") or {}).get("score")
        if quality in ("GREEN", "YELLOW", "RED", "UNKNOWN"):
            vals["quality"] = quality
        if item.get("rejected_reason") and item.get("rejected_reason") != "NONE":
            vals["rejected_reason"] = str(item["rejected_reason"])[:255]
        if item.get("id") and not template.meta_template_id:
            vals["meta_template_id"] = str(item["id"])
        if vals:
            template.write(vals)
        return template

    def _is_sendable(self):
        self.ensure_one()
        return self.active and self.status == "approved"

    def _render_params(self, values):
        """Body parameters in placeholder order, checked against Meta's limits before sending."""
        self.ensure_one()
        params = []
        for var in self.variable_ids.sorted("position"):
            label = dict(var._fields["source"]._description_selection(self.env)).get(var.source)
            params.append(meta_api.check_param(str(values.get(var.source) or ""), label))
        return params

    def _render_text(self, values):
        """What the customer reads, for the chatter and the preview."""
        self.ensure_one()
        params = [str(values.get(var.source) or "") for var in self.variable_ids.sorted("position")]
        return formatting.render_body(self.body or "", params)

    @api.model
    def _apply_webhook_event(self, account, event):
        """Meta's template status, quality and category updates."""
        kind = event.get("kind")
        item = {"id": event.get("template_id"), "name": event.get("template_name"),
                "language": event.get("language")}
        if kind == "template_status":
            item["status"] = event.get("event")
            item["rejected_reason"] = event.get("reason")
        elif kind == "template_quality":
            item["quality_score"] = {"score": event.get("new_quality_score")}
        template = self._apply_meta_status(account, item) if account else self.browse()
        if template and kind == "template_category" and event.get("new_category") in (
                "UTILITY", "MARKETING"):
            template.category = event["new_category"]
        if template and kind == "template_status":
            template.message_post(body=self.env._(
                "Meta reports %(event)s for this template. %(reason)s",
                event=event.get("event") or "?", reason=event.get("reason") or "",
            ))
        return template
