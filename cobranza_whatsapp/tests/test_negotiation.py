"""Negotiation within the rules, in the conversation: a plan request is answered with the
options the company's Settings allow (reply buttons with amounts and dates, checked by the
strict loopback mock), the customer's tap activates the plan, the reminders follow it, and a
promise is confirmed back; whatever is outside the rules goes to a person with the proposal."""

import datetime

from odoo import fields
from odoo.tests import tagged

from ..tools import formatting, intent, plans
from . import graph_mock
from .common import LiveAccountCommon, allow_api_host


@tagged("post_install", "-at_install")
class TestNegotiation(LiveAccountCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({
            "cobranza_plan_max_instalments": 6, "cobranza_plan_min_first_percent": 20,
            "cobranza_plan_first_days": 3, "cobranza_plan_interval": "monthly",
            "cobranza_plan_min_instalment": 0,
        })
        cls.pen = cls.setup_other_currency("PEN")
        cls.customer.cobranza_collector_id = cls.collector
        cls.move = cls._invoice(cls.customer, 1200.0, days_overdue=10, currency=cls.pen)

    # === helpers === #

    def today_(self):
        return fields.Date.context_today(self.env["cobranza.message"])

    @staticmethod
    def _wa(partner):
        return partner.phone.replace("+", "").replace(" ", "")

    def _handle(self, payload, account=None):
        self.env["cobranza.webhook.event"].sudo()._handle_payload(account or self.wa_account,
                                                                  payload)

    def _last_inbound(self, partner=None):
        return self.env["cobranza.message"].sudo().search(
            [("partner_id", "=", (partner or self.customer).id), ("direction", "=", "in")],
            order="id desc", limit=1)

    def writes(self, text, partner=None, account=None, **kwargs):
        partner = partner or self.customer
        self._handle(graph_mock.inbound_text_payload(self._wa(partner), text, **kwargs), account)
        return self._last_inbound(partner)

    def taps(self, reply_id, title="3 instalments", partner=None, payload=None):
        partner = partner or self.customer
        payload = payload or graph_mock.inbound_interactive_payload(self._wa(partner), reply_id,
                                                                    title)
        self._handle(payload)
        return self._last_inbound(partner)

    def sent(self):
        """What reached Meta (the strict mock) so far in this test."""
        self.env["cobranza.message"]._process_queue()
        return self.mock.sent_messages()

    def plans_of(self, partner=None, company=None):
        return self.env["cobranza.payment.plan"].sudo().search([
            ("partner_id", "=", (partner or self.customer).id),
            ("company_id", "=", (company or self.company).id)])

    def day(self, date):
        return plans.format_day(date, "en_US")

    def months(self, first, count):
        return [plans._add_months(first, i) for i in range(count)]

    def option_ids(self, interactive):
        return [(b["reply"]["id"], b["reply"]["title"])
                for b in interactive["action"]["buttons"]]

    # === the offer === #

    def test_a_plan_request_gets_the_options_as_reply_buttons(self):
        first = self.today_() + datetime.timedelta(days=3)
        for text in ("necesito un plan", "puedo pagar en cuotas?", "me lo fraccionan en 3?"):
            with self.subTest(text=text):
                before = len(self.sent())
                inbound = self.writes(text)
                self.assertEqual(inbound.intent, "plan")
                messages = self.sent()[before:]
                self.assertEqual(len(messages), 1)
                sent = messages[0]
                self.assertEqual(sent["type"], "interactive")
                self.assertEqual(sent["context"], {"message_id": inbound.wamid},
                                 "threaded to the customer's message")
                self.assertTrue(graph_mock._interactive_ok(sent["interactive"]))
                plan = self.plans_of()
                self.assertEqual((len(plan), plan.state), (1, "draft"), "one proposal")
                self.assertEqual(self.option_ids(sent["interactive"]), [
                    (f"PLAN:2:{plan.id}", "2 instalments"),
                    (f"PLAN:3:{plan.id}", "3 instalments"),
                    (f"PLAN:4:{plan.id}", "4 instalments")])
                body = sent["interactive"]["body"]["text"]
                self.assertIn("You can pay S/ 1,200.00 in instalments", body)
                for count, amount in ((2, "S/ 600.00"), (3, "S/ 400.00"), (4, "S/ 300.00")):
                    days = [self.day(d) for d in self.months(first, count)]
                    self.assertIn(f"• {count} instalments of {amount} on "
                                  f"{', '.join(days[:-1])} and {days[-1]}", body)
                self.assertIn("options sent", inbound.action_taken)
                self.assertFalse(inbound.needs_person)
                self.assertFalse(plan.activity_ids, "no collector needed inside the rules")
        self.assertFalse(self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "plan"), "never the plan template again")

    def test_the_managers_first_share_shows_in_the_options(self):
        self.company.cobranza_plan_min_first_percent = 40
        self.writes("¿me dan facilidades? quiero pagar en cuotas")
        body = self.sent()[-1]["interactive"]["body"]["text"]
        first = self.today_() + datetime.timedelta(days=3)
        later = [self.day(d) for d in self.months(first, 3)[1:]]
        self.assertIn(f"• 3 instalments: S/ 480.00 on {self.day(first)}; S/ 360.00 on "
                      f"{later[0]} and {later[1]}", body)
        # An equal split of 2 already gives 50%.
        self.assertIn("• 2 instalments of S/ 600.00", body)

    # === the customer's choice === #

    def test_the_tap_activates_the_plan_the_reminders_follow_it_and_it_is_confirmed(self):
        self.writes("necesito un plan")
        plan = self.plans_of()
        before = len(self.sent())
        inbound = self.taps(f"PLAN:3:{plan.id}")
        self.assertEqual((inbound.intent, inbound.needs_person), ("plan", False))
        self.assertEqual(plan.state, "active")
        first = self.today_() + datetime.timedelta(days=3)
        dates = self.months(first, 3)
        self.assertEqual([(line.date, line.amount) for line in plan.line_ids.sorted("date")],
                         [(d, 400.0) for d in dates])
        self.assertEqual(self.move.cobranza_state, "negotiation")
        self.assertFalse(plan.activity_ids, "no collector was needed")
        # The confirmation, in the customer's words and formats.
        confirmation = self.sent()[before:]
        self.assertEqual(len(confirmation), 1)
        self.assertEqual(confirmation[0]["type"], "text")
        days = [self.day(d) for d in dates]
        self.assertEqual(confirmation[0]["text"]["body"],
                         f"Done: 3 instalments of S/ 400.00 on {days[0]}, {days[1]} and "
                         f"{days[2]}. We will remind you before each instalment.")
        # The cadence waits for the plan; the plan reminds its instalments.
        self.assertGreater(self.move.cobranza_paused_until, dates[-1])
        self.assertEqual(self.run_cadence()["steps"], 0)
        self.env["cobranza.payment.plan"]._cron_follow(today=first - datetime.timedelta(days=1))
        reminders = self.messages_for(self.customer).filtered(
            lambda m: m.template_id.purpose == "plan_instalment")
        self.assertEqual(len(reminders), 1)
        self.assertTrue(plan.line_ids.sorted("date")[0].reminded)

    def test_a_replayed_tap_makes_one_plan(self):
        self.writes("necesito un plan")
        plan = self.plans_of()
        payload = graph_mock.inbound_interactive_payload(self._wa(self.customer),
                                                         f"PLAN:2:{plan.id}", "2 instalments")
        before = len(self.sent())
        self.taps(None, payload=payload)
        self.taps(None, payload=payload)  # Meta delivers the same webhook again
        self.assertEqual(len(self.plans_of()), 1)
        self.assertEqual((plan.state, len(plan.line_ids)), ("active", 2))
        self.assertEqual(len(self.sent()[before:]), 1, "confirmed once")
        # A second tap on the same button (a new message): the plan stands, said again.
        again = self.taps(f"PLAN:2:{plan.id}", "2 instalments")
        self.assertEqual((len(self.plans_of()), len(plan.line_ids)), (1, 2))
        self.assertFalse(again.needs_person)
        self.assertIn("already active", self.sent()[-1]["text"]["body"])
        # Another option of the same offer, now taken: refused, a person follows up.
        other = self.taps(f"PLAN:4:{plan.id}", "4 instalments")
        self.assertEqual(len(plan.line_ids), 2)
        self.assertTrue(other.needs_person)
        self.assertIn("not available", self.sent()[-1]["text"]["body"])

    def test_a_tap_on_another_customers_option_is_refused(self):
        self.writes("necesito un plan")
        plan = self.plans_of()
        other = self._customer("Rosa Huamán", "+51 912 345 678", self.pe)
        self._invoice(other, 500.0, days_overdue=5)
        for reply_id in (f"PLAN:3:{plan.id}", "PLAN:3:999999999"):
            with self.subTest(reply_id=reply_id):
                before = len(self.sent())
                inbound = self.taps(reply_id, partner=other)
                self.assertEqual(plan.state, "draft", "the other customer's plan is untouched")
                self.assertFalse(self.plans_of(other))
                self.assertTrue(inbound.needs_person)
                self.assertTrue(other.cobranza_handoff)
                answer = self.sent()[before:]
                self.assertEqual(len(answer), 1)
                self.assertEqual(answer[0]["to"], self._wa(other))
                self.assertIn("that option is not available", answer[0]["text"]["body"])

    def test_an_old_option_is_refused_or_offered_again(self):
        self.writes("necesito un plan")
        plan = self.plans_of()
        before = len(self.sent())
        # Its first day passed: today's options instead.
        plan.first_date = self.today_() - datetime.timedelta(days=1)
        self.taps(f"PLAN:3:{plan.id}")
        self.assertEqual(plan.state, "draft")
        sent = self.sent()[before:]
        self.assertEqual([m["type"] for m in sent], ["interactive"])
        self.assertTrue(sent[0]["interactive"]["body"]["text"].startswith(
            "That option is no longer available.\nYou can pay"))
        self.assertEqual(plan.first_date, self.today_() + datetime.timedelta(days=3))
        # A cancelled plan's option: refused.
        plan.action_cancel()
        inbound = self.taps(f"PLAN:3:{plan.id}")
        self.assertEqual(plan.state, "cancelled")
        self.assertTrue(inbound.needs_person)

    # === outside the rules === #

    def test_more_instalments_than_allowed_go_to_a_person_with_a_proposal(self):
        before = len(self.sent())
        inbound = self.writes("¿puedo pagar en 12 cuotas?")
        self.assertEqual(intent.detect_intent(inbound.body, self.today_()).intent, "plan")
        plan = self.plans_of()
        self.assertEqual(plan.state, "draft")
        self.assertFalse(plan.offer_options, "no option to choose: a person decides")
        self.assertLessEqual(len(plan.line_ids), 6, "the proposal keeps the rules")
        self.assertTrue(inbound.needs_person)
        self.assertIn("outside the rules", inbound.action_taken)
        activity = plan.activity_ids
        self.assertEqual(activity.user_id, self.collector)
        self.assertIn("12 instalments", str(activity.note))
        self.assertIn("At most 6 instalments", str(activity.note))
        answer = self.sent()[before:]
        self.assertEqual([m["type"] for m in answer], ["text"])
        self.assertIn("A person from our team will contact you", answer[0]["text"]["body"])
        # Told that a person will call, the reply still waits in the work queue for one
        # (found in the demo: the automatic answer took it out).
        self.assertTrue(self.env["cobranza.work.item"].search(
            [("kind", "=", "reply"), ("message_id", "=", inbound.id)]))

    def assert_person_with_proposal(self, reason):
        before = len(self.sent())
        inbound = self.writes("necesito un plan")
        self.assertTrue(inbound.needs_person)
        self.assertIn("outside the rules", inbound.action_taken)
        plan = self.plans_of().filtered(lambda p: p.state == "draft")
        self.assertEqual(len(plan), 1, "the proposal, for a person")
        self.assertFalse(plan.offer_options)
        self.assertEqual(plan.activity_ids.user_id, self.collector)
        self.assertIn(reason, str(plan.activity_ids.note))
        answer = self.sent()[before:]
        self.assertEqual([m["type"] for m in answer], ["text"], "no options to choose")
        self.assertIn("A person from our team will contact you", answer[0]["text"]["body"])

    def test_too_small_a_debt_goes_to_a_person(self):
        # 1,200 soles in two is 600 each: below the minimum of 400 dollars (800 soles).
        self.company.cobranza_plan_min_instalment = 400
        self.assert_person_with_proposal("No instalment may be less than")

    def test_high_risk_goes_to_a_person_when_the_settings_say_so(self):
        self.customer.cobranza_risk_manual = "high"
        self.assert_person_with_proposal("do not qualify")

    def test_a_broken_plan_goes_to_a_person(self):
        self.env["cobranza.payment.plan"]._create_plan(
            self.customer, self.move, 2, self.today_()).state = "broken"
        self.assert_person_with_proposal("broke a payment plan")

    # === switches === #

    def test_without_automatic_answers_a_collector_agrees_the_plan(self):
        self.company.cobranza_auto_answers = False
        inbound = self.writes("necesito un plan")
        plan = self.plans_of()
        self.assertEqual(plan.state, "draft")
        self.assertEqual(plan.activity_ids.user_id, self.collector)
        self.assertIn("proposed for a collector", inbound.action_taken)
        self.assertFalse(self.sent(), "nothing automatic goes out")

    def test_plans_handed_to_a_person_by_setting(self):
        self.company.cobranza_intent_plan = "person"
        inbound = self.writes("necesito un plan")
        self.assertTrue(inbound.needs_person)
        self.assertFalse(self.plans_of())
        self.assertFalse(self.sent())

    # === promises === #

    def test_a_promise_is_confirmed_back(self):
        inbound = self.writes("el viernes le pago 300 soles")
        promise = self.env["cobranza.promise"].search([("source_message_id", "=", inbound.id)])
        self.assertEqual((promise.amount, promise.currency_id), (300.0, self.pen))
        friday = intent.parse_promise_date("el viernes", self.today_())
        self.assertEqual(promise.date, friday)
        sent = self.sent()
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["context"], {"message_id": inbound.wamid})
        self.assertEqual(sent[0]["text"]["body"],
                         f"Noted: you will pay S/ 300.00 on "
                         f"{plans.format_day(friday, 'en_US', weekday=True)}. Thank you!")
        self.assertTrue(sent[0]["text"]["body"].split(" on ")[1].startswith("Friday "))

    def test_a_promise_beyond_the_horizon_is_told_a_person_will_call(self):
        inbound = self.writes("le pago el 15/12/2099")
        self.assertFalse(self.env["cobranza.promise"].search(
            [("partner_id", "=", self.customer.id)]))
        self.assertTrue(inbound.needs_person)
        sent = self.sent()
        self.assertEqual(len(sent), 1)
        self.assertIn("A person from our team will contact you to agree on a payment date",
                      sent[0]["text"]["body"])

    def test_no_confirmation_when_answers_are_off(self):
        self.company.cobranza_auto_answers = False
        inbound = self.writes("el viernes le pago")
        self.assertEqual(inbound.intent, "promise")
        self.assertTrue(self.env["cobranza.promise"].search(
            [("source_message_id", "=", inbound.id)]))
        self.assertFalse(self.sent())


