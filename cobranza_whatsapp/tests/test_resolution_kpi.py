"""The automated conversation: how each customer's request ended (by the automation, by a
person, still waiting) and the dashboard's automatic resolution rate, hand-off rate and
time to resolution."""

import datetime

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import BaseCase, tagged

from ..tools import kpi
from .common import CobranzaCommon
from .test_work_queue import close

T = datetime.datetime
D = datetime.date


@tagged("post_install", "-at_install")
class TestConversationKpiFormulas(BaseCase):

    def test_rates_over_the_requests(self):
        # 3 resolved by the automation, 1 by a person, 1 waiting.
        self.assertAlmostEqual(kpi.automatic_resolution_rate(3, 1, 1), 0.6)
        self.assertAlmostEqual(kpi.reply_handoff_rate(3, 1, 1), 0.4)
        self.assertIsNone(kpi.automatic_resolution_rate(0, 0, 0))
        self.assertIsNone(kpi.reply_handoff_rate(0, 0, 0))

    def test_average_hours(self):
        self.assertAlmostEqual(kpi.average_hours(3 * 60 + 36000, 4), 2.5125)
        self.assertIsNone(kpi.average_hours(0, 0))


@tagged("post_install", "-at_install")
class TestResolution(CobranzaCommon):

    def reply(self, text, partner=None):
        partner = partner or self.customer
        message = self.env["cobranza.message"].sudo().create({
            "direction": "in", "state": "received", "partner_id": partner.id,
            "company_id": self.company.id, "body": text,
            "received_at": fields.Datetime.now() - datetime.timedelta(minutes=5)})
        message._understand({})
        return message

    def test_an_acted_reply_is_resolved_automatically(self):
        self._invoice(self.customer, 500.0, days_overdue=4)
        message = self.reply("ya pagué")
        self.assertTrue(message.action_taken)
        self.assertFalse(message.needs_person)
        self.assertEqual(message.resolution, "automatic")
        self.assertTrue(message.resolved_at)

    def test_a_reply_for_a_person_is_open_until_its_work_item_is_closed(self):
        self._invoice(self.customer, 500.0, days_overdue=4)
        message = self.reply("Quiero hablar con una persona")
        self.assertEqual(message.resolution, "open")
        self.assertFalse(message.resolved_at)
        item = self.env["cobranza.work.item"].search([("message_id", "=", message.id)])
        close(item, self.collector)
        self.assertEqual(message.resolution, "person")
        self.assertTrue(message.resolved_at)

    def test_a_person_answering_resolves_it(self):
        message = self.reply("???")
        self.assertEqual((message.intent, message.resolution), ("unknown", "open"))
        self.customer.with_company(self.company).sudo().cobranza_window_until = \
            fields.Datetime.now() + datetime.timedelta(hours=20)
        self.env["cobranza.message"].with_user(self.collector)._send_text(
            self.customer, "Hola María, ¿en qué le ayudo?", reply_to=message.with_user(
                self.collector))
        self.assertEqual(message.resolution, "person")

    def test_a_reply_asking_nothing_has_no_resolution(self):
        message = self.reply("gracias")
        self.assertEqual(message.intent, "thanks")
        self.assertFalse(message.resolution)

    def test_nobody_sets_it_by_hand(self):
        message = self.reply("???")
        with self.assertRaises(UserError):
            message.with_user(self.collector).write({"resolution": "automatic"})


@tagged("post_install", "-at_install")
class TestConversationKpis(CobranzaCommon):
    """The three KPIs on requests computed by hand (figures in the comments)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Conversations B")["company"]
        day = T(2026, 11, 10, 15, 0)
        minute, hour = datetime.timedelta(minutes=1), datetime.timedelta(hours=1)
        rows = [
            # 3 resolved by the automation in a minute each, 1 by a person after 10 hours,
            # 1 still waiting, 1 that asked for nothing: 60 % automatic, 40 % to a person,
            # (3 x 60 s + 36,000 s) / 4 = 2.5125 hours to resolution.
            (cls.company, day, "automatic", day + minute),
            (cls.company, day, "automatic", day + minute),
            (cls.company, day, "automatic", day + minute),
            (cls.company, day, "person", day + 10 * hour),
            (cls.company, day, "open", False),
            (cls.company, day, False, False),
            # Another company's, and one before the period: not counted.
            (cls.company_b, day, "automatic", day + minute),
            (cls.company, T(2026, 10, 31, 23, 0), "person", T(2026, 11, 2)),
        ]
        cls.env["cobranza.message"].sudo().create([{
            "direction": "in", "state": "received", "partner_id": cls.customer.id,
            "company_id": company.id, "body": "…", "received_at": received,
            "resolution": resolution, "resolved_at": resolved,
        } for company, received, resolution, resolved in rows])

    def board(self, **values):
        return self.env["cobranza.dashboard"].create({
            "date_from": D(2026, 11, 1), "date_to": D(2026, 11, 30), **values})

    def test_the_dashboard_shows_the_three_kpis(self):
        board = self.board()
        self.assertAlmostEqual(board.automatic_resolution_rate, 60.0)
        self.assertAlmostEqual(board.reply_handoff_rate, 40.0)
        self.assertAlmostEqual(board.avg_resolution_hours, 2.5125)
        self.assertNotIn(",automatic_resolution_rate,", board.no_data_keys)

    def test_no_request_is_no_data(self):
        # Another segment (the customer is not high risk) and a quiet month.
        for board in (self.board(risk="high"),
                      self.board(date_from=D(2026, 12, 1), date_to=D(2026, 12, 31))):
            for name in ("automatic_resolution_rate", "reply_handoff_rate",
                         "avg_resolution_hours"):
                self.assertIn(f",{name},", board.no_data_keys)
            self.assertIn("Resolved Automatically", board.no_data)

    def test_company_b_sees_its_own(self):
        figures = self.env["cobranza.dashboard"].with_context(
            allowed_company_ids=[self.company_b.id, self.company.id])._kpis(
            self.company_b, D(2026, 11, 1), D(2026, 11, 30))
        self.assertAlmostEqual(figures["automatic_resolution_rate"], 100.0)
        self.assertAlmostEqual(figures["avg_resolution_hours"], 1 / 60)
        self.assertIsNone(self.env["cobranza.dashboard"]._kpis(
            self.company, D(2026, 11, 1), D(2026, 11, 30),
            template=self.templates[:1])["automatic_resolution_rate"])
