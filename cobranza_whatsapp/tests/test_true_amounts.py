"""Amounts and dates as the customer reads them, in the message's language and the
customer's country, wherever the product writes them."""

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import format_amount

from .common import NOW, CobranzaCommon


@tagged("post_install", "-at_install")
class TestTrueAmounts(CobranzaCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.name = "Distribuidora Andina S.A.C."
        cls.pen = cls.setup_other_currency("PEN")
        cls.eur = cls.setup_other_currency("EUR")
        cls.due_template = cls.templates.filtered(lambda t: t.purpose == "due")[:1] or \
            cls.templates.filtered(lambda t: "{{4}}." in (t.body or ""))[:1]

    def rendered(self, partner, move):
        template = self.due_template
        values = template._render_values_for(partner, move, self.company)
        return template._render_text(values)

    def test_a_chilean_billed_in_soles_reads_chilean_numbers_with_the_soles_sign(self):
        chilean = self._customer("Camila Rojas", "+56 9 8765 4321", self.env.ref("base.cl"),
                                 lang="en_US")
        move = self._invoice(chilean, 5470.19, days_overdue=0, currency=self.pen)
        text = self.rendered(chilean, move)
        self.assertIn("S/ 5.470,19", text)
        self.assertNotIn("PEN", text)

    def test_a_spaniard_in_english_reads_a_spanish_template_in_spanish_formats(self):
        spaniard = self._customer("Lucía García", "+34 612 345 678", self.es, lang="en_US")
        move = self._invoice(spaniard, 1250.0, days_overdue=0, currency=self.eur)
        self.assertIn("1.250,00 €", self.rendered(spaniard, move))

    def test_a_company_name_ending_in_a_period_ends_the_sentence_once(self):
        move = self._invoice(self.customer, 100.0, days_overdue=0)
        text = self.rendered(self.customer, move)
        self.assertIn("S.A.C.", text)
        self.assertNotIn("S.A.C..", text)
        # What is sent to Meta is the same text.
        values = self.due_template._render_values_for(self.customer, move, self.company)
        self.assertIn("Distribuidora Andina S.A.C", self.due_template._render_params(values))

    def test_a_final_notice_says_what_is_overdue_not_the_whole_balance(self):
        """Reported: "su saldo de S/ 17,924.07 … tiene 40 días de atraso" when 12,049.68
        was overdue: the invoice not yet due was counted."""
        late = self._invoice(self.customer, 12049.68, days_overdue=40)
        soon = self._invoice(self.customer, 5874.39, days_overdue=-5)
        final = self.templates.filtered(lambda t: t.purpose == "final")
        self.assertTrue(final)
        with freeze_time(NOW):
            values = final._render_values_for(self.customer, late | soon, self.company)
            text = final._render_text(values)
            not_due = values["amount_not_due"]
        self.assertIn("12,049.68", text)
        self.assertNotIn("17,924.07", text)
        self.assertIn(late.name, text)
        self.assertNotIn(soon.name, text)
        self.assertIn("5,874.39", not_due)

    def test_an_sms_or_email_statement_lists_every_invoice_overdue_and_not_due_apart(self):
        """Reported: the e-mail/SMS fallback of a statement named only its first invoice."""
        late = self._invoice(self.customer, 700.0, days_overdue=10)
        soon = self._invoice(self.customer, 300.0, days_overdue=-5)
        level = self.level_by_offset[3]
        level.mail_template_id.auto_delete = False  # the sandbox "sends" it: keep it to read
        for channel in ("sms", "email"):
            message = self.env["cobranza.message"].create(
                self.env["cobranza.message"]._outbound_values(
                    self.customer, late | soon, self.company, channel=channel,
                    level_id=level.id))
            with freeze_time(NOW):
                message._send_batch()
            if channel == "sms":
                text = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)],
                                                  order="id desc", limit=1).body
            else:
                mail = self.env["mail.mail"].search([("cobranza_message_id", "=", message.id)])
                text = f"{mail.subject} {mail.body_html}"
            self.assertIn(late.name, text, channel)
            self.assertIn(soon.name, text, channel)
            self.assertIn("700.00", text, channel)  # overdue
            self.assertIn("300.00", text, channel)  # not yet due
            self.assertIn("1,000.00", text, channel)  # the total
            self.assertIn("/my/invoices", text, channel)

    def test_a_deferred_invoice_shows_its_next_step_today_not_in_the_past(self):
        move = self._invoice(self.customer, 300.0, days_overdue=5)  # +3 level not reached
        self.assertGreaterEqual(move.cobranza_next_date, self.today())

    def test_the_hand_off_activity_writes_the_amount_as_money(self):
        level = self.levels.filtered("handoff")[:1]
        self._invoice(self.customer, 17924.07, days_overdue=level.offset_days)
        self.run_cadence()
        note = str(self.customer.activity_ids[:1].note or "")
        money = format_amount(self.env, 17924.07, self.company.currency_id)
        self.assertIn(money.replace("\xa0", "&nbsp;") if "&nbsp;" in note else money, note)
