from datetime import UTC, date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from odoo.addons.cobranza_whatsapp.tools import send_window
from odoo.addons.cobranza_whatsapp.tools.send_window import (
    COUNTRY_PRESETS,
    DEFAULT_WINDOW,
    SATURDAY,
    SUNDAY,
    Window,
)
from odoo.tests import BaseCase, tagged

# The week of Monday 1 June 2026: 1 = Monday ... 6 = Saturday, 7 = Sunday.
MONDAY_D, SATURDAY_D, SUNDAY_D = 1, 6, 7


def local(country, day, hour, minute=0):
    zone = ZoneInfo(send_window.default_timezone(country))
    return datetime(2026, 6, day, hour, minute, tzinfo=zone)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@tagged("post_install", "-at_install")
class TestCountryPresets(BaseCase):
    """Each preset opens and closes where its law says, in the customer's own time."""

    CASES: ClassVar[list[tuple[str, int, int, int, bool]]] = [
        # country, day, hour, minute, allowed
        ("PE", MONDAY_D, 7, 0, True),
        ("PE", MONDAY_D, 6, 59, False),
        ("PE", MONDAY_D, 19, 59, True),
        ("PE", MONDAY_D, 20, 0, False),
        ("PE", SATURDAY_D, 10, 0, False),
        ("PE", SUNDAY_D, 10, 0, False),
        ("MX", MONDAY_D, 7, 0, True),
        ("MX", MONDAY_D, 21, 59, True),
        ("MX", MONDAY_D, 22, 0, False),
        ("MX", SATURDAY_D, 10, 0, False),
        ("MX", SUNDAY_D, 10, 0, False),
        ("CO", MONDAY_D, 8, 0, True),
        ("CO", MONDAY_D, 7, 30, False),  # the law allows 07:00; one start hour forces 08:00
        ("CO", MONDAY_D, 18, 59, True),
        ("CO", MONDAY_D, 19, 0, False),
        ("CO", SATURDAY_D, 8, 0, True),
        ("CO", SATURDAY_D, 14, 59, True),
        ("CO", SATURDAY_D, 15, 0, False),
        ("CO", SUNDAY_D, 10, 0, False),
        ("CL", MONDAY_D, 8, 0, True),
        ("CL", MONDAY_D, 7, 59, False),
        ("CL", MONDAY_D, 20, 0, False),
        ("CL", SATURDAY_D, 19, 59, True),
        ("CL", SUNDAY_D, 12, 0, False),
        ("EC", MONDAY_D, 7, 0, True),
        ("EC", MONDAY_D, 20, 0, False),
        ("EC", SATURDAY_D, 10, 0, False),
        ("AR", MONDAY_D, 9, 0, True),
        ("AR", MONDAY_D, 8, 59, False),
        ("AR", MONDAY_D, 20, 0, False),
        ("AR", SATURDAY_D, 10, 0, False),
        ("ES", MONDAY_D, 9, 0, True),
        ("ES", MONDAY_D, 20, 59, True),
        ("ES", MONDAY_D, 21, 0, False),
        ("ES", SATURDAY_D, 10, 0, False),
        ("ES", SUNDAY_D, 10, 0, False),
    ]

    def test_presets_inside_and_outside_hours(self):
        for country, day, hour, minute, expected in self.CASES:
            with self.subTest(country=country, day=day, hour=hour, minute=minute):
                moment = local(country, day, hour, minute)
                self.assertEqual(send_window.is_allowed(moment, COUNTRY_PRESETS[country]), expected)

    def test_every_preset_is_closed_on_sunday(self):
        for country, window in COUNTRY_PRESETS.items():
            with self.subTest(country=country):
                self.assertNotIn(SUNDAY, window.weekdays)
                self.assertFalse(send_window.is_allowed(local(country, SUNDAY_D, 12), window))

    def test_default_window_has_a_short_saturday(self):
        self.assertTrue(send_window.is_allowed(local("BR", SATURDAY_D, 12, 59), DEFAULT_WINDOW))
        self.assertFalse(send_window.is_allowed(local("BR", SATURDAY_D, 13, 0), DEFAULT_WINDOW))
        self.assertTrue(send_window.is_allowed(local("BR", MONDAY_D, 17, 59), DEFAULT_WINDOW))
        self.assertFalse(send_window.is_allowed(local("BR", MONDAY_D, 18, 0), DEFAULT_WINDOW))
        self.assertFalse(send_window.is_allowed(local("BR", SUNDAY_D, 12, 0), DEFAULT_WINDOW))

    def test_unknown_country_gets_the_default_window(self):
        self.assertIs(send_window.window_for_country("BR"), DEFAULT_WINDOW)
        self.assertIs(send_window.window_for_country(None), DEFAULT_WINDOW)
        self.assertIs(send_window.window_for_country("pe"), COUNTRY_PRESETS["PE"])

    def test_saturday_end_only_shortens(self):
        window = Window(
            hour_from=9, hour_to=12, weekdays=frozenset({SATURDAY}), saturday_hour_to=15
        )
        self.assertFalse(send_window.is_allowed(local("PE", SATURDAY_D, 13), window))

    def test_half_hours(self):
        window = Window(hour_from=8.5, hour_to=17.5, weekdays=send_window.MON_FRI)
        self.assertFalse(send_window.is_allowed(local("PE", MONDAY_D, 8, 29), window))
        self.assertTrue(send_window.is_allowed(local("PE", MONDAY_D, 8, 30), window))
        self.assertFalse(send_window.is_allowed(local("PE", MONDAY_D, 17, 30), window))

    def test_float_time_hours_are_read_to_the_minute(self):
        # Odoo's float_time widget stores 07:20 as 7.333..., possibly rounded either way.
        for hour_from in (7 + 20 / 60, 7.33, 7.34):
            with self.subTest(hour_from=hour_from):
                window = Window(hour_from=hour_from, hour_to=20, weekdays=send_window.MON_FRI)
                self.assertTrue(send_window.is_allowed(local("PE", MONDAY_D, 7, 20), window))
                self.assertFalse(send_window.is_allowed(local("PE", MONDAY_D, 7, 19), window))
                result = send_window.next_allowed(utc(2026, 6, 1, 5), "America/Lima", window)
                self.assertEqual(result, utc(2026, 6, 1, 12, 20))

    def test_invalid_windows_are_refused(self):
        with self.assertRaises(ValueError):
            Window(hour_from=18, hour_to=9, weekdays=send_window.MON_FRI)
        with self.assertRaises(ValueError):
            Window(hour_from=9, hour_to=25, weekdays=send_window.MON_FRI)
        with self.assertRaises(ValueError):
            Window(hour_from=9, hour_to=18, weekdays=frozenset({7}))


