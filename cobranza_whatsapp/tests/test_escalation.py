"""Escalation: a level's next step comes before its day when the customer neither replies
nor pays, or when a promise or a payment plan is not kept."""

import datetime

import freezegun

from odoo.tests import BaseCase, tagged

from ..tools import cadence
from .common import NOW, CobranzaCommon

ALL = frozenset((r, t) for r in ("low", "medium", "high") for t in ("new", "recurring"))
SENT = datetime.datetime(2026, 11, 18, 15, 0)
DAY = datetime.timedelta(days=1)


def level(id_, offset, **kw):
    return cadence.Level(id=id_, offset_days=offset, channel="whatsapp",
                         fallback_channel=kw.pop("fallback", "email"),
                         segments=kw.pop("segments", ALL), **kw)


def customer(**kw):
    values = {"id": 1, "risk": "low", "customer_type": "new", "consent": "optin",
              "has_whatsapp_number": True, "has_phone": True, "has_email": True}
    values.update(kw)
    return cadence.Customer(**values)


def invoice(days=5, reached=3, **kw):
    values = {"id": 1, "partner_id": 1, "days_overdue": days, "residual": 100.0,
              "reached_offset": reached, "escalate_after_days": 2,
              "reached_on": SENT.date(), "level_sent_at": SENT}
    values.update(kw)
    return cadence.Invoice(**values)


LEVELS = [level(1, -3), level(2, 0), level(3, 3), level(4, 7), level(5, 15)]


def plan(invoices, customer_=None, now=SENT + 2 * DAY, **kw):
    return cadence.plan(LEVELS, invoices, {1: customer_ or customer()}, cap=9, now=now, **kw)


@tagged("post_install", "-at_install")
class TestEscalationRules(BaseCase):
    """The decisions, without a database."""

    def test_silence_for_the_levels_days_brings_the_next_level(self):
        steps, _deferred = plan([invoice()])
        self.assertEqual([(s.level_id, s.invoice_ids) for s in steps], [(4, [1])])
        self.assertEqual(steps[0].escalated, {1: (cadence.SILENCE_NOTE, {"days": 2})})
        self.assertEqual(steps[0].channel, "whatsapp")
        # A day and 23 hours of silence is not two days.
        self.assertEqual(plan([invoice()], now=SENT + 2 * DAY - datetime.timedelta(hours=1))[0],
                         [])
        # Without a clock (the company does not escalate) the level waits for its day.
        self.assertEqual(plan([invoice()], now=None)[0], [])

    def test_an_answer_since_the_message_holds_it(self):
        after, before = SENT + datetime.timedelta(hours=5), SENT - datetime.timedelta(hours=5)
        self.assertEqual(plan([invoice()], customer(last_reply_at=after))[0], [])
        self.assertEqual(plan([invoice(paid_at=after)])[0], [])
        # A payment dated the day of the message, registered before it: an answer too.
        self.assertEqual(plan([invoice(paid_at=before, paid_on=SENT.date())])[0], [])
        # What came before the message answered an earlier one.
        steps, _deferred = plan([invoice(paid_at=before, paid_on=SENT.date() - DAY)],
                                customer(last_reply_at=before))
        self.assertEqual([s.level_id for s in steps], [4])

    def test_no_escalation_without_days_or_a_message(self):
        self.assertEqual(plan([invoice(escalate_after_days=0)])[0], [])
        self.assertEqual(plan([invoice(level_sent_at=None)])[0], [])

    def test_a_commitment_broken_since_the_level_brings_the_next_one(self):
        broken = invoice(escalate_after_days=0, level_sent_at=None,
                         broken_commitment_on=SENT.date() + DAY)
        steps, _deferred = plan([broken], now=SENT + DAY)
        self.assertEqual([(s.level_id, s.escalated) for s in steps],
                         [(4, {1: (cadence.BROKEN_NOTE, {})})])
        # A commitment older than the level reached: that level already followed it.
        old = invoice(escalate_after_days=0, broken_commitment_on=SENT.date() - DAY)
        self.assertEqual(plan([old])[0], [])

    def test_a_level_never_comes_before_the_day_its_text_speaks_of(self):
        # Two days before the due date: the due day's reminder ("vence hoy") waits for it.
        before_due = invoice(days=-2, reached=-3, escalate_after_days=1)
        self.assertEqual(plan([before_due])[0], [])
        # The due day: an overdue notice waits for the first day overdue.
        due_day = invoice(days=0, reached=0, escalate_after_days=1)
        self.assertEqual(plan([due_day])[0], [])
        steps, _deferred = plan([invoice(days=1, reached=0, escalate_after_days=1)])
        self.assertEqual([s.level_id for s in steps], [3])
        # Before the due date, a reminder before it may come any day.
        levels = [level(1, -10), level(2, -3)]
        steps, _deferred = cadence.plan(levels, [invoice(days=-8, reached=-10)],
                                        {1: customer()}, now=SENT + 2 * DAY)
        self.assertEqual([s.level_id for s in steps], [2])

    def test_an_escalated_step_keeps_every_other_rule(self):
        # The weekly and the daily caps.
        self.assertEqual(plan([invoice()], customer(sent_last_7_days=9))[0], [])
        self.assertEqual(plan([invoice()], customer(sent_last_day=1)), ([], 1))
        # Consent: the fallback, or a skipped step with its reason.
        steps, _deferred = plan([invoice()], customer(consent="none", has_email=False))
        self.assertEqual((steps[0].channel, steps[0].skip_reason),
                         (None, "No WhatsApp consent recorded."))
        # The customer's segments: the next level that applies to it (+15; +7 is for others).
        levels = [level(3, 3), level(4, 7, segments=frozenset({("high", "new")})),
                  level(5, 15)]
        steps, _deferred = cadence.plan(levels, [invoice(days=6)], {1: customer()},
                                        now=SENT + 2 * DAY)
        self.assertEqual([s.level_id for s in steps], [5])
        # No level after the last one.
        self.assertEqual(plan([invoice(days=20, reached=15)])[0], [])


