"""When a collection message may reach a customer.

Latin American consumer-protection laws limit the hours and days a creditor may contact a
debtor. The cadence therefore never sends "now": it asks :func:`next_allowed` for the first
instant inside the window of the customer's country, in the customer's time zone, skipping
public holidays. Everything here is pure so the rules are tested without a database.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz

from .i18n import _lt

_logger = logging.getLogger(__name__)

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
MON_FRI = frozenset(range(MONDAY, SATURDAY))
MON_SAT = frozenset(range(MONDAY, SUNDAY))


@dataclass(frozen=True)
class Window:
    """Contact hours as local wall-clock hours (``8.5`` is 08:30), end exclusive.

    ``saturday_hour_to`` exists because several laws allow Saturdays with an earlier end;
    it only matters when Saturday is among ``weekdays``.
    """

    hour_from: float
    hour_to: float
    weekdays: frozenset[int]
    saturday_hour_to: float | None = None

    def __post_init__(self):
        if not 0 <= self.hour_from < self.hour_to <= 24:
            raise ValueError(_lt("Contact hours must be within 0-24 and end after they start."))
        if not set(self.weekdays) <= set(range(7)):
            raise ValueError(_lt("Contact days are numbered 0 (Monday) to 6 (Sunday)."))

    def hours_on(self, weekday: int) -> tuple[float, float] | None:
        """(from, to) for that weekday, or None when the day is closed."""
        if weekday not in self.weekdays:
            return None
        hour_to = self.hour_to
        if weekday == SATURDAY and self.saturday_hour_to is not None:
            hour_to = min(hour_to, self.saturday_hour_to)
        if hour_to <= self.hour_from:
            return None
        return self.hour_from, hour_to


# Used where no country preset applies: office hours, a short Saturday, never Sunday.
DEFAULT_WINDOW = Window(hour_from=9.0, hour_to=18.0, weekdays=MON_SAT, saturday_hour_to=13.0)

# ISO 3166 country code -> legal contact window for collection messages.
# Each law below speaks of calls, visits or "gestiones de cobro"; we read WhatsApp messages as
# covered (the conservative reading). None of these encodes the frequency caps some laws add;
# those are noted per country for whoever schedules the cadence.
COUNTRY_PRESETS: dict[str, Window] = {
    # Peru: Código de Protección y Defensa del Consumidor (Ley 29571), art. 62 lit. b) forbids
    # collection visits and calls between 20:00 and 07:00 and on Saturdays, Sundays and
    # holidays. So: Monday to Friday, 07:00-20:00.
    "PE": Window(hour_from=7.0, hour_to=20.0, weekdays=MON_FRI),
    # Mexico: CONDUSEF "Disposiciones de carácter general aplicables a las entidades
    # financieras en materia de despachos de cobranza" (DOF 2014) allow contact 07:00-22:00 in
    # the debtor's time zone; PROFECO's equivalent rules for commercial creditors say Monday
    # to Friday. Sources disagree on Saturdays, so we keep the conservative Monday-Friday.
    "MX": Window(hour_from=7.0, hour_to=22.0, weekdays=MON_FRI),
    # Colombia: Ley 2300 de 2023 ("Dejen de fregar"), art. 3: Monday-Friday 07:00-19:00,
    # Saturday 08:00-15:00, never on Sundays or holidays. A window has one start hour, so we
    # start at 08:00 every day (conservative: loses 07:00-08:00 on weekdays). The law also
    # limits contact to once a day and one channel a week.
    "CO": Window(hour_from=8.0, hour_to=19.0, weekdays=MON_SAT, saturday_hour_to=15.0),
    # Chile: Ley 19.496 art. 37 as amended by Ley 21.320 (2021): collection actions Monday to
    # Saturday 08:00-20:00 (the hours of art. 59 of the Código de Procedimiento Civil), not on
    # Sundays or holidays; messages (SMS, e-mail, instant messaging) at most twice a week,
    # at least two days apart.
    "CL": Window(hour_from=8.0, hour_to=20.0, weekdays=MON_SAT),
    # Ecuador: Ley Orgánica de Defensa del Consumidor art. 49 (reformed February 2022): calls,
    # messages or e-mails 07:00-20:00, Monday to Friday, once a day, never on weekends or
    # holidays.
    "EC": Window(hour_from=7.0, hour_to=20.0, weekdays=MON_FRI),
    # Argentina: no national rule on hours; Ley 24.240 art. 8 bis (trato digno) forbids
    # harassment, and Buenos Aires City's Ley 6171 (amended by 6271) regulates collection
    # agencies. We could not confirm hours, so conservatively: Monday to Friday 09:00-20:00,
    # the window the City's Ombudsman proposed (before 9 and after 20 are "inconvenient").
    "AR": Window(hour_from=9.0, hour_to=20.0, weekdays=MON_FRI),
    # Spain: no specific rule for debt collection. By analogy with the rule for commercial
    # calls, TRLGDCU (RDL 1/2007) art. 96.2: never before 09:00 nor after 21:00, nor on
    # weekends or holidays. Conservative, as that article does not strictly bind collection.
    "ES": Window(hour_from=9.0, hour_to=21.0, weekdays=MON_FRI),
}

# Where a country spans several zones, the one most customers live in; the partner's own
# time zone, when set, should win over this guess.
_COUNTRY_TIMEZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "BO": "America/La_Paz",
    "BR": "America/Sao_Paulo",
    "CL": "America/Santiago",
    "CO": "America/Bogota",
    "CR": "America/Costa_Rica",
    "CU": "America/Havana",
    "DO": "America/Santo_Domingo",
    "EC": "America/Guayaquil",
    "ES": "Europe/Madrid",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "MX": "America/Mexico_City",
    "NI": "America/Managua",
    "PA": "America/Panama",
    "PE": "America/Lima",
    "PR": "America/Puerto_Rico",
    "PT": "Europe/Lisbon",
    "PY": "America/Asuncion",
    "SV": "America/El_Salvador",
    "US": "America/New_York",
    "UY": "America/Montevideo",
    "VE": "America/Caracas",
}


# Where a country spans several zones: (country, Odoo's state code) -> zone.
_STATE_TIMEZONES = {
    ("MX", "BCN"): "America/Tijuana",
    ("MX", "BCS"): "America/Mazatlan",
    ("MX", "SIN"): "America/Mazatlan",
    ("MX", "NAY"): "America/Mazatlan",
    ("MX", "SON"): "America/Hermosillo",
    ("MX", "ROO"): "America/Cancun",
    ("ES", "GC"): "Atlantic/Canary",
    ("ES", "TF"): "Atlantic/Canary",
    ("BR", "AM"): "America/Manaus",
    ("BR", "RR"): "America/Boa_Vista",
    ("BR", "RO"): "America/Porto_Velho",
    ("BR", "MT"): "America/Cuiaba",
    ("BR", "MS"): "America/Campo_Grande",
    ("BR", "AC"): "America/Rio_Branco",
    ("CL", "CL-MA"): "America/Punta_Arenas",
}


def default_timezone(country_code: str | None, state_code: str | None = None) -> str:
    """A time zone for a customer whose partner record has none: its state's where the
    country has several, else the country's."""
    code = (country_code or "").strip().upper()
    state = (state_code or "").strip().upper()
    if (code, state) in _STATE_TIMEZONES:
        return _STATE_TIMEZONES[code, state]
    if code in _COUNTRY_TIMEZONES:
        return _COUNTRY_TIMEZONES[code]
    zones = pytz.country_timezones.get(code) if code else None
    return zones[0] if zones else "UTC"