@tagged("post_install", "-at_install")
class TestHolidays(BaseCase):
    def test_holiday_blocks_the_whole_day(self):
        # 29 June 2026, San Pedro y San Pablo, is a Monday in Peru.
        moment = datetime(2026, 6, 29, 10, tzinfo=ZoneInfo("America/Lima"))
        window = COUNTRY_PRESETS["PE"]
        self.assertTrue(send_window.is_allowed(moment, window))
        self.assertFalse(send_window.is_allowed(moment, window, {date(2026, 6, 29)}))

    def test_holiday_is_the_customers_local_date(self):
        # 00:30 UTC on Tuesday 2 June is still Monday 1 June, 19:30, in Lima: a holiday on
        # the Monday closes that evening even though the UTC date is already Tuesday.
        result = send_window.next_allowed(
            utc(2026, 6, 2, 0, 30), "America/Lima", COUNTRY_PRESETS["PE"], [date(2026, 6, 1)]
        )
        self.assertEqual(result, utc(2026, 6, 2, 12))


@tagged("post_install", "-at_install")
class TestNextAllowed(BaseCase):
    def test_inside_the_window_is_now(self):
        now = utc(2026, 6, 1, 15, 12, 30)  # Monday 10:12 in Lima
        self.assertEqual(send_window.next_allowed(now, "America/Lima", COUNTRY_PRESETS["PE"]), now)

    def test_before_opening_waits_for_opening(self):
        now = utc(2026, 6, 1, 10)  # Monday 05:00 in Lima
        result = send_window.next_allowed(now, "America/Lima", COUNTRY_PRESETS["PE"])
        self.assertEqual(result, utc(2026, 6, 1, 12))  # 07:00 in Lima

    def test_friday_evening_waits_for_monday(self):
        now = utc(2026, 6, 6, 1, 30)  # Friday 5 June 20:30 in Lima
        result = send_window.next_allowed(now, "America/Lima", COUNTRY_PRESETS["PE"])
        self.assertEqual(result, utc(2026, 6, 8, 12))  # Monday 07:00 in Lima

    def test_weekend_and_monday_holiday(self):
        now = utc(2026, 6, 27, 1, 30)  # Friday 26 June 20:30 in Lima
        result = send_window.next_allowed(
            now, "America/Lima", COUNTRY_PRESETS["PE"], holidays={date(2026, 6, 29)}
        )
        self.assertEqual(result, utc(2026, 6, 30, 12))  # Tuesday 07:00 in Lima

    def test_saturday_in_colombia_after_closing_waits_for_monday(self):
        now = utc(2026, 6, 6, 20, 30)  # Saturday 15:30 in Bogotá
        result = send_window.next_allowed(now, "America/Bogota", COUNTRY_PRESETS["CO"])
        self.assertEqual(result, utc(2026, 6, 8, 13))  # Monday 08:00 in Bogotá

    def test_result_is_aware_utc(self):
        result = send_window.next_allowed(utc(2026, 6, 1), "America/Mexico_City", DEFAULT_WINDOW)
        self.assertEqual(result.utcoffset(), timedelta(0))

    def test_naive_now_is_read_as_utc(self):
        naive = datetime(2026, 6, 6, 1, 30)
        self.assertEqual(
            send_window.next_allowed(naive, "America/Lima", COUNTRY_PRESETS["PE"]),
            utc(2026, 6, 8, 12),
        )

    def test_unknown_time_zone_falls_back_to_utc(self):
        with self.assertLogs("odoo.addons.cobranza_whatsapp.tools.send_window", "WARNING"):
            result = send_window.next_allowed(utc(2026, 6, 1, 3), "Mars/Olympus", DEFAULT_WINDOW)
        self.assertEqual(result, utc(2026, 6, 1, 9))
        self.assertEqual(
            send_window.next_allowed(utc(2026, 6, 1, 3), None, DEFAULT_WINDOW), utc(2026, 6, 1, 9)
        )

    def test_no_slot_within_horizon_raises(self):
        closed = Window(hour_from=9, hour_to=18, weekdays=frozenset())
        with self.assertRaises(ValueError):
            send_window.next_allowed(utc(2026, 6, 1), "UTC", closed)
        every_day = {date(2026, 6, 1) + timedelta(days=n) for n in range(40)}
        with self.assertRaises(ValueError):
            send_window.next_allowed(utc(2026, 6, 1), "UTC", DEFAULT_WINDOW, every_day)

    def test_horizon_is_respected(self):
        holidays = {date(2026, 6, 1) + timedelta(days=n) for n in range(10)}
        with self.assertRaises(ValueError):
            send_window.next_allowed(
                utc(2026, 6, 1), "UTC", DEFAULT_WINDOW, holidays, horizon_days=5
            )
        self.assertEqual(
            send_window.next_allowed(utc(2026, 6, 1), "UTC", DEFAULT_WINDOW, holidays),
            utc(2026, 6, 11, 9),
        )


