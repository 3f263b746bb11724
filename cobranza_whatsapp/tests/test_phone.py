from typing import ClassVar

from odoo.addons.cobranza_whatsapp.tools import phone
from odoo.tests import BaseCase, tagged


@tagged("post_install", "-at_install")
class TestNormalizePhone(BaseCase):
    VALID: ClassVar[tuple] = (
        # raw, customer's country, E.164, mobile
        ("987 654 321", "PE", "+51987654321", True),
        ("+51 987-654-321", None, "+51987654321", True),
        ("51987654321", None, "+51987654321", True),  # a WhatsApp id pasted as is
        ("01 234 5678", "PE", "+5112345678", False),  # Lima landline
        ("+52 55 1234 5678", "PE", "+525512345678", True),  # the "+" beats the country
        ("55 1234 5678", "MX", "+525512345678", True),
        ("044 55 1234 5678", "MX", "+525512345678", True),  # pre-2019 mobile prefix
        ("045 55 1234 5678", "MX", "+525512345678", True),
        ("01 55 1234 5678", "MX", "+525512345678", True),  # pre-2019 long distance
        ("+52 1 55 1234 5678", None, "+525512345678", True),  # pre-2020 mobile "1"
        ("5215512345678", "MX", "+525512345678", True),
        ("300 123 4567", "CO", "+573001234567", True),
        ("9 8765 4321", "CL", "+56987654321", True),
        ("+56 9 8765 4321", None, "+56987654321", True),
        ("011 15-2345-6789", "AR", "+5491123456789", True),  # area code 0 + mobile 15
        ("+54 9 11 2345 6789", None, "+5491123456789", True),
        ("11 2345 6789", "AR", "+541123456789", False),
        ("612 34 56 78", "ES", "+34612345678", True),
        ("912 34 56 78", "ES", "+34912345678", False),
        ("00 34 612 34 56 78", "PE", "+34612345678", True),
        ("00 34 612 34 56 78", None, "+34612345678", True),
        ("0034612345678", "CO", "+34612345678", True),  # Colombia dials abroad with 005/007/009
        ("(11) 98765-4321", "BR", "+5511987654321", True),
        ("+55 11 8765 4321", None, "+5511987654321", True),  # before the ninth digit
        ("11 8765 4321", "BR", "+5511987654321", True),
        ("Cel: 987-654-321 (casa)", "PE", "+51987654321", True),
        ("987654321 / 912345678", "PE", "+51987654321", True),
        ("987654321 ext 12", "PE", "+51987654321", True),
        ("987654321", "pe", "+51987654321", True),
    )

    def test_valid_numbers(self):
        for raw, country, e164, mobile in self.VALID:
            with self.subTest(raw=raw, country=country):
                result = phone.normalize_phone(raw, country)
                self.assertTrue(result.valid, result.reason)
                self.assertEqual(result.e164, e164)
                self.assertEqual(result.wa_digits, e164[1:])
                self.assertEqual(result.is_mobile, mobile)
                self.assertIsNone(result.reason)

    def test_region_is_the_numbers_not_the_customers(self):
        self.assertEqual(phone.normalize_phone("+52 55 1234 5678", "PE").region, "MX")

    def test_too_short_names_number_and_country(self):
        result = phone.normalize_phone("123", "PE")
        self.assertFalse(result.valid)
        self.assertIsNone(result.e164)
        self.assertIsNone(result.wa_digits)
        self.assertEqual(result.reason, "The number +51 123 is too short for Peru.")
        self.assertEqual(result.reason_template % result.reason_params, result.reason)
        self.assertEqual(
            phone.normalize_phone("+51 123", None).reason,
            "The number +51 123 is too short for Peru.",
        )

    def test_too_long(self):
        result = phone.normalize_phone("9876543210123", "PE")
        self.assertFalse(result.valid)
        self.assertIn("too long for Peru", result.reason)

    def test_invalid_for_the_country(self):
        for raw, country in (("98765432", "PE"), ("+56 1234 5678", None), ("5 1234", "CO")):
            with self.subTest(raw=raw):
                result = phone.normalize_phone(raw, country)
                self.assertFalse(result.valid)
                self.assertTrue(result.reason)

    def test_national_number_without_country_asks_for_the_code(self):
        result = phone.normalize_phone("987654321", None)
        self.assertFalse(result.valid)
        self.assertIn("country code", result.reason)

    def test_unknown_country_code(self):
        result = phone.normalize_phone("+999 123 456", None)
        self.assertFalse(result.valid)
        self.assertIn("unknown country code", result.reason)

    def test_not_a_number(self):
        result = phone.normalize_phone("no tiene", "PE")
        self.assertFalse(result.valid)
        self.assertIn("does not look like a phone number", result.reason)

    def test_empty(self):
        for raw in (None, "", "   "):
            with self.subTest(raw=raw):
                result = phone.normalize_phone(raw, "PE")
                self.assertFalse(result.valid)
                self.assertEqual(result.reason, "There is no phone number.")

    def test_toll_free_lines_are_refused(self):
        for raw, country in (("0800 12345", "PE"), ("900 123 456", "ES")):
            with self.subTest(raw=raw):
                result = phone.normalize_phone(raw, country)
                self.assertFalse(result.valid)
                self.assertIn("WhatsApp", result.reason)

    def test_every_reason_template_is_translatable_with_its_params(self):
        for raw, country in (("123", "PE"), ("987654321", None), ("abc", "PE"), ("", None)):
            with self.subTest(raw=raw):
                result = phone.normalize_phone(raw, country)
                self.assertEqual(result.reason_template % result.reason_params, result.reason)