def customer_timezone(tz_name: str | None, country_code: str | None,
                      state_code: str | None = None) -> str:
    """The zone a customer is contacted in.

    A partner's ``tz`` is often not the customer's but inherited from the user who created
    it (Odoo defaults it to the creator's zone): a Mexican customer created in Lima gets
    ``America/Lima``. A zone that is not one of the country's is taken for that, and the
    country's (or state's) zone is used; without a country the zone set is trusted.
    """
    code = (country_code or "").strip().upper()
    zones = pytz.country_timezones.get(code) if code else None
    if tz_name and (not zones or tz_name in zones):
        return tz_name
    return default_timezone(code, state_code)


def window_for_country(country_code: str | None) -> Window:
    """The preset for a country, or the default office-hours window."""
    return COUNTRY_PRESETS.get((country_code or "").strip().upper(), DEFAULT_WINDOW)


def _minutes(hour: float) -> int:
    """Window hours to whole minutes, so 7.33 from a float_time field means 07:20 everywhere."""
    return round(hour * 60)


def _minute_of_day(local_dt: datetime) -> float:
    return (
        local_dt.hour * 60 + local_dt.minute + (local_dt.second + local_dt.microsecond / 1e6) / 60
    )


def is_allowed(local_dt: datetime, window: Window, holidays: Iterable[date] = ()) -> bool:
    """Whether a message may go out at this local wall-clock time.

    Takes the customer's local time (aware or naive): hours and holidays are local notions.
    """
    if local_dt.date() in set(holidays):
        return False
    hours = window.hours_on(local_dt.weekday())
    if hours is None:
        return False
    hour_from, hour_to = hours
    return _minutes(hour_from) <= _minute_of_day(local_dt) < _minutes(hour_to)