@tagged("post_install", "-at_install")
class TestDaylightSaving(BaseCase):
    """Opening hours are wall-clock hours: the UTC instant moves when the clocks do."""

    madrid = COUNTRY_PRESETS["ES"]

    def test_madrid_opening_before_and_after_march_change(self):
        # Friday 27 March 2026, CET (+1): 09:00 is 08:00 UTC.
        self.assertEqual(
            send_window.next_allowed(utc(2026, 3, 27, 6), "Europe/Madrid", self.madrid),
            utc(2026, 3, 27, 8),
        )
        # Friday 21:30 CET -> Monday 30 March, CEST (+2) since Sunday: 09:00 is 07:00 UTC.
        self.assertEqual(
            send_window.next_allowed(utc(2026, 3, 27, 20, 30), "Europe/Madrid", self.madrid),
            utc(2026, 3, 30, 7),
        )

    def test_madrid_opening_after_october_change(self):
        # Friday 23 October 21:30 CEST -> Monday 26 October, CET (+1): 09:00 is 08:00 UTC.
        self.assertEqual(
            send_window.next_allowed(utc(2026, 10, 23, 19, 30), "Europe/Madrid", self.madrid),
            utc(2026, 10, 26, 8),
        )

    def test_opening_inside_the_spring_gap_is_the_transition(self):
        # 02:30 never happens on 29 March 2026 in Madrid (02:00 -> 03:00): the first instant
        # after it is 03:00 CEST, 01:00 UTC, not an hour later.
        window = Window(hour_from=2.5, hour_to=24, weekdays=frozenset({SUNDAY}))
        result = send_window.next_allowed(utc(2026, 3, 28, 12), "Europe/Madrid", window)
        self.assertEqual(result, utc(2026, 3, 29, 1))
        self.assertEqual(result.astimezone(ZoneInfo("Europe/Madrid")).hour, 3)

    def test_opening_inside_the_autumn_overlap_is_the_first_one(self):
        # 02:30 happens twice on 25 October 2026 in Madrid; the first is 00:30 UTC.
        window = Window(hour_from=2.5, hour_to=24, weekdays=frozenset({SUNDAY}))
        result = send_window.next_allowed(utc(2026, 10, 24, 12), "Europe/Madrid", window)
        self.assertEqual(result, utc(2026, 10, 25, 0, 30))

    def test_santiago_april_change(self):
        santiago = COUNTRY_PRESETS["CL"]
        zone = ZoneInfo("America/Santiago")
        # Saturday 4 April 2026 is still summer time (-3) and Saturdays are open in Chile.
        self.assertTrue(send_window.is_allowed(datetime(2026, 4, 4, 19, 59, tzinfo=zone), santiago))
        # Saturday 20:30 (-3) -> Monday 6 April 08:00 winter time (-4) = 12:00 UTC.
        self.assertEqual(
            send_window.next_allowed(utc(2026, 4, 4, 23, 30), "America/Santiago", santiago),
            utc(2026, 4, 6, 12),
        )

    def test_santiago_midnight_gap_in_september(self):
        # Chile skips from 00:00 to 01:00 on Sunday 6 September 2026.
        window = Window(hour_from=0, hour_to=24, weekdays=frozenset({SUNDAY}))
        result = send_window.next_allowed(utc(2026, 9, 5, 12), "America/Santiago", window)
        self.assertEqual(result, utc(2026, 9, 6, 4))
        self.assertEqual(result.astimezone(ZoneInfo("America/Santiago")).hour, 1)


