import datetime

import psycopg2

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools import cadence
from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestCadence(CobranzaCommon):
    def test_each_level_transition(self):
        """An invoice climbs the default cadence one level per due date, never twice."""
        self.company.cobranza_frequency_cap = 10
        move = self._invoice(self.customer, 1000.0, days_overdue=-3)
        expectations = [(0, -3), (3, 0), (6, 3), (10, 7), (18, 15), (33, 30)]
        seen = []
        for shift, offset in expectations:
            now = NOW + datetime.timedelta(days=shift)
            # keep the run on a weekday inside Lima's window
            while now.weekday() >= 5:
                now += datetime.timedelta(days=1)
            stats = self.run_cadence(now=now)
            move.invalidate_recordset()
            level = self.level_by_offset[offset]
            self.assertEqual(move.cobranza_level_id, level, f"day {shift}: level {offset}")
            if level.handoff:
                move.cobranza_handoff = False  # the collector hands the case back
                self.customer.cobranza_handoff = False
            seen.append(offset)
            self.assertEqual(stats["steps"], 1)
        self.assertEqual(self.steps_for(move).level_id.mapped("offset_days"),
                         sorted(seen))
        whatsapp = self.messages_for(self.customer).filtered(lambda m: m.channel == "whatsapp")
        self.assertEqual(len(whatsapp), 5, "every level but the call sends one WhatsApp")
        self.assertEqual(whatsapp.level_id.mapped("offset_days"), [-3, 0, 3, 7, 30])

    def test_rerun_is_idempotent(self):
        moves = self._invoice(self.customer, 500.0, days_overdue=4)
        first = self.run_cadence()
        second = self.run_cadence()
        self.assertEqual(first["messages"], 1)
        self.assertEqual(second["messages"], 0)
        self.assertEqual(len(self.steps_for(moves)), 1)
        self.assertEqual(len(self.messages_for(self.customer)), 1)

    def test_step_unique_in_database(self):
        move = self._invoice(self.customer, 500.0, days_overdue=4)
        self.run_cadence()
        step = self.steps_for(move)
        with self.assertRaises(psycopg2.IntegrityError), self.cr.savepoint():
            self.env["cobranza.step"].create({
                "move_id": move.id, "level_id": step.level_id.id,
                "partner_id": self.customer.id, "company_id": self.company.id,
            })

    def test_late_install_goes_to_current_level_only(self):
        """A 45-day-old invoice found on first run gets the +30 notice, not six messages."""
        move = self._invoice(self.customer, 800.0, days_overdue=45)
        self.run_cadence()
        self.assertEqual(move.cobranza_level_id, self.level_by_offset[30])
        self.assertEqual(len(self.messages_for(self.customer)), 1)

    def test_grouping_one_message_per_customer_and_level(self):
        a = self._invoice(self.customer, 300.0, days_overdue=4)
        b = self._invoice(self.customer, 200.0, days_overdue=5)
        other = self._customer("José Pérez", "+51 912 345 678", self.pe)
        c = self._invoice(other, 100.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.move_ids, a | b)
        self.assertEqual(message.template_id.purpose, "statement")
        self.assertEqual(self.messages_for(other).move_ids, c)
        self.assertEqual(self.messages_for(other).template_id.purpose, "overdue")

    def test_highest_level_first_others_wait(self):
        old = self._invoice(self.customer, 300.0, days_overdue=31)
        recent = self._invoice(self.customer, 200.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)
        self.assertEqual(len(message), 1)
        self.assertEqual(message.move_ids, old)
        self.assertFalse(recent.cobranza_level_id)

    def test_one_business_message_a_day_across_levels_and_runs(self):
        """The demo's case: a plan offer (+7) and a reminder 3 days before due for one
        customer, and the hourly cadence run again two minutes later as the server starts:
        one message that day, the other invoice the next day."""
        self.company.cobranza_frequency_cap = 10
        late = self._invoice(self.customer, 300.0, days_overdue=7)
        soon = self._invoice(self.customer, 200.0, days_overdue=-3)
        self.assertEqual(self.run_cadence()["messages"], 1)
        again = self.run_cadence(now=NOW + datetime.timedelta(minutes=2))
        self.assertEqual((again["messages"], again["deferred"]), (0, 1))
        self.assertEqual(self.messages_for(self.customer).move_ids, late)
        # Later that day, a thank-you or any other business message counts as well.
        self.assertEqual(self.run_cadence(now=NOW + datetime.timedelta(hours=5))["messages"], 0)
        next_day = self.run_cadence(now=NOW + datetime.timedelta(days=1))
        self.assertEqual(next_day["messages"], 1)
        self.assertEqual(self.messages_for(self.customer)[-1].move_ids, soon)
        # Two a day when the company allows it.
        self.company.cobranza_daily_cap = 2
        third = self._invoice(self.customer, 100.0, days_overdue=0)
        self.assertEqual(self.run_cadence(now=NOW + datetime.timedelta(days=1, hours=1))
                         ["messages"], 1)
        self.assertEqual(self.messages_for(self.customer)[-1].move_ids, third)

    def test_a_message_queued_for_tomorrow_morning_holds_tomorrows_run(self):
        self.company.cobranza_frequency_cap = 10
        self._invoice(self.customer, 300.0, days_overdue=7)
        evening = NOW + datetime.timedelta(hours=11)  # 21:00 in Lima: queued for 07:00
        self.run_cadence(now=evening)
        (queued,) = self.messages_for(self.customer)
        self.assertGreater(queued.scheduled_at, evening)
        self._invoice(self.customer, 200.0, days_overdue=-3)
        next_morning = queued.scheduled_at + datetime.timedelta(hours=1)
        self.assertEqual(self.run_cadence(now=next_morning)["messages"], 0)

    def test_daily_cap_must_allow_one(self):
        with self.assertRaises(ValidationError):
            self.company.cobranza_daily_cap = 0

    def test_send_window_business_hours_in_customer_zone(self):
        self._invoice(self.customer, 300.0, days_overdue=4)
        # 02:00 UTC on Thursday = 21:00 Wednesday in Lima: outside 07:00-20:00.
        now = datetime.datetime(2026, 11, 19, 2, 0)
        self.run_cadence(now=now)
        message = self.messages_for(self.customer)
        self.assertEqual(message.scheduled_at, datetime.datetime(2026, 11, 19, 12, 0),
                         "07:00 Thursday in Lima is 12:00 UTC")

    def test_a_mexican_customer_created_in_lima_is_contacted_in_mexican_hours(self):
        # Odoo gives a new contact its creator's zone: a Lima user makes a Mexican customer
        # in America/Lima. 12:00 UTC is 07:00 in Lima but 06:00 in Mexico City.
        lima_user = self.env.user.with_context(tz="America/Lima")
        customer = lima_user.env["res.partner"].create({
            "name": "Jorge Ramírez", "phone": "+52 55 1234 5678", "country_id": self.mx.id,
            "cobranza_optin_date": NOW - datetime.timedelta(days=30),
        })
        self.assertEqual(customer.tz, "America/Lima")
        self.assertEqual(customer.cobranza_tz, "America/Mexico_City")
        self._invoice(customer, 300.0, days_overdue=4)
        self.run_cadence(now=datetime.datetime(2026, 11, 18, 12, 0))
        message = self.messages_for(customer)
        self.assertEqual(message.scheduled_at, datetime.datetime(2026, 11, 18, 13, 0),
                         "07:00 in Mexico City, not 07:00 in Lima")
        # In Sonora (no daylight saving, UTC-7) the same customer waits two more hours.
        customer.state_id = self.env.ref("base.state_mx_son")
        self.assertEqual(customer.cobranza_tz, "America/Hermosillo")

    def test_send_window_weekend(self):
        self._invoice(self.customer, 300.0, days_overdue=4)
        saturday = datetime.datetime(2026, 11, 21, 15, 0)  # 10:00 Saturday in Lima
        self.run_cadence(now=saturday)
        message = self.messages_for(self.customer)
        self.assertEqual(message.scheduled_at, datetime.datetime(2026, 11, 23, 12, 0),
                         "Peru: no collection messages on weekends, Monday 07:00 local")

    def test_send_window_country_presets(self):
        chile = self.env.ref("base.cl")
        cl_customer = self._customer("Camila Rojas", "+56 9 8765 4321", chile,
                                     tz="America/Santiago")
        mx_customer = self._customer("Luis Hernández", "+52 55 1234 5678", self.mx)
        self._invoice(cl_customer, 300.0, days_overdue=4)
        self._invoice(mx_customer, 300.0, days_overdue=4)
        saturday = datetime.datetime(2026, 11, 21, 15, 0)  # 12:00 Santiago, 09:00 Mexico City
        self.run_cadence(now=saturday)
        self.assertEqual(self.messages_for(cl_customer).scheduled_at, saturday,
                         "Chile allows Saturdays 08-20")
        self.assertEqual(self.messages_for(mx_customer).scheduled_at,
                         datetime.datetime(2026, 11, 23, 13, 0),
                         "Mexico: Monday 07:00 local (UTC-6)")

    def lima_holiday(self, day):
        """A public holiday entered in Lima: Odoo stores the local day in UTC, 05:00 to
        04:59:59 the next day."""
        calendar = self.company.resource_calendar_id
        calendar.tz = "America/Lima"
        start = datetime.datetime.combine(day, datetime.time(5, 0))
        return self.env["resource.calendar.leaves"].create({
            "name": "Feriado", "calendar_id": calendar.id, "date_from": start,
            "date_to": start + datetime.timedelta(days=1, seconds=-1),
        })

    def test_send_window_public_holiday(self):
        self.lima_holiday(datetime.date(2026, 11, 18))
        self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        self.assertEqual(self.messages_for(self.customer).scheduled_at,
                         datetime.datetime(2026, 11, 19, 12, 0),
                         "the holiday is the 18th in Lima, not the 18th and 19th in UTC")

    def test_a_peruvian_holiday_is_not_spains(self):
        self.lima_holiday(datetime.date(2026, 11, 18))
        madrid = self._customer("Lucía García", "+34 612 345 678", self.es)
        self._invoice(madrid, 300.0, days_overdue=4)
        self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        self.assertEqual(self.messages_for(madrid).scheduled_at, NOW,
                         "16:00 in Madrid on a Peruvian holiday: now")
        self.assertEqual(self.messages_for(self.customer).scheduled_at,
                         datetime.datetime(2026, 11, 19, 12, 0))

    def test_a_country_calendar_and_the_skip_setting(self):
        spain = self.env["resource.calendar"].create({"name": "España", "tz": "Europe/Madrid"})
        self.env["resource.calendar.leaves"].create({
            "name": "Fiesta", "calendar_id": spain.id,
            "date_from": datetime.datetime(2026, 11, 17, 23, 0),  # the 18th in Madrid
            "date_to": datetime.datetime(2026, 11, 18, 22, 59, 59),
        })
        window_es = self.env["cobranza.contact.window"].search([("country_id", "=", self.es.id)])
        window_es.holiday_calendar_id = spain
        madrid = self._customer("Lucía García", "+34 612 345 678", self.es)
        self._invoice(madrid, 300.0, days_overdue=4)
        self.run_cadence()
        self.assertEqual(self.messages_for(madrid).scheduled_at,
                         datetime.datetime(2026, 11, 19, 8, 0), "09:00 in Madrid the next day")
        # Holidays not skipped for Peru: the Lima holiday no longer holds messages back.
        self.lima_holiday(datetime.date(2026, 11, 18))
        self.env["cobranza.contact.window"].search(
            [("country_id", "=", self.pe.id)]).use_public_holidays = False
        self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        self.assertEqual(self.messages_for(self.customer).scheduled_at, NOW)

    def test_frequency_cap(self):
        self.company.cobranza_frequency_cap = 1
        self.env["cobranza.message"].create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "channel": "whatsapp", "state": "sent",
        })
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        stats = self.run_cadence()
        self.assertEqual(stats["deferred"], 1)
        self.assertFalse(move.cobranza_level_id)
        self.assertEqual(len(self.messages_for(self.customer)), 1)

    def test_consent_required_for_whatsapp(self):
        no_consent = self._customer("Ana Flores", "+51 923 456 789", self.pe, consent=False)
        opted_out = self._customer("Rosa Díaz", "+51 934 567 890", self.pe,
                                   cobranza_optout_date=NOW)
        no_phone = self._customer("Raúl Vargas", False, self.pe)
        for partner in (no_consent, opted_out, no_phone):
            self._invoice(partner, 300.0, days_overdue=1)  # due-day level: e-mail fallback
        self.run_cadence()
        for partner in (no_consent, opted_out, no_phone):
            message = self.messages_for(partner)
            self.assertEqual(message.channel, "email", partner.name)
        self.assertFalse(self.env["cobranza.message"].search([
            ("partner_id", "in", (no_consent | opted_out | no_phone).ids),
            ("channel", "=", "whatsapp"),
        ]))

    def test_invalid_number_falls_back(self):
        partner = self._customer("Pedro Torres", "+51 123", self.pe)
        self.assertTrue(partner.cobranza_phone_warning)
        self._invoice(partner, 300.0, days_overdue=4)  # +3 level: SMS fallback
        self.run_cadence()
        self.assertEqual(self.messages_for(partner).channel, "sms")

    def test_exclusions(self):
        excluded = self._invoice(self.customer, 100.0, days_overdue=4)
        excluded.cobranza_excluded = True
        disputed = self._invoice(self.customer, 100.0, days_overdue=4)
        disputed.write({"cobranza_disputed": True, "cobranza_exclusion_reason": "Wrong price"})
        paused = self._invoice(self.customer, 100.0, days_overdue=4)
        paused.cobranza_paused_until = NOW.date() + datetime.timedelta(days=2)
        other = self._customer("Lucía Rojas", "+51 945 678 901", self.pe,
                               cobranza_handoff=True)
        self._invoice(other, 100.0, days_overdue=4)
        self.run_cadence()
        self.assertFalse(self.messages_for(self.customer))
        self.assertFalse(self.messages_for(other))
        self.assertEqual(excluded.cobranza_state, "excluded")

    def test_pilot_percentage_is_deterministic(self):
        self.company.cobranza_pilot_percent = 50
        partners = self.env["res.partner"]
        for i in range(12):
            partner = self._customer(f"Cliente {i}", f"+51 9{i + 10} 111 222", self.pe)
            self._invoice(partner, 100.0, days_overdue=4)
            partners |= partner
        self.run_cadence()
        reached = {p.id for p in partners if self.messages_for(p)}
        expected = {p.id for p in partners if cadence.in_pilot(p.id, 50)}
        self.assertEqual(reached, expected)
        self.assertTrue(0 < len(reached) < 12)

    def test_paying_stops_cadence(self):
        move = self._invoice(self.customer, 300.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"payment_date": NOW.date()})._create_payments()
        self.assertEqual(move.cobranza_state, "paid")
        self.env["cobranza.message"]._process_queue()
        self.assertEqual(message.state, "cancelled")
        stats = self.run_cadence(now=NOW + datetime.timedelta(days=5))
        self.assertEqual(stats["steps"], 0)

    def test_handoff_level_creates_activity_for_collector(self):
        self.customer.cobranza_collector_id = self.collector
        move = self._invoice(self.customer, 900.0, days_overdue=16)
        self.run_cadence()
        self.assertTrue(move.cobranza_handoff)
        self.assertEqual(move.cobranza_state, "handoff")
        activity = self.customer.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn(move.name, str(activity.note))
        self.assertEqual(self.steps_for(move).outcome, "handoff")

    def test_risk_segments_computed(self):
        late = self._customer("Jorge Castillo", "+51 956 789 012", self.pe)
        self._invoice(late, 300.0, days_overdue=45)
        medium = self._customer("Elena Gómez", "+51 967 890 123", self.pe)
        self._invoice(medium, 300.0, days_overdue=10)
        self._invoice(self.customer, 300.0, days_overdue=2)
        self.run_cadence()
        self.assertEqual(late.cobranza_risk, "high")
        self.assertEqual(medium.cobranza_risk, "medium")
        self.assertEqual(self.customer.cobranza_risk, "low")
        self.assertTrue(late.cobranza_risk_reason)
        late.cobranza_risk_manual = "low"
        self.assertEqual(late.cobranza_risk, "low", "a manual override wins")

    def test_segment_specific_level(self):
        """A level for high-risk customers only reminds them before the due date."""
        preventive = self.level_by_offset[-3]
        preventive.write({"apply_risk_low": False, "apply_risk_medium": False})
        low = self._invoice(self.customer, 300.0, days_overdue=-3)
        self.run_cadence()
        self.assertFalse(low.cobranza_level_id)
        self.customer.cobranza_risk_manual = "high"
        self.run_cadence()
        self.assertEqual(low.cobranza_level_id, preventive)

    def test_bad_configuration_refused(self):
        with self.assertRaises(ValidationError):
            self.env["cobranza.level"].create({
                "name": "Duplicate +3", "offset_days": 3, "company_id": self.company.id,
                "channel": "whatsapp", "template_id": self.level_by_offset[3].template_id.id,
            })
        with self.assertRaises(ValidationError):
            self.env["cobranza.level"].create({
                "name": "No template", "offset_days": 45, "company_id": self.company.id,
                "channel": "whatsapp",
            })
        with self.assertRaises(ValidationError):
            self.level_by_offset[30].min_amount = -1
        with self.assertRaises(ValidationError):
            self.company.cobranza_frequency_cap = -1
