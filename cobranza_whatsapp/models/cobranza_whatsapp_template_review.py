import datetime
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_datetime

from ..tools import meta_api, sample_document

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

# Examples Meta sees for a variable that has none of its own.
GENERIC_EXAMPLES = {
    "partner_name": "María",
    "company_name": "Distribuidora Andina",
    "invoice_numbers": "F001-00042",
    "invoice_count": "2",
    "amount_due": "S/ 1,250.00",
    "amount_overdue": "S/ 1,250.00",
    "amount_not_due": "S/ 480.00",
    "overdue_invoice_numbers": "F001-00042",
    "due_date": "15/12/2026",
    "days_overdue": "5",
    "pay_link": "https://example.com/my/invoices/42",
    "pay_links": "F001-00042: https://example.com/my/invoices/42",
    "collector_name": "Carla",
}



class CobranzaWhatsappTemplateReview(models.AbstractModel):
    """A template's life at Meta: submitted with the examples Meta requires, reviewed,
    categorised (Meta has the last word), paused or disabled; inherited by
    ``cobranza.whatsapp.template``."""

    _name = "cobranza.whatsapp.template.review"
    _description = "WhatsApp Template Review by Meta"

    # === ACTION METHODS === #

    def action_submit(self):
        """Send the template to Meta for review, with the examples Meta requires (a sample
        file for a document header, a value for every variable); sandbox accounts approve
        it at once."""
        self.check_access("write")  # before any call to Meta
        for template in self:
            account = template.account_id or self.env["cobranza.whatsapp.account"]._get_for_company(
                template.company_id
            )
            if not account:
                raise UserError(self.env._("Configure a WhatsApp account before submitting "
                                           "templates."))
            try:
                client = account._graph_api()
                handle = template._upload_header_example(client)
                payload = template._meta_create_payload(header_handle=handle)
                if template.meta_template_id and template.status == "rejected":
                    # Meta keeps a rejected template: it is edited, not created again.
                    client.edit_template(template.meta_template_id, payload)
                    answer = {"id": template.meta_template_id, "status": "PENDING"}
                else:
                    answer = client.create_template(payload)
            except meta_api.MetaError as error:
                raise UserError(
                    self.env._("Meta did not accept template %(name)s: %(reason)s",
                               name=template.name,
                               reason=self.env._(meta_api.user_explanation(error)))
                ) from error
            except ValueError as error:
                raise UserError(self.env._(str(error))) from None
            vals = {
                "account_id": account.id,
                "meta_template_id": answer.get("id"),
                "status": META_STATUS_MAP.get(answer.get("status", "PENDING"), "pending"),
                "rejected_reason": False,
                "rejection_recommendation": False,
            }
            category = str(answer.get("category") or "").upper()
            if category in dict(self._fields["category"].selection) and \
                    category != template.category:
                vals["category"] = category
                template.message_post(body=self.env._(
                    "Meta classified this template as %(category)s, not as submitted. Review "
                    "its text: a collection reminder must read as a notice, not as an offer.",
                    category=self._category_label(category)))
            template.write(vals)
        return True

    def action_sync_status(self):
        """Read every template's status and quality from Meta, page by page."""
        self.check_access("write")  # before any call to Meta: the answers are written here
        accounts = self.mapped("account_id") or self.env["cobranza.whatsapp.account"].search(
            [("company_id", "in", self.env.companies.ids)]
        )
        for account in accounts:
            try:
                self._sync_account(account)
            except meta_api.MetaError as error:
                raise UserError(self.env._(
                    "Meta did not give the templates of %(account)s: %(reason)s",
                    account=account.name,
                    reason=self.env._(meta_api.user_explanation(error)))) from error
        return True

    # === BUSINESS METHODS === #

    def _upload_header_example(self, client):
        """The ``header_handle`` of a sample invoice, uploaded with the Resumable Upload API
        (it needs the account's Meta App ID); None without a document header."""
        self.ensure_one()
        if self.header_type != "document":
            return None
        if not client.app_id:
            raise UserError(self.env._(
                "Template %(name)s has an invoice PDF header: Meta asks for a sample file, "
                "which is uploaded with the Meta App ID. Enter the App ID on the WhatsApp "
                "account (Meta for Developers, App settings, Basic).", name=self.name))
        examples = self._examples()
        content = sample_document.example_invoice_pdf(
            self.company_id.name, self.env._("Invoice %(number)s",
                                             number=examples.get("invoice_numbers", "")),
            [examples.get("amount_due", ""), examples.get("due_date", "")])
        return client.upload_example(content, "invoice_example.pdf")

    def _examples(self):
        """Example value of each source: the variable's own, else a generic one (Meta
        refuses a variable without an example)."""
        self.ensure_one()
        values = {var.source: var.example or "" for var in self.variable_ids}
        for source, example in GENERIC_EXAMPLES.items():
            if not values.get(source):
                values[source] = example
        return values

    def _meta_create_payload(self, header_handle=None):
        self.ensure_one()
        known = self._examples()
        examples = [var.example or known.get(var.source) or var.source
                    for var in self.variable_ids.sorted("position")]
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
            header_handle=header_handle,
            ttl_seconds=self.ttl_hours * 3600 if self.category == "UTILITY" else None,
        )

    def _category_label(self, category):
        return dict(self._fields["category"]._description_selection(self.env)).get(
            category, category)

    @api.model
    def _sync_account(self, account, page_size=100):
        for item in account._graph_api().list_templates(page_size=page_size):
            self._apply_meta_status(account, item)

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
        if item.get("rejection_recommendation"):
            vals["rejection_recommendation"] = str(item["rejection_recommendation"])
        category = str(item.get("category") or "").upper()
        if category in dict(self._fields["category"].selection) and \
                category != template.category:
            vals.update(category=category, category_notice=False)
        if item.get("id") and not template.meta_template_id:
            vals["meta_template_id"] = str(item["id"])
        if vals:
            was_paused = template.status == "paused"
            template.write(vals)
            if was_paused and template.status == "approved":
                template._release_held_messages()
        return template

    def _release_held_messages(self):
        """Meta approved a paused template again: its held messages go out on the next run,
        not an hour later."""
        held = self.env["cobranza.message"].sudo().search([
            ("template_id", "in", self.ids), ("state", "=", "queued"),
            ("next_attempt_at", "!=", False)])
        held.write({"next_attempt_at": False})
        if held:
            _logger.info("Released %s messages held by paused templates", len(held))
        return held

    @api.model
    def _apply_webhook_event(self, account, event):
        """Meta's template status, quality and category updates."""
        kind = event.get("kind")
        item = {"id": event.get("template_id"), "name": event.get("template_name"),
                "language": event.get("language")}
        if kind == "template_status":
            item.update(status=event.get("event"), category=event.get("category"),
                        rejected_reason=event.get("rejection_reason") or event.get("reason"),
                        rejection_recommendation=event.get("rejection_recommendation"))
        elif kind == "template_quality":
            item["quality_score"] = {"score": event.get("new_quality_score")}
        elif kind == "template_category" and not event.get("correct_category"):
            item["category"] = event.get("new_category")  # the change is done
        template = self._apply_meta_status(account, item) if account else self.browse()
        if not template:
            return template
        if kind == "template_category" and event.get("correct_category"):
            template._announce_category_change(event["correct_category"],
                                               event.get("category_update_timestamp"))
        elif kind == "template_category":
            template.message_post(body=self.env._(
                "Meta changed this template's category from %(old)s to %(new)s.",
                old=self._category_label(event.get("previous_category") or "?"),
                new=self._category_label(event.get("new_category") or "?")))
        if kind == "template_status":
            template.message_post(body=self.env._(
                "Meta reports %(event)s for this template. %(reason)s %(recommendation)s",
                event=event.get("event") or "?",
                reason=event.get("rejection_reason") or event.get("reason") or "",
                recommendation=event.get("rejection_recommendation") or "",
            ))
        return template

    def _announce_category_change(self, future, timestamp):
        """Meta's advance notice (a day before): the managers hear of it while the texts can
        still be changed."""
        self.ensure_one()
        when = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).replace(tzinfo=None) \
            if timestamp else fields.Datetime.now() + datetime.timedelta(days=1)
        notice = self.env._("Meta will change the category to %(category)s on %(date)s.",
                            category=self._category_label(future),
                            date=format_datetime(self.env, when, dt_format="short"))
        self.category_notice = notice
        self.message_post(body=notice)
        managers = self.env.ref("cobranza_whatsapp.group_cobranza_manager").user_ids
        for user in managers.filtered(lambda u: self.company_id in u.company_ids):
            self.activity_schedule(
                "mail.mail_activity_data_warning", user_id=user.id, date_deadline=when.date(),
                summary=self.env._("Template category changes to %(category)s",
                                   category=self._category_label(future)),
                note=self.env._("%(notice)s Marketing templates cost more and need marketing "
                                "consent; rewrite the text as a plain notice and submit it "
                                "again, or accept the change.", notice=notice))