@tagged("post_install", "-at_install")
class TestDefaultTimezone(BaseCase):
    def test_known_countries(self):
        expected = {
            "PE": "America/Lima",
            "MX": "America/Mexico_City",
            "CO": "America/Bogota",
            "CL": "America/Santiago",
            "AR": "America/Argentina/Buenos_Aires",
            "ES": "Europe/Madrid",
            "EC": "America/Guayaquil",
            "BO": "America/La_Paz",
            "UY": "America/Montevideo",
            "PY": "America/Asuncion",
            "GT": "America/Guatemala",
            "CR": "America/Costa_Rica",
            "PA": "America/Panama",
            "DO": "America/Santo_Domingo",
            "SV": "America/El_Salvador",
            "HN": "America/Tegucigalpa",
            "NI": "America/Managua",
            "VE": "America/Caracas",
            "US": "America/New_York",
        }
        for country, zone in expected.items():
            with self.subTest(country=country):
                self.assertEqual(send_window.default_timezone(country), zone)
                ZoneInfo(zone)  # exists in the system database

    def test_other_and_missing_countries(self):
        self.assertEqual(send_window.default_timezone("pe"), "America/Lima")
        self.assertEqual(send_window.default_timezone("FR"), "Europe/Paris")
        self.assertEqual(send_window.default_timezone("XX"), "UTC")
        self.assertEqual(send_window.default_timezone(None), "UTC")
        self.assertEqual(send_window.default_timezone(""), "UTC")

    def test_states_of_countries_with_several_zones(self):
        cases = {("MX", "BCN"): "America/Tijuana", ("MX", "SON"): "America/Hermosillo",
                 ("MX", "ROO"): "America/Cancun", ("MX", "JAL"): "America/Mexico_City",
                 ("ES", "TF"): "Atlantic/Canary", ("ES", "M"): "Europe/Madrid",
                 ("BR", "AM"): "America/Manaus", ("MX", None): "America/Mexico_City"}
        for (country, state), zone in cases.items():
            with self.subTest(country=country, state=state):
                self.assertEqual(send_window.default_timezone(country, state), zone)
                ZoneInfo(zone)

    def test_a_zone_inherited_from_the_creating_user_is_not_the_customers(self):
        # A Mexican customer created by a user in Lima inherits America/Lima.
        self.assertEqual(send_window.customer_timezone("America/Lima", "MX"),
                         "America/Mexico_City")
        self.assertEqual(send_window.customer_timezone("America/Lima", "MX", "SON"),
                         "America/Hermosillo")
        # A zone that is one of the country's is the customer's own.
        self.assertEqual(send_window.customer_timezone("America/Tijuana", "MX"),
                         "America/Tijuana")
        self.assertEqual(send_window.customer_timezone("Europe/Madrid", "ES", "TF"),
                         "Europe/Madrid")
        # Unset: the country's; no country: the zone set, else UTC.
        self.assertEqual(send_window.customer_timezone(False, "PE"), "America/Lima")
        self.assertEqual(send_window.customer_timezone("Asia/Tokyo", None), "Asia/Tokyo")
        self.assertEqual(send_window.customer_timezone(None, None), "UTC")


@tagged("post_install", "-at_install")
class TestBusinessDays(BaseCase):
    def test_weekend_and_holidays_do_not_count(self):
        friday, monday = date(2026, 6, 5), date(2026, 6, 8)
        self.assertEqual(send_window.business_days_between(friday, monday), 1)
        self.assertEqual(send_window.business_days_between(friday, friday), 0)
        self.assertEqual(send_window.business_days_between(date(2026, 6, 26), date(2026, 6, 30)), 2)
        self.assertEqual(
            send_window.business_days_between(
                date(2026, 6, 26), date(2026, 6, 30), {date(2026, 6, 29)}
            ),
            1,
        )

    def test_reversed_dates_are_negative(self):
        self.assertEqual(send_window.business_days_between(date(2026, 6, 8), date(2026, 6, 5)), -1)
