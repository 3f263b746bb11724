from datetime import date, datetime
from decimal import Decimal

from odoo.addons.cobranza_whatsapp.tools import formatting
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestFormatAmount(BaseCase):
    def test_amounts_as_customers_read_them(self):
        cases = (
            (Decimal("1250"), "PEN", "es_PE", "S/ 1,250.00"),
            (Decimal("1250"), "MXN", "es_MX", "$1,250.00 MXN"),
            (1250.0, "EUR", "es_ES", "1.250,00 €"),
            (1250000, "COP", "es_CO", "$ 1.250.000,00 COP"),
            (1250, "USD", "en_US", "$1,250.00 USD"),
            (1250, "USD", "es_EC", "$1.250,00 USD"),
            (1250, "ARS", "es_AR", "$ 1.250,00 ARS"),
            (1250, "CLP", "es_CL", "$1.250 CLP"),
            (1250, "USD", "es_PE", "USD 1,250.00"),
            (1250, "DOP", "es_DO", "RD$1,250.00"),  # a "$" with letters is unambiguous
            (1250, "BRL", "pt_BR", "R$ 1.250,00"),
        )
        for amount, currency, locale, expected in cases:
            with self.subTest(currency=currency, locale=locale):
                self.assertEqual(formatting.format_amount(amount, currency, locale), expected)

    def test_a_currency_foreign_to_the_locale_keeps_its_own_sign(self):
        """Reported: "PEN5.470,19" for a Chilean customer billed in soles."""
        self.assertEqual(formatting.format_amount(5470.19, "PEN", "es_CL", symbol="S/"),
                         "S/ 5.470,19")
        self.assertEqual(formatting.format_amount(5470.19, "PEN", "es_PE", symbol="S/"),
                         "S/ 5,470.19")
        self.assertEqual(formatting.format_amount(1250, "EUR", "es_ES", symbol="€"),
                         "1.250,00 €")
        self.assertEqual(formatting.format_amount(1250, "EUR", "es_PE", symbol="€"),
                         "€ 1,250.00")
        # Without Odoo's sign, Babel's ISO code stays (unambiguous, if less friendly).
        self.assertEqual(formatting.format_amount(5470.19, "PEN", "es_CL"), "PEN5.470,19")
        # A dollar sign still says which dollar.
        self.assertEqual(formatting.format_amount(100, "USD", "es_CL", symbol="$"),
                         "US$100,00")

    def test_a_value_ending_with_a_period_before_the_texts_own(self):
        body = "Gracias por su pago a {{1}}. Atentamente, {{2}}"
        self.assertEqual(formatting.fit_to_text(body, "{{1}}", "Andina S.A.C."), "Andina S.A.C")
        self.assertEqual(formatting.fit_to_text(body, "{{2}}", "Andina S.A.C."),
                         "Andina S.A.C.")
        self.assertEqual(formatting.fit_to_text(body, "{{1}}", "Andina SAC"), "Andina SAC")

    def test_no_breaking_spaces_survive(self):
        for currency, locale in (("PEN", "es_PE"), ("EUR", "es_ES"), ("CRC", "es_CR")):
            with self.subTest(currency=currency):
                text = formatting.format_amount(1234567.89, currency, locale)
                self.assertNotIn("\u00a0", text)
                self.assertNotIn("\u202f", text)
        self.assertEqual(formatting.format_amount(1250, "CRC", "es_CR"), "₡1 250,00")

    def test_rounds_half_up_like_invoices(self):
        self.assertEqual(formatting.format_amount(2.675, "PEN", "es_PE"), "S/ 2.68")
        self.assertEqual(formatting.format_amount(Decimal("0.125"), "PEN", "es_PE"), "S/ 0.13")
        self.assertEqual(formatting.format_amount(1250.5, "CLP", "es_CL"), "$1.251 CLP")

    def test_unknown_locale_degrades(self):
        self.assertEqual(formatting.format_amount(1250, "PEN", "es_XX"), "1.250,00 PEN")
        self.assertEqual(formatting.format_amount(1250, "PEN", None), "1.250,00 PEN")


@tagged("post_install", "-at_install")
class TestFormatDate(BaseCase):
    def test_spanish_dates(self):
        day = date(2026, 12, 15)
        self.assertEqual(formatting.format_date(day, "es_PE"), "15 de diciembre de 2026")
        self.assertEqual(formatting.format_date(day, "es_MX", "long"), "15 de diciembre de 2026")
        self.assertEqual(formatting.format_date(day, "es_ES", "short"), "15/12/26")
        self.assertEqual(
            formatting.format_date(day, "es_PE", "full"), "martes, 15 de diciembre de 2026"
        )
        self.assertIn("dic", formatting.format_date(day, "es_PE", "medium"))

    def test_datetime_is_its_date(self):
        self.assertEqual(
            formatting.format_date(datetime(2026, 12, 15, 23, 59), "es_CO"),
            "15 de diciembre de 2026",
        )


@tagged("post_install", "-at_install")
class TestOdooLangToLocale(BaseCase):
    def test_mapping(self):
        cases = (
            ("es_PE", None, "es_PE"),
            ("es_419", "MX", "es_MX"),
            ("es_419", None, "es_419"),
            ("es_ES", None, "es_ES"),
            ("es_ES", "PE", "es_ES"),  # an explicit territory is the customer's choice
            ("es", "CO", "es_CO"),
            (None, None, "es"),
            (None, "PE", "es_PE"),
            ("en_US", "MX", "en_US"),
            ("pt_BR", "BR", "pt_BR"),
            ("sr@latin", "RS", "sr_Latn_RS"),
            ("es-AR", None, "es_AR"),
            ("xx_YY", None, "es"),
        )
        for lang, country, expected in cases:
            with self.subTest(lang=lang, country=country):
                self.assertEqual(formatting.odoo_lang_to_locale(lang, country), expected)

    def test_result_formats(self):
        locale = formatting.odoo_lang_to_locale("es_419", "PE")
        self.assertEqual(formatting.format_amount(1250, "PEN", locale), "S/ 1,250.00")


@tagged("post_install", "-at_install")
class TestRenderBody(BaseCase):
    def test_positional_replacement(self):
        body = "Hola {{1}}, su factura {{2}} vence el {{3}}. Gracias, {{1}}."
        self.assertEqual(
            formatting.render_body(body, ["Ana", "F001-23", "15 de diciembre de 2026"]),
            "Hola Ana, su factura F001-23 vence el 15 de diciembre de 2026. Gracias, Ana.",
        )

    def test_values_are_not_rendered_again(self):
        self.assertEqual(formatting.render_body("{{1}} {{2}}", ["{{2}}", "x"]), "{{2}} x")

    def test_missing_value_names_the_placeholder(self):
        with self.assertRaisesRegex(ValueError, r"\{\{3\}\}"):
            formatting.render_body("{{1}} {{3}}", ["a", "b"])
        with self.assertRaisesRegex(ValueError, r"\{\{0\}\}"):
            formatting.render_body("{{0}}", ["a"])

    def test_other_braces_are_left_alone(self):
        self.assertEqual(formatting.render_body("{{ name }} {{1}}", ["x"]), "{{ name }} x")
        self.assertEqual(formatting.render_body("", []), "")