@tagged("post_install", "-at_install")
class TestEscalation(CobranzaCommon):
    """The cadence with invoices, messages, replies, payments and commitments."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.cobranza_frequency_cap = 10
        cls.level_3 = cls.level_by_offset[3]
        cls.level_7 = cls.level_by_offset[7]
        cls.level_3.escalate_after_days = 2
        # Friday 11:00 in Lima: two days and an hour after Wednesday's reminder.
        cls.later = NOW + 2 * DAY + datetime.timedelta(hours=1)

    def reminded(self, partner=None, days_overdue=4):
        """An invoice that reached +3 today, its reminder sent now."""
        partner = partner or self.customer
        move = self._invoice(partner, 600.0, days_overdue=days_overdue)
        self.run_cadence()
        message = self.messages_for(partner).filtered(lambda m: m.move_ids == move)
        self.assertEqual(message.level_id, self.level_3)
        message._set_sent(f"wamid.ESC{move.id}", sent_at=NOW)
        return move, message

    def reply(self, partner, company, when):
        """What the customer wrote, as the inbound path stores it (its understanding and
        its actions are the inbound tests')."""
        return self.env["cobranza.message"].sudo().create({
            "direction": "in", "state": "received", "channel": "whatsapp",
            "partner_id": partner.id, "company_id": company.id, "received_at": when,
            "body": "Hola, lo reviso y le aviso",
        })

    def test_silence_sends_the_next_level_early_and_says_why(self):
        move, _message = self.reminded()
        self.assertEqual(self.run_cadence(now=NOW + DAY)["steps"], 0, "one day: it waits")
        stats = self.run_cadence(now=self.later)
        self.assertEqual((stats["steps"], stats["messages"]), (1, 1), stats)
        self.assertEqual(move.cobranza_level_id, self.level_7, "+7 on the sixth day")
        step = self.steps_for(move).filtered(lambda s: s.level_id == self.level_7)
        self.assertEqual(step.note, "No reply or payment in 2 days: next step sent early.")
        self.assertEqual(step.outcome, "queued")
        chatter = move.message_ids.filtered(lambda m: "sent early" in str(m.body))
        self.assertEqual(len(chatter), 1)
        self.assertIn(self.level_7.name, str(chatter.body))
        queued = self.messages_for(self.customer).filtered(lambda m: m.level_id == self.level_7)
        self.assertEqual((queued.move_ids, queued.state), (move, "queued"))
        # Exactly once: the next runs find the step recorded.
        self.assertEqual(self.run_cadence(now=self.later + datetime.timedelta(hours=1))["steps"],
                         0)
        self.assertEqual(len(self.messages_for(self.customer)), 2)

    def test_a_reply_holds_the_next_level_until_its_day(self):
        self.reminded()
        self.reply(self.customer, self.company, NOW + DAY)
        self.assertEqual(self.run_cadence(now=self.later)["steps"], 0)

    def test_a_payment_holds_the_next_level_until_its_day(self):
        move, _message = self.reminded()
        self._pay(move, 100.0, (NOW + DAY).date())
        self.assertEqual(move.payment_state, "partial")
        self.assertEqual(self.run_cadence(now=self.later)["steps"], 0)

    def test_a_level_without_days_waits_for_its_day(self):
        self.level_3.escalate_after_days = 0
        self.reminded()
        self.assertEqual(self.run_cadence(now=self.later)["steps"], 0)

    def test_the_company_can_switch_it_off(self):
        self.company.cobranza_escalation = False
        self.reminded()
        self.assertEqual(self.run_cadence(now=self.later)["steps"], 0)

    def test_the_daily_cap_still_holds_an_escalated_step(self):
        self.reminded()
        other = self._invoice(self.customer, 90.0, days_overdue=-3)
        stats = self.run_cadence(now=self.later - datetime.timedelta(hours=3))
        self.assertEqual(self.messages_for(self.customer)[-1].move_ids, other)
        stats = self.run_cadence(now=self.later)
        self.assertEqual((stats["steps"], stats["deferred"]), (0, 1), "one message a day")
        self.assertEqual(self.run_cadence(now=self.later + DAY)["steps"], 1)

    def test_a_broken_promise_brings_the_next_level_forward(self):
        self.level_3.escalate_after_days = 0  # not silence: the broken promise
        self.company.cobranza_daily_cap = 2  # the broken promise's message is the day's first
        move, _message = self.reminded()
        promise = self.env["cobranza.promise"]._record(self.customer, move, NOW.date())
        with freezegun.freeze_time(NOW + 2 * DAY):
            self.env["cobranza.promise"]._cron_check(today=(NOW + 2 * DAY).date())
        self.assertEqual(promise.state, "broken")
        stats = self.run_cadence(now=self.later)
        self.assertEqual(stats["steps"], 1, stats)
        self.assertEqual(move.cobranza_level_id, self.level_7)
        self.assertEqual(self.steps_for(move)[-1].note,
                         "A promise or payment plan was not kept: next step sent early.")
        # Once: +15 comes on its own day.
        self.assertEqual(self.run_cadence(now=self.later + DAY)["steps"], 0)

    def test_a_missed_instalment_brings_the_next_level_forward(self):
        self.level_3.escalate_after_days = 0
        move, _message = self.reminded()
        plan = self.env["cobranza.payment.plan"]._create_plan(
            self.customer, move, 3, NOW.date(), interval="weekly")
        plan.grace_days = 0
        plan.action_activate()
        self.env["cobranza.payment.plan"]._cron_follow(today=(NOW + DAY).date())
        self.assertEqual(plan.state, "broken")
        stats = self.run_cadence(now=NOW + DAY + datetime.timedelta(hours=1))
        self.assertEqual(stats["steps"], 1, stats)
        self.assertEqual(move.cobranza_level_id, self.level_7)
        self.assertIn("not kept", self.steps_for(move)[-1].note)


@tagged("post_install", "-at_install")
class TestEscalationTwoCompanies(CobranzaCommon):
    """Each company escalates on what the customer did with it, if it escalates at all."""

    freeze_time = freezegun.freeze_time(NOW, tick=True)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data_b = cls.setup_other_company(name="Company B")
        cls.company_b = cls.data_b["company"]
        cls.company_b.write({"country_id": cls.pe.id, "cobranza_frequency_cap": 10})
        cls.company_b._cobranza_load_defaults()
        cls.company.cobranza_frequency_cap = 10
        cls.customer.company_id = False
        cls.customer.with_company(cls.company_b).write({
            "cobranza_optin_date": NOW - datetime.timedelta(days=60),
            "cobranza_optin_source": "Contract with B"})
        for company in cls.company | cls.company_b:
            cls.env["cobranza.level"].search([("company_id", "=", company.id),
                                              ("offset_days", "=", 3)]).escalate_after_days = 2
        cls.later = NOW + 2 * DAY + datetime.timedelta(hours=1)

    def run_in(self, company, now):
        return self.env["cobranza.cadence"].with_company(company)._run(
            company, today=now.date(), now=now)

    def reminded_in(self, company_data):
        due = NOW.date() - datetime.timedelta(days=4)
        move = self._dated_invoice(600.0, due - datetime.timedelta(days=30), due,
                                   company_data=company_data)
        self.run_in(company_data["company"], NOW)
        message = self.env["cobranza.message"].sudo().search([("move_ids", "in", move.ids)])
        message._set_sent(f"wamid.TWO{move.id}", sent_at=NOW)
        return move

    def test_a_reply_to_one_company_is_no_answer_to_the_other(self):
        move_a = self.reminded_in(self.company_data)
        move_b = self.reminded_in(self.data_b)
        self.env["cobranza.message"].sudo().create({
            "direction": "in", "state": "received", "channel": "whatsapp",
            "partner_id": self.customer.id, "company_id": self.company_b.id,
            "received_at": NOW + DAY, "body": "Ya le transfiero"})
        self.assertEqual(self.run_in(self.company_b, self.later)["steps"], 0)
        self.assertEqual(self.run_in(self.company, self.later)["steps"], 1)
        self.assertEqual(move_a.cobranza_level_id.offset_days, 7)
        self.assertEqual(move_b.cobranza_level_id.offset_days, 3)

    def test_each_company_switches_it_off_for_itself(self):
        self.company_b.cobranza_escalation = False
        move_a = self.reminded_in(self.company_data)
        move_b = self.reminded_in(self.data_b)
        self.run_in(self.company, self.later)
        self.run_in(self.company_b, self.later)
        self.assertEqual(move_a.cobranza_level_id.offset_days, 7)
        self.assertEqual(move_b.cobranza_level_id.offset_days, 3)