@tagged("post_install", "-at_install")
class TestMaskPhone(BaseCase):
    def test_keeps_country_code_and_last_three(self):
        self.assertEqual(phone.mask_phone("+51987654321"), "+51******321")
        self.assertEqual(phone.mask_phone("51987654321"), "+51******321")
        self.assertEqual(phone.mask_phone("5215512345678"), "+52********678")
        self.assertEqual(phone.mask_phone("+1 212 555 0123"), "+1*******123")
        self.assertEqual(phone.mask_phone("987654321"), "******321")

    def test_never_reveals_the_number(self):
        numbers = (
            "+51987654321",
            "51987654321",
            "+52 55 1234 5678",
            "0034612345678",
            "5511987654321",
            "987 654 321",
            "12345",
            "+51 123",
        )
        for number in numbers:
            with self.subTest(number=number):
                masked = phone.mask_phone(number)
                digits = "".join(c for c in number if c.isdigit())
                shown = "".join(c for c in masked if c.isdigit())
                self.assertLessEqual(len(shown), 6)
                self.assertNotIn(digits[-7:-3], masked)
                self.assertIn("*", masked)

    def test_short_numbers_are_fully_masked(self):
        self.assertEqual(phone.mask_phone("12345"), "*****")

    def test_empty(self):
        self.assertEqual(phone.mask_phone(None), "")
        self.assertEqual(phone.mask_phone(""), "")


@tagged("post_install", "-at_install")
class TestWhatsappIds(BaseCase):
    def test_mexico_old_mobile_prefix(self):
        self.assertTrue(phone.same_whatsapp_user("5215512345678", "525512345678"))
        self.assertTrue(phone.same_whatsapp_user("+52 1 55 1234 5678", "525512345678"))
        self.assertFalse(phone.same_whatsapp_user("5215512345678", "525512345679"))

    def test_brazil_ninth_digit(self):
        self.assertTrue(phone.same_whatsapp_user("5511987654321", "551187654321"))
        self.assertFalse(phone.same_whatsapp_user("5511987654321", "552187654321"))

    def test_argentina_mobile_nine(self):
        self.assertTrue(phone.same_whatsapp_user("5491123456789", "541123456789"))

    def test_other_countries_compare_digits(self):
        self.assertTrue(phone.same_whatsapp_user("+51 987 654 321", "51987654321"))
        self.assertFalse(phone.same_whatsapp_user("51987654321", "51987654322"))
        self.assertFalse(phone.same_whatsapp_user("", ""))

    def test_candidates(self):
        self.assertEqual(phone.candidate_wa_ids("525512345678"), ["525512345678", "5215512345678"])
        self.assertEqual(phone.candidate_wa_ids("5215512345678"), ["5215512345678", "525512345678"])
        self.assertEqual(phone.candidate_wa_ids("5491123456789"), ["5491123456789", "541123456789"])
        self.assertEqual(phone.candidate_wa_ids("5511987654321"), ["5511987654321", "551187654321"])
        self.assertEqual(phone.candidate_wa_ids("551187654321"), ["551187654321", "5511987654321"])
        # A Brazilian landline (subscriber starting 2-5) never had a ninth digit.
        self.assertEqual(phone.candidate_wa_ids("551123456789"), ["551123456789"])
        self.assertEqual(phone.candidate_wa_ids("51987654321"), ["51987654321"])
        self.assertEqual(phone.candidate_wa_ids(""), [])

    def test_candidates_are_all_the_same_user(self):
        for digits in ("525512345678", "5491123456789", "5511987654321", "551187654321"):
            for candidate in phone.candidate_wa_ids(digits):
                with self.subTest(digits=digits, candidate=candidate):
                    self.assertTrue(phone.same_whatsapp_user(digits, candidate))

    def test_normalized_number_matches_the_webhook_id(self):
        sent = phone.normalize_phone("55 1234 5678", "MX").wa_digits
        self.assertIn("5215512345678", phone.candidate_wa_ids(sent))
