"""Phone numbers as WhatsApp needs them, and as logs may show them.

Customers' phones are typed by hand in national formats ("987 654 321", "044 55 ...",
"(11) 98765-4321"); the Cloud API wants E.164 digits, and its webhooks answer with a WhatsApp
id that for Mexico, Argentina and Brazil can differ from the number we sent to. This module
turns the first into the second and tells which ids belong to the same person.
"""

import re
from dataclasses import dataclass, field

import phonenumbers
from babel import Locale
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as Possible

from .i18n import _lt

# Types that can hold a WhatsApp account. Mexico and the US report every number as
# FIXED_LINE_OR_MOBILE, which is why that counts as mobile.
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_ACCEPTED_TYPES = _MOBILE_TYPES | {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
}

# Mexico dropped the "044"/"045" mobile and "01" long-distance prefixes in 2019 and the "1"
# after +52 in 2020, but address books still carry them and libphonenumber no longer strips
# them.
_MX_NATIONAL_PREFIX = re.compile(r"^(?:044|045|01)(\d{10})$")
_MX_OLD_MOBILE = re.compile(r"^521(\d{10})$")
_AR_MOBILE = re.compile(r"^549(\d{10})$")
_AR_PLAIN = re.compile(r"^54(\d{10})$")
# Brazil: 55 + two-digit area code + 9 + eight digits; accounts made before the ninth digit
# still have WhatsApp ids without it. Mobile subscriber numbers began with 6-9.
_BR_NINE_DIGIT = re.compile(r"^55(\d{2})9(\d{8})$")
_BR_EIGHT_DIGIT_MOBILE = re.compile(r"^55(\d{2})([6-9]\d{7})$")


@dataclass(frozen=True)
class PhoneResult:
    """What came out of a typed phone number.

    ``reason`` is the English sentence for the user; ``reason_template`` and ``reason_params``
    let the ORM translate it: ``env._(result.reason_template, **result.reason_params)``.
    """

    e164: str | None
    wa_digits: str | None
    valid: bool
    reason: str | None = None
    is_mobile: bool = False
    region: str | None = None
    reason_template: str | None = None
    reason_params: dict = field(default_factory=dict)


def _digits(text):
    return re.sub(r"\D", "", text or "")


def _country_name(region):
    if not region:
        return ""
    return Locale("en").territories.get(region, region)


def _invalid(template, **params):
    return PhoneResult(
        e164=None,
        wa_digits=None,
        valid=False,
        reason=template % params if params else template,
        reason_template=template,
        reason_params=params,
    )


def _candidates(text, region):
    """Readings of the typed text to try in order, as strings phonenumbers can parse."""
    has_plus = text.lstrip().startswith("+")
    digits = _digits(text)
    if not digits:
        return []
    if has_plus:
        return ["+" + digits]
    readings = []
    if region == "MX" and (match := _MX_NATIONAL_PREFIX.match(digits)):
        digits = match.group(1)
    if region:
        readings.append(digits)
    if digits.startswith("00"):
        readings.append("+" + digits[2:])
    calling_code = str(phonenumbers.country_code_for_region(region)) if region else ""
    if not region or digits.startswith(calling_code):
        # Already international without the "+", as WhatsApp ids and exports write them.
        readings.append("+" + digits)
    return readings


def _repair(number):
    """Rewrite the obsolete forms libphonenumber now rejects into their current number."""
    national = str(number.national_number)
    if number.country_code == 52 and len(national) == 11 and national.startswith("1"):
        return phonenumbers.parse("+52" + national[1:])
    if (
        number.country_code == 55
        and len(national) == 10
        and national[2] in "6789"
        and not phonenumbers.is_valid_number(number)
    ):
        return phonenumbers.parse("+55" + national[:2] + "9" + national[2:])
    return number


def _parse_first_valid(text, region):
    """The first valid reading, else the first reading that parsed (for the error message)."""
    first_parsed = None
    first_error = None
    for reading in _candidates(text, region):
        try:
            number = _repair(phonenumbers.parse(reading, region))
        except NumberParseException as error:
            first_error = first_error or error
            continue
        if phonenumbers.is_valid_number(number):
            return number, None, None
        first_parsed = first_parsed or number
    if first_parsed is None and first_error is None:
        first_error = NumberParseException(NumberParseException.NOT_A_NUMBER, "no digits")
    # Several numbers in one field, or an extension: take the first valid number in the text.
    for match in phonenumbers.PhoneNumberMatcher(
        text, region or "ZZ", leniency=phonenumbers.Leniency.VALID
    ):
        return match.number, None, None
    return None, first_parsed, first_error


def _reason_for_parsed(number, region):
    shown = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    number_region = phonenumbers.region_code_for_number(number) or region
    country = _country_name(number_region)
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible == Possible.INVALID_COUNTRY_CODE or not number_region:
        return _invalid(
            _lt("The number %(number)s starts with an unknown country code."), number=shown
        )
    if possible == Possible.TOO_SHORT:
        return _invalid(
            _lt("The number %(number)s is too short for %(country)s."),
            number=shown,
            country=country,
        )
    if possible == Possible.TOO_LONG:
        return _invalid(
            _lt("The number %(number)s is too long for %(country)s."), number=shown, country=country
        )
    if possible == Possible.INVALID_LENGTH:
        return _invalid(
            _lt("The number %(number)s does not have the right number of digits for %(country)s."),
            number=shown,
            country=country,
        )
    return _invalid(
        _lt("The number %(number)s is not a valid phone number in %(country)s."),
        number=shown,
        country=country,
    )