@tagged("post_install", "-at_install")
class TestNegotiationTwoCompanies(LiveAccountCommon):
    """Each company answers with its own limits, its own invoices and its own number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"cobranza_plan_max_instalments": 6,
                           "cobranza_plan_min_first_percent": 0})
        cls.company_b_data = cls.setup_other_company(name="Company B")
        cls.company_b = cls.company_b_data["company"]
        cls.company_b.write({"cobranza_plan_max_instalments": 2,
                             "cobranza_plan_interval": "weekly",
                             "cobranza_plan_first_days": 7, "country_id": cls.pe.id})
        cls.account_b = cls.env["cobranza.whatsapp.account"].sudo().create({
            "name": "B WhatsApp", "company_id": cls.company_b.id, "mode": "live",
            "phone_number_id": "PNID2", "waba_id": "WABA2", "rate_limit": 0,
            "api_url": cls.mock.url, "access_token": "test-token-b",
            "app_secret": "test-secret-b", "app_id": cls.mock.app_id,
        })
        allow_api_host(cls.env, cls.mock.url)
        cls.move_a = cls._invoice(cls.customer, 900.0, days_overdue=10)
        cls.move_b = cls._dated_invoice(1000.0, cls.today() - datetime.timedelta(days=40),
                                        cls.today() - datetime.timedelta(days=10),
                                        company_data=cls.company_b_data)

    def writes_to(self, account, text, phone_number_id, waba_id):
        wa = self.customer.phone.replace("+", "").replace(" ", "")
        self.env["cobranza.webhook.event"].sudo()._handle_payload(
            account, graph_mock.inbound_text_payload(wa, text, phone_number_id=phone_number_id,
                                                     waba_id=waba_id))
        self.env["cobranza.message"]._process_queue()
        return self.mock.sent_messages()[-1]

    def test_each_company_offers_within_its_own_limits(self):
        sent_a = self.writes_to(self.wa_account, "necesito un plan", "PNID1", "WABA1")
        sent_b = self.writes_to(self.account_b, "necesito un plan", "PNID2", "WABA2")
        Plan = self.env["cobranza.payment.plan"].sudo()
        plan_a = Plan.search([("partner_id", "=", self.customer.id),
                              ("company_id", "=", self.company.id)])
        plan_b = Plan.search([("partner_id", "=", self.customer.id),
                              ("company_id", "=", self.company_b.id)])
        self.assertEqual((plan_a.move_ids, plan_b.move_ids), (self.move_a, self.move_b))
        titles = [[b["reply"]["title"] for b in sent["interactive"]["action"]["buttons"]]
                  for sent in (sent_a, sent_b)]
        self.assertEqual(titles, [["2 instalments", "3 instalments", "4 instalments"],
                                  ["2 instalments"]])
        currency_b = self.company_b.currency_id
        today = fields.Date.context_today(self.env["cobranza.message"])
        first_b = today + datetime.timedelta(days=7)
        half = formatting.format_amount(500, currency_b.name, "en_US", symbol=currency_b.symbol)
        self.assertIn(f"2 instalments of {half} on {plans.format_day(first_b, 'en_US')} and "
                      f"{plans.format_day(first_b + datetime.timedelta(days=7), 'en_US')}",
                      sent_b["interactive"]["body"]["text"], "B's weekly plan from day 7")
        # B's option tapped on A's number is not A's to take.
        wa = self.customer.phone.replace("+", "").replace(" ", "")
        self.env["cobranza.webhook.event"].sudo()._handle_payload(
            self.wa_account, graph_mock.inbound_interactive_payload(
                wa, f"PLAN:2:{plan_b.id}", "2 instalments"))
        self.assertEqual(plan_b.state, "draft")
        # On B's number it is.
        self.env["cobranza.webhook.event"].sudo()._handle_payload(
            self.account_b, graph_mock.inbound_interactive_payload(
                wa, f"PLAN:2:{plan_b.id}", "2 instalments", phone_number_id="PNID2",
                waba_id="WABA2"))
        self.assertEqual((plan_b.state, plan_a.state), ("active", "draft"))
        self.assertEqual(plan_b.line_ids.mapped("amount"), [500.0, 500.0])
