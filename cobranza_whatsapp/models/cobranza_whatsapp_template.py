import functools
import logging
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import pdf

from ..tools import click, formatting, meta_api
from .cobranza_message_sender import batch_memo

_logger = logging.getLogger(__name__)

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
# Meta refuses a body parameter over 1,024 characters: the pay links stop short of it.
PAY_LINKS_LIMIT = 900


def _oldest_first(moves):
    """Invoices by due date (or date), oldest first."""
    if len(moves) < 2:
        return moves
    return moves.sorted(lambda m: (m.invoice_date_due or m.date, m.id))


class LazyValues(dict):
    """Template values computed when first read (``[]`` or ``get``), then kept."""

    def __init__(self, makers):
        super().__init__()
        self._makers = makers

    def __missing__(self, key):
        if key not in self._makers:
            raise KeyError(key)
        value = self[key] = self._makers[key]()
        return value

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class CobranzaWhatsappTemplate(models.Model):
    """A Meta message template: only approved ones go out, and Meta decides approval."""

    _name = "cobranza.whatsapp.template"
    _inherit = ["mail.thread", "mail.activity.mixin", "cobranza.whatsapp.template.review"]
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
        [("UTILITY", "Utility"), ("MARKETING", "Marketing"),
         ("AUTHENTICATION", "Authentication")],
        required=True,
        default="UTILITY",
        tracking=True,
        help="Payment reminders are Utility messages. Meta has the last word: a template it "
        "judges promotional is approved as Marketing, and this field then shows Meta's "
        "category.",
    )
    category_notice = fields.Char(
        copy=False, readonly=True,
        help="Meta announced that it will change this template's category (it warns a day "
        "before).")
    ttl_hours = fields.Integer(
        string="Time to Live (hours)", default=12,
        help="Meta stops trying to deliver a message of this template after this long, so a "
        "reminder is not delivered once it stopped being true (Meta allows up to 12 hours "
        "for Utility templates). 0 leaves Meta's default. Set when the template is "
        "submitted.")
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
    rejection_recommendation = fields.Text(
        copy=False, readonly=True, help="What Meta recommends changing before submitting again.")
    meta_template_id = fields.Char(string="Meta Template ID", copy=False, readonly=True, index=True)
    preview = fields.Text(compute="_compute_preview")

    _ttl_range = models.Constraint(
        "CHECK(ttl_hours BETWEEN 0 AND 12)",
        "Meta allows a time to live of at most 12 hours for Utility templates.",
    )
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

    # === SENDING === #

    def _is_sendable(self):
        self.ensure_one()
        return self.active and self.status == "approved"

    def _render_params(self, values, texts=None):
        """Body parameters in placeholder order, checked against Meta's limits before sending.

        `texts`: the values already rendered by :meth:`_param_values` (the sender renders
        them once for the parameters and the text)."""
        self.ensure_one()
        texts = self._param_values(values) if texts is None else texts
        labels = dict(self.env["cobranza.whatsapp.template.variable"]._fields["source"]
                      ._description_selection(self.env))
        return [meta_api.check_param(value, labels.get(var.source))
                for var, value in zip(self._sorted_variables(), texts, strict=True)]

    def _render_text(self, values, texts=None):
        """What the customer reads, for the chatter and the preview."""
        self.ensure_one()
        texts = self._param_values(values) if texts is None else texts
        return formatting.render_body(self.body or "", texts)

    def _param_values(self, values):
        """Each variable's value in placeholder order, as it reads in the body."""
        return [
            formatting.fit_to_text(self.body, f"{{{{{var.position}}}}}",
                                   str(values.get(var.source) or ""))
            for var in self._sorted_variables()
        ]

    def _sorted_buttons(self):
        """The buttons in their order (once per sending batch)."""
        return self.button_ids.browse(batch_memo(
            self.env, ("buttons", self.id), lambda: self.button_ids.sorted("sequence").ids))

    def _url_button_tracks_once(self):
        """:meth:`_url_button_tracks`, once per sending batch."""
        if len(self) != 1:
            return self._url_button_tracks()
        return batch_memo(self.env, ("url_button_tracks", self.id), self._url_button_tracks)

    def _sorted_variables(self):
        """The variables in placeholder order (once per sending batch)."""
        return self.variable_ids.browse(batch_memo(
            self.env, ("variables", self.id), lambda: self.variable_ids.sorted("position").ids))

    # === RENDERING AND PAYLOADS === #

    def _message_values(self, message):
        """The values this template shows for `message`: what it still owes, or (thanks)
        what it paid."""
        self.ensure_one()
        if self.purpose == "thanks":
            return self._render_values_for(message.partner_id, message.move_ids,
                                           message.company_id, paid=True, message=message)
        return self._render_values_for(message.partner_id, message._unpaid_moves(),
                                       message.company_id, message=message)

    @api.model
    def _render_values_for(self, partner, moves, company, paid=False, lang=None, message=None):
        """The invoice and customer values a template can show, formatted for the customer;
        rendered for `message`, its pay links are the message's tracked ones."""
        moves = _oldest_first(moves)
        # The template's language (the customer reads a Spanish text) in the customer's
        # country's formats; the partner's own language where no template is involved.
        language = lang or (self[:1].language if len(self) == 1 else None)
        locale = formatting.odoo_lang_to_locale(language or partner.lang,
                                                partner.country_id.code)
        today = fields.Date.context_today(self)

        def amount_of(part):
            by_currency = {}
            for move in part:
                value = move.amount_total - move.amount_residual if paid else move.amount_residual
                by_currency[move.currency_id] = by_currency.get(move.currency_id, 0.0) + value
            return " + ".join(
                formatting.format_amount(total, currency.name, locale, symbol=currency.symbol)
                for currency, total in by_currency.items()
            ) or formatting.format_amount(0, company.currency_id.name, locale,
                                          symbol=company.currency_id.symbol)

        overdue = moves.filtered(lambda m: m.invoice_date_due and m.invoice_date_due < today)
        oldest = moves[:1]
        due = oldest.invoice_date_due if oldest else False

        @functools.cache
        def early_discount():
            """Odoo's early-payment discount of one invoice, open today: what the portal
            asks for it and until when, as (amount, date); None without one."""
            if paid or len(moves) != 1 or not company.cobranza_early_discount:
                return None
            terms = moves.sudo()._get_invoice_next_payment_values()
            if terms.get("installment_state") != "epd":
                return None
            return terms["amount_due"], terms["epd_line"].discount_date
        # Computed on first use: a template asks for a few of these, not all of them.
        return LazyValues({
            "partner_name": lambda: partner.name or "",
            "company_name": lambda: company.name or "",
            "invoice_numbers": lambda: ", ".join(moves.mapped("name")),
            "overdue_invoice_numbers": lambda: ", ".join(overdue.mapped("name")),
            "invoice_count": lambda: str(len(moves)),
            "amount_due": lambda: amount_of(moves),
            "amount_overdue": lambda: amount_of(overdue),
            "amount_not_due": lambda: amount_of(moves - overdue),
            "due_date": lambda: formatting.format_date(due, locale) if due else "",
            "days_overdue": lambda: str(max((today - due).days, 0)) if due else "0",
            "pay_link": lambda: oldest._cobranza_pay_url(message) if oldest else "",
            "pay_links": lambda: self._pay_links_text(moves, message=message),
            "pay_path": lambda: oldest._cobranza_pay_path(
                message if self._url_button_tracks_once() else None) if oldest else "",
            "collector_name": lambda: partner._cobranza_collector(company).name or "",
            "early_discount_active": lambda: early_discount() is not None,
            "early_discount_amount": lambda: formatting.format_amount(
                early_discount()[0], moves.currency_id.name, locale,
                symbol=moves.currency_id.symbol) if early_discount() else "",
            "early_discount_date": lambda: formatting.format_date(
                early_discount()[1], locale) if early_discount() else "",
        })

    @api.model
    def _pay_links_text(self, moves, limit=PAY_LINKS_LIMIT, message=None):
        """One pay link per invoice (`message`'s tracked ones), on one line (Meta refuses
        line breaks in values); past `limit` characters the rest is left to the portal."""
        parts = []
        for index, move in enumerate(moves):
            part = f"{move.name}: {move._cobranza_pay_url(message)}"
            if sum(len(p) + 3 for p in parts) + len(part) > limit:
                parts.append(self.env._("%(count)s more in your customer portal",
                                        count=len(moves) - index))
                break
            parts.append(part)
        return " · ".join(parts)

    def _url_button_tracks(self):
        """Whether the template's pay link button takes a tracked path as its suffix (its
        approved URL is ``https://<host>/{{1}}``); one approved with a path before the
        variable keeps the plain pay path."""
        button = self.button_ids.filtered(lambda b: b.button_type == "url")[:1] \
            if len(self) == 1 else self.env["cobranza.whatsapp.template.button"]
        return bool(button) and click.button_fits_tracked_suffix(button.url,
                                                                 self.get_base_url())

    def _send_payload(self, message, account, params, values):
        """Meta's template message for `message`: header document, body, buttons, and our
        callback data (echoed in Meta's statuses, it identifies an interrupted send)."""
        self.ensure_one()
        header = None
        if self.header_type == "document":
            header = self._document_header(message, account)
        url_suffix = None
        quick_replies = []
        url_index = 0
        reference = message.move_ids[:1].name or ""
        for index, button in enumerate(self._sorted_buttons()):
            if button.button_type == "url":
                url_index, url_suffix = index, values["pay_path"]
            else:
                quick_replies.append((index, f"{button.payload}:{reference}"))
        return meta_api.build_template_payload(
            message.partner_id.cobranza_whatsapp_number.lstrip("+"),
            self.name,
            self.language,
            params,
            header_document=header,
            url_button_suffix=url_suffix,
            url_button_index=url_index,
            quick_replies=quick_replies,
            callback_data=meta_api.callback_data(message.id),
        )

    @api.model
    def _document_header(self, message, account):
        """The invoice PDF (several invoices: one PDF with all of them), by id or by link."""
        moves = _oldest_first(message._unpaid_moves())
        if len(moves) == 1:
            filename = f"{moves.name.replace('/', '_')}.pdf"
        else:
            filename = self.env._("Statement_%(name)s.pdf",
                                  name=(message.partner_id.name or "").replace(" ", "_")[:40])
        if message.company_id.cobranza_pdf_mode == "link":
            # Meta fetches one document by link: a statement links its oldest invoice.
            oldest = moves[:1]
            return {"link": oldest._cobranza_pdf_url(),
                    "filename": f"{oldest.name.replace('/', '_')}.pdf"}
        content = pdf.merge_pdf([move._cobranza_pdf_content() for move in moves]) \
            if len(moves) > 1 else moves._cobranza_pdf_content()
        media_id = self.env["cobranza.whatsapp.media"].sudo()._get_media_id(
            account, content, filename
        )
        return {"id": media_id, "filename": filename}