def _reason_for_error(error, text, region):
    shown = text.strip()
    kind = error.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        return _invalid(
            _lt("The number %(number)s starts with an unknown country code."), number=shown
        )
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return _invalid(
            _lt("The number %(number)s is too short for %(country)s."),
            number=shown,
            country=_country_name(region),
        )
    if kind == NumberParseException.TOO_LONG:
        return _invalid(
            _lt("The number %(number)s is too long to be a phone number."), number=shown
        )
    return _invalid(_lt("%(number)s does not look like a phone number."), number=shown)


def normalize_phone(raw, country_code):
    """Read a hand-typed phone the way a person from the customer's country would.

    The customer's country decides how a number without "+" is read; junk around the number
    ("Cel:", "(casa)", a second number) is ignored rather than rejected, because users paste
    whatever the old system held.
    """
    text = (raw or "").strip()
    region = (country_code or "").strip().upper() or None
    if region not in phonenumbers.SUPPORTED_REGIONS:
        region = None
    if not text:
        return _invalid(_lt("There is no phone number."))
    # Letters are never part of a number here: phonenumbers would read "casa" as 2272.
    cleaned = re.sub(r"[^\d+]+", " ", text).strip()
    number, parsed, error = _parse_first_valid(cleaned, region)
    if number is None:
        if not region and not cleaned.startswith(("+", "00")):
            # Read as international it would name some random country: ask for the code.
            return _invalid(
                _lt(
                    "The number %(number)s needs its country code (like +51): "
                    "the customer has no country."
                ),
                number=text,
            )
        if parsed is not None:
            return _reason_for_parsed(parsed, region)
        return _reason_for_error(error, text, region)
    number_type = phonenumbers.number_type(number)
    if number_type not in _ACCEPTED_TYPES:
        return _invalid(
            _lt(
                "The number %(number)s is a toll-free, premium-rate or shared-cost line, "
                "which cannot receive WhatsApp messages."
            ),
            number=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
        )
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return PhoneResult(
        e164=e164,
        wa_digits=e164[1:],
        valid=True,
        is_mobile=number_type in _MOBILE_TYPES,
        region=phonenumbers.region_code_for_number(number),
    )


def mask_phone(number):
    """A phone for logs: the country code and the last three digits, never the whole number.

    Short inputs are masked entirely, since three digits of a five-digit number say too much.
    """
    text = (number or "").strip()
    digits = _digits(text)
    if not digits:
        return ""
    if len(digits) < 7:
        return "*" * len(digits)
    country_code = ""
    international = text.startswith(("+", "00")) or len(digits) >= 11
    if international:
        body = digits[2:] if text.startswith("00") else digits
        for size in (1, 2, 3):
            if phonenumbers.region_code_for_country_code(int(body[:size])) != "ZZ":
                country_code = body[:size]
                break
        digits = body
    hidden = len(digits) - len(country_code) - 3
    prefix = "+" + country_code if country_code else ""
    return prefix + "*" * hidden + digits[-3:]


def _canonical_wa(digits):
    """One spelling per WhatsApp user, for comparing ids (not for sending)."""
    if match := _MX_OLD_MOBILE.match(digits):
        return "52" + match.group(1)
    if match := _AR_MOBILE.match(digits):
        return "54" + match.group(1)
    if match := _BR_NINE_DIGIT.match(digits):
        return "55" + match.group(1) + match.group(2)
    return digits


def same_whatsapp_user(a_digits, b_digits):
    """Whether two ids reach the same person, though Meta may spell it differently.

    Webhooks answer Mexican numbers as 521..., Argentine mobiles as 549... and old Brazilian
    accounts without the ninth digit, whatever number the message was sent to.
    """
    a, b = _digits(a_digits), _digits(b_digits)
    if not a or not b:
        return False
    return _canonical_wa(a) == _canonical_wa(b)


def candidate_wa_ids(digits):
    """Every spelling of one WhatsApp id, the given one first, to look a partner up by any."""
    digits = _digits(digits)
    if not digits:
        return []
    variants = [digits]
    if match := _MX_OLD_MOBILE.match(digits):
        variants.append("52" + match.group(1))
    elif digits.startswith("52") and len(digits) == 12:
        variants.append("521" + digits[2:])
    if match := _AR_MOBILE.match(digits):
        variants.append("54" + match.group(1))
    elif match := _AR_PLAIN.match(digits):
        variants.append("549" + match.group(1))
    if match := _BR_NINE_DIGIT.match(digits):
        variants.append("55" + match.group(1) + match.group(2))
    elif match := _BR_EIGHT_DIGIT_MOBILE.match(digits):
        variants.append("55" + match.group(1) + "9" + match.group(2))
    return list(dict.fromkeys(variants))
