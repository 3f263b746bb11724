import datetime

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import send_window

WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CobranzaContactWindow(models.Model):
    """Hours and days a country allows collection messages, adjustable by the admin.

    Shipped as presets for the countries our users collect in; the cadence schedules every
    message inside the window of the customer's country, in the customer's time zone.
    """

    _name = "cobranza.contact.window"
    _description = "Collection Contact Window"
    _order = "country_id, id"

    name = fields.Char(required=True, translate=True)
    country_id = fields.Many2one("res.country", index=True)
    company_id = fields.Many2one(
        "res.company", index=True,
        help="Leave empty to apply to every company.",
    )
    active = fields.Boolean(default=True)
    hour_from = fields.Float(string="From", required=True, default=9.0)
    hour_to = fields.Float(string="To", required=True, default=18.0)
    saturday_hour_to = fields.Float(
        string="Saturday Until", help="Earlier end on Saturdays; empty means the usual end."
    )
    monday = fields.Boolean(default=True)
    tuesday = fields.Boolean(default=True)
    wednesday = fields.Boolean(default=True)
    thursday = fields.Boolean(default=True)
    friday = fields.Boolean(default=True)
    saturday = fields.Boolean(default=False)
    sunday = fields.Boolean(default=False)
    use_public_holidays = fields.Boolean(
        string="Skip Public Holidays",
        default=True,
        help="No messages on the public holidays of the holiday calendar.",
    )
    holiday_calendar_id = fields.Many2one(
        "resource.calendar",
        help="The working calendar whose public holidays apply to customers of this "
        "country. Empty: the company's calendar for customers of the company's own country, "
        "none for other countries.",
    )
    legal_note = fields.Text(string="Legal Basis", translate=True)

    _country_company_uniq = models.UniqueIndex(
        "(country_id, COALESCE(company_id, 0)) WHERE active",
        "There is already an active contact window for this country and company.",
    )

    @api.constrains("hour_from", "hour_to", "saturday_hour_to")
    def _check_hours(self):
        for window in self:
            if not 0 <= window.hour_from < window.hour_to <= 24:
                raise ValidationError(
                    self.env._(
                        "Contact window %(name)s: the hours must be between 0 and 24 "
                        "and end after they start.",
                        name=window.name,
                    )
                )
            if window.saturday_hour_to and not (
                window.hour_from < window.saturday_hour_to <= window.hour_to
            ):
                raise ValidationError(
                    self.env._(
                        "Contact window %(name)s: Saturday must end after the start hour "
                        "and no later than the usual end.",
                        name=window.name,
                    )
                )

    # === BUSINESS METHODS === #

    def _to_window(self):
        """The pure-logic value the scheduler works with."""
        self.ensure_one()
        return send_window.Window(
            hour_from=self.hour_from,
            hour_to=self.hour_to,
            weekdays=frozenset(
                day for day, field_name in enumerate(WEEKDAY_FIELDS) if self[field_name]
            ),
            saturday_hour_to=self.saturday_hour_to or None,
        )

    @api.model
    def _holidays_by_country(self, company, date_from, date_to):
        """{country id: set of dates} without messages, from `date_from` to `date_to`.

        A country's holidays are those of its window's calendar; the company's calendar
        serves only its own country (customers without a country are taken as such). A
        holiday is the local day of its calendar: one entered on 19 November in Lima runs
        from 05:00 UTC on the 19th to 05:00 on the 20th, and blocks the 19th only.
        """
        calendars = {}
        home = company.country_id.id
        windows = self.search([("company_id", "in", (False, company.id))],
                              order="company_id desc nulls last")
        for window in windows:
            country = window.country_id.id or False
            if country in calendars or not country:
                continue
            calendars[country] = (window.holiday_calendar_id or (
                company.resource_calendar_id if country == home else None)
            ) if window.use_public_holidays else None
        if home and home not in calendars:
            calendars[home] = company.resource_calendar_id
        result = {}
        start = datetime.datetime.combine(date_from, datetime.time.min)
        end = datetime.datetime.combine(date_to, datetime.time.max)
        for calendar in {cal for cal in calendars.values() if cal}:
            dates = calendar._cobranza_holidays(start, end)
            for country, country_calendar in calendars.items():
                if country_calendar == calendar:
                    result[country] = dates
        return result

    @api.model
    def _windows_by_country(self, company):
        """Map country id (or False for the default) to the window that applies."""
        windows = self.search(
            [("company_id", "in", (False, company.id))], order="company_id desc nulls last"
        )
        result = {}
        for window in windows:
            result.setdefault(window.country_id.id or False, window._to_window())
        if False not in result:
            result[False] = send_window.DEFAULT_WINDOW
        return result
