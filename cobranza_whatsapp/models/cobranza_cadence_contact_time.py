import datetime

from odoo import api, models

from ..tools import send_window


class CobranzaCadenceContactTime(models.AbstractModel):
    """Each customer's contact time: the first instant inside the contact window of its
    country and zone, holidays excluded. The cadence schedules its messages with it, the
    sender checks it when a message leaves, and purpose messages (thanks, broken
    promises, fallbacks...) are queued for it. Windows and holidays come from the
    cadence's run context (``cobranza.cadence._run_context``)."""

    _name = "cobranza.cadence.contact.time"
    _description = "Collection Contact Time"

    @api.model
    def _contact_times(self, partners, company, now, cache=None):
        """{partner id: the first instant at or after `now` inside its contact window} for
        messages outside a cadence run (thanks, broken promises, fallbacks...) and for the
        sender's check when a message leaves. `cache` keeps the company's windows and
        holidays across calls."""
        cache = {} if cache is None else cache
        context = cache.get(company.id)
        if context is None:
            context = cache[company.id] = self.env["cobranza.cadence"]._run_context(
                company, now.date())
        schedule = context.setdefault("customer_schedule", {})
        for partner in partners:
            schedule[partner.id] = (partner.cobranza_tz, partner.country_id.id)
        return {partner.id: self._scheduled_at(partner.id, now, context)
                for partner in partners}

    def _scheduled_at(self, partner_id, now, context):
        """The first instant inside the contact window of the customer's country and zone."""
        tz_name, country_id = context["customer_schedule"].get(partner_id, (None, None))
        windows = context["windows"]
        window = windows.get(country_id) or windows[False]
        if not tz_name:
            tz_name = self.env["res.partner"].browse(partner_id).cobranza_tz
        key = (tz_name, country_id)
        cache = context["schedule_cache"]
        if key not in cache:
            utc_now = now.replace(tzinfo=datetime.UTC)
            # Customers without a country are taken as of the company's.
            holidays = context["holidays"].get(country_id or context["home_country"], ())
            cache[key] = send_window.next_allowed(
                utc_now, tz_name, window, holidays
            ).astimezone(datetime.UTC).replace(tzinfo=None)
        return cache[key]