def _zone(tz_name: str | None) -> tzinfo:
    """The zone, or UTC for a missing or unknown name: a wrong zone must not stop collection."""
    if tz_name:
        try:
            return ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            _logger.warning("Unknown time zone %r, using UTC for the contact window.", tz_name)
    return UTC


def _wall_time(hour: float) -> time:
    minutes = min(_minutes(hour), 24 * 60 - 1)
    return time(minutes // 60, minutes % 60)


def _first_instant_at(day: date, wall: time, zone: tzinfo) -> datetime:
    """The first UTC instant whose local time in ``zone`` is ``wall`` on ``day`` or later.

    In a fall-back overlap that is the earlier of the two instants; in a spring-forward gap
    the wall time never happens, and the first instant after it is the transition itself.
    """
    naive = datetime.combine(day, wall)
    before = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if before.astimezone(zone).replace(tzinfo=None) == naive:
        return before
    # In the gap, fold=1 maps to an instant before the transition and fold=0 to one after:
    # bisect between them to the second (transitions fall on whole seconds).
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(before.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        local = datetime.fromtimestamp(middle, zone).replace(tzinfo=None)
        if local >= naive:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def next_allowed(
    utc_now: datetime,
    tz_name: str | None,
    window: Window,
    holidays: Iterable[date] = (),
    *,
    horizon_days: int = 30,
) -> datetime:
    """The first aware UTC instant at or after ``utc_now`` inside the window.

    Sending hours are the customer's, so the search runs on their local calendar and converts
    back; a naive ``utc_now`` is taken as UTC, which is how Odoo stores datetimes.
    """
    if utc_now.tzinfo is None:
        utc_now = utc_now.replace(tzinfo=UTC)
    utc_now = utc_now.astimezone(UTC)
    zone = _zone(tz_name)
    holidays = set(holidays)
    today = utc_now.astimezone(zone).date()
    for offset in range(horizon_days + 1):
        day = today + timedelta(days=offset)
        if day in holidays:
            continue
        hours = window.hours_on(day.weekday())
        if hours is None:
            continue
        start = _first_instant_at(day, _wall_time(hours[0]), zone)
        candidate = max(start, utc_now)
        if is_allowed(candidate.astimezone(zone), window, holidays):
            return candidate
    raise ValueError(
        _lt("The contact window leaves no time to send in the coming weeks: check its days.")
    )


def business_days_between(d1: date, d2: date, holidays: Iterable[date] = ()) -> int:
    """Working days (Monday-Friday, not holidays) after ``d1`` up to and including ``d2``.

    Promise and grace periods are counted in business days; negative when ``d2`` is before
    ``d1``.
    """
    if d2 < d1:
        return -business_days_between(d2, d1, holidays)
    holidays = set(holidays)
    count = 0
    day = d1 + timedelta(days=1)
    while day <= d2:
        if day.weekday() < SATURDAY and day not in holidays:
            count += 1
        day += timedelta(days=1)
    return count
