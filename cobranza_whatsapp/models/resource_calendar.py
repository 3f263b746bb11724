import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from odoo import models


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _cobranza_holidays(self, start, end):
        """The local dates of this calendar's public holidays (its leaves without a
        resource, and the company's global ones) between the naive UTC `start` and `end`."""
        self.ensure_one()
        leaves = self.env["resource.calendar.leaves"].sudo().search([
            ("resource_id", "=", False), ("date_to", ">=", start), ("date_from", "<=", end),
            "|", ("calendar_id", "=", self.id),
            "&", ("calendar_id", "=", False), ("company_id", "in", (self.company_id.id, False)),
        ])
        try:
            zone = ZoneInfo(self.tz or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = datetime.UTC
        dates = set()
        for leave in leaves:
            first = leave.date_from.replace(tzinfo=datetime.UTC).astimezone(zone).date()
            # A holiday ends at 23:59:59 or at midnight of the next day: that day is not in.
            last = (leave.date_to - datetime.timedelta(seconds=1)).replace(
                tzinfo=datetime.UTC).astimezone(zone).date()
            day = first
            while day <= max(first, last):
                dates.add(day)
                day += datetime.timedelta(days=1)
        return dates
