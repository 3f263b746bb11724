"""Two companies bill the same customer, each with its own WhatsApp number: what the customer
is to one company (its risk, consent, hand-off, reply window, cap) is not the other's."""

import datetime

from odoo import Command
from odoo.tests import tagged

from . import graph_mock
from .common import NOW, TODAY
from .test_webhook_routing import RoutingCommon


@tagged("post_install", "-at_install")
class TestTwoCompanies(RoutingCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b.write({"cobranza_frequency_cap": 2, "country_id": cls.pe.id})
        # The customer agreed to hear from both businesses.
        cls.customer.with_company(cls.company_b).write({
            "cobranza_optin_date": NOW - datetime.timedelta(days=60),
            "cobranza_optin_source": "Contract with B",
        })

    def in_a(self, partner=None):
        return (partner or self.customer).with_company(self.company)

    def in_b(self, partner=None):
        return (partner or self.customer).with_company(self.company_b)

    def invoice_in_b(self, amount, days_overdue, partner=None):
        due = TODAY - datetime.timedelta(days=days_overdue)
        move = self.env["account.move"].with_company(self.company_b).create({
            "move_type": "out_invoice",
            "partner_id": (partner or self.customer).id,
            "company_id": self.company_b.id,
            "invoice_date": min(due - datetime.timedelta(days=30), TODAY),
            "invoice_date_due": due,
            "invoice_line_ids": [Command.create({
                "name": "Service", "quantity": 1, "price_unit": amount, "tax_ids": [],
            })],
        })
        move.action_post()
        return move

    def run_cadence_b(self, now=NOW):
        return self.env["cobranza.cadence"].with_company(self.company_b)._run(
            self.company_b, today=now.date(), now=now)

    def messages_in(self, company, partner=None):
        return self.env["cobranza.message"].sudo().search([
            ("partner_id", "=", (partner or self.customer).id),
            ("company_id", "=", company.id), ("direction", "=", "out"),
        ])

    def reply_to_a(self, text, context_id):
        self.post(graph_mock.inbound_text_payload("51987654321", text, context_id=context_id))

    # === replies === #

    def test_a_dispute_sent_to_a_hands_over_only_in_a(self):
        move_a, _message = self.sent_in_a("wamid.A1")
        move_b = self.invoice_in_b(800.0, days_overdue=4)
        self.reply_to_a("No reconozco esa factura, nunca recibí el pedido", "wamid.A1")
        reply = self.inbound()
        self.assertEqual((reply.company_id, reply.intent), (self.company, "dispute"))
        self.assertTrue(move_a.cobranza_disputed)
        self.assertTrue(self.in_a().cobranza_handoff)
        # Company B's invoice and its view of the customer are untouched...
        self.assertFalse(move_b.cobranza_disputed)
        self.assertFalse(self.in_b().cobranza_handoff)
        # ...and its reminders go on.
        stats = self.run_cadence_b()
        self.assertEqual(stats["messages"], 1, stats)
        self.assertEqual(self.messages_in(self.company_b).move_ids, move_b)

    def test_a_stop_sent_to_a_opts_out_of_a_only(self):
        _move_a, _message = self.sent_in_a("wamid.A2")
        queued_a = self.env["cobranza.message"].sudo().create({
            "partner_id": self.customer.id, "company_id": self.company.id,
            "channel": "whatsapp", "state": "queued", "account_id": self.wa_account.id,
        })
        queued_b = self.env["cobranza.message"].sudo().create({
            "partner_id": self.customer.id, "company_id": self.company_b.id,
            "channel": "whatsapp", "state": "queued", "account_id": self.account_b.id,
        })
        self.reply_to_a("STOP", "wamid.A2")
        self.assertEqual(self.in_a().cobranza_consent, "optout")
        self.assertEqual(self.in_b().cobranza_consent, "optin")
        self.assertEqual((queued_a.state, queued_b.state), ("cancelled", "queued"))

    def test_a_reply_opens_the_reply_window_of_its_company_only(self):
        self.sent_in_a("wamid.A3")
        self.reply_to_a("Hola, una consulta", "wamid.A3")
        self.assertTrue(self.in_a().cobranza_window_until)
        self.assertFalse(self.in_b().cobranza_window_until)

    # === the cadence's view of the customer === #

    def test_risk_and_probability_are_each_companys_own(self):
        self._invoice(self.customer, 30000.0, days_overdue=95)
        self.invoice_in_b(200.0, days_overdue=-3)
        self.run_cadence()
        self.run_cadence_b()
        self.assertEqual(self.in_a().cobranza_risk, "high")
        self.assertEqual(self.in_b().cobranza_risk, "low")
        self.assertLess(self.in_a().cobranza_pay_probability,
                        self.in_b().cobranza_pay_probability)
        # Running one company's cadence again does not flip the other's.
        self.run_cadence()
        self.assertEqual(self.in_b().cobranza_risk, "low")
        self.run_cadence_b()
        self.assertEqual(self.in_a().cobranza_risk, "high")
        # An override in B stays in B, and the search follows each company's value.
        self.in_b().cobranza_risk_manual = "medium"
        self.assertEqual((self.in_a().cobranza_risk, self.in_b().cobranza_risk),
                         ("high", "medium"))
        Partner = self.env["res.partner"]
        self.assertIn(self.customer, Partner.with_company(self.company).search(
            [("cobranza_risk", "=", "high")]))
        self.assertNotIn(self.customer, Partner.with_company(self.company_b).search(
            [("cobranza_risk", "=", "high")]))
        # The invoices show the probability of their own company.
        moves = self.env["account.move"].search([("partner_id", "=", self.customer.id)])
        for move in moves:
            self.assertEqual(move.cobranza_pay_probability,
                             move.commercial_partner_id.with_company(move.company_id)
                             .cobranza_pay_probability)

    def test_the_frequency_cap_counts_the_companys_own_messages(self):
        # Company A sent the customer two business messages this week: A's cap (2) is spent.
        for day in (2, 1):
            message = self.env["cobranza.message"].sudo().create({
                "partner_id": self.customer.id, "company_id": self.company.id,
                "channel": "whatsapp", "state": "queued", "account_id": self.wa_account.id,
            })
            message._set_sending(account_id=self.wa_account.id)
            message._set_sent(f"wamid.CAP{day}", sent_at=NOW - datetime.timedelta(days=day))
            self.env.cr.execute("UPDATE cobranza_message SET create_date = %s WHERE id = %s",
                                (NOW - datetime.timedelta(days=day), message.id))
        self._invoice(self.customer, 400.0, days_overdue=4)
        self.invoice_in_b(400.0, days_overdue=4)
        self.assertEqual(self.run_cadence()["messages"], 0)
        self.assertEqual(self.run_cadence_b()["messages"], 1)

    def test_a_hand_off_by_the_cadence_stays_in_its_company(self):
        # The cadence's hand-off level (a person calls) reached in A only.
        handoff_level = self.levels.filtered("handoff")[:1]
        self.assertTrue(handoff_level, "the default cadence has a hand-off level")
        move_a = self._invoice(self.customer, 900.0, days_overdue=handoff_level.offset_days)
        move_b = self.invoice_in_b(900.0, days_overdue=4)
        self.run_cadence()
        self.assertTrue(move_a.cobranza_handoff)
        self.assertEqual(self.run_cadence_b()["messages"], 1)
        self.assertFalse(move_b.cobranza_handoff)

    def test_collector_and_work_queue_per_company(self):
        collector_b = self.env["res.users"].sudo().create({
            "name": "Beto B", "login": "beto_b", "company_id": self.company_b.id,
            "company_ids": [Command.set(self.company_b.ids)],
            "group_ids": [Command.set([self.env.ref("base.group_user").id,
                                      self.env.ref("cobranza_whatsapp.group_cobranza_user").id])],
        })
        self.in_b().cobranza_collector_id = collector_b
        self.assertFalse(self.in_a().cobranza_collector_id)
        self.assertEqual(self.customer._cobranza_collector(self.company_b), collector_b)
        self.assertNotEqual(self.customer._cobranza_collector(self.company), collector_b)
        self._invoice(self.customer, 30000.0, days_overdue=95)
        self.run_cadence()
        move_b = self.invoice_in_b(100.0, days_overdue=2)
        self.run_cadence_b()
        move_b.sudo().cobranza_disputed = True
        items = self.work_items(self.customer)
        item_b = items.filtered(lambda i: i.company_id == self.company_b)
        self.assertEqual(item_b.collector_id, collector_b)
        self.assertEqual(item_b.risk, self.in_b().cobranza_risk)
        for item in items - item_b:
            self.assertEqual(item.risk, "high")

    def test_the_customer_form_shows_the_current_companys_values(self):
        self.in_b().write({"cobranza_optout_date": NOW, "cobranza_optout_reason": "B only"})
        user = self.env.user
        partner_a = self.customer.with_user(user).with_context(
            allowed_company_ids=[self.company.id, self.company_b.id])
        partner_b = self.customer.with_user(user).with_context(
            allowed_company_ids=[self.company_b.id, self.company.id])
        values_a = partner_a.web_read({"cobranza_consent": {}, "cobranza_optout_reason": {}})
        values_b = partner_b.web_read({"cobranza_consent": {}, "cobranza_optout_reason": {}})
        self.assertEqual((values_a[0]["cobranza_consent"], values_a[0]["cobranza_optout_reason"]),
                         ("optin", False))
        self.assertEqual((values_b[0]["cobranza_consent"], values_b[0]["cobranza_optout_reason"]),
                         ("optout", "B only"))
