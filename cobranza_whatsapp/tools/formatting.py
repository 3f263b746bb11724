"""Amounts, dates and template previews as the customer reads them.

WhatsApp template parameters are plain text, so amounts and dates are formatted here, once,
with Babel's locale data rather than the company's own number settings: the customer's
locale decides, not the user's who runs the cadence.
"""

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError, localedata
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, get_currency_precision, get_currency_symbol

from .i18n import _lt

# Babel separates with no-break spaces (U+00A0, and U+202F in newer CLDR data). Meta counts
# them as characters like any other and some clients show them as boxes: plain spaces
# travel everywhere.
_NO_BREAK_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " "})

_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")

FALLBACK_LOCALE = "es"


def _plain(text):
    return text.translate(_NO_BREAK_SPACES)


def _locale(locale):
    """A Babel locale from a code, degrading to its language and then to Spanish.

    Partners carry languages Babel may not know (a custom ``es_XX``); a reminder must still
    go out rather than fail on formatting.
    """
    code = (locale or "").replace("-", "_")
    for candidate in (code, code.split("_")[0]):
        if not candidate:
            continue
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def format_amount(amount: Decimal | float | int, currency_code: str, locale: str | None,
                  symbol: str | None = None) -> str:
    """The amount as the customer's locale writes it, unambiguous about the currency.

    Rules, in order:

    * Babel's pattern for the locale and currency (Babel 2.10 as pinned by Odoo 19), so
      ``("PEN", "es_PE")`` is ``S/ 1,250.00`` and ``("EUR", "es_ES")`` is ``1.250,00 €``.
    * Decimals are the currency's ISO digits (COP keeps its two decimals even though people
      often drop them), rounded half-up like Odoo's invoices, not Babel's half-even.
    * When the symbol shown is a bare ``$``, the ISO code follows (``$1,250.00 MXN``,
      ``$ 1.250,00 COP``, ``$1,250.00 USD``): a dozen currencies share that sign, and a
      customer who reads a peso amount as dollars pays the wrong amount.
    * Where the locale has no sign of its own for the currency (Babel writes ``PEN5.470,19``
      for soles in Chile), ``symbol`` (the currency's own, as Odoo keeps it) is written
      with the locale's separators: ``S/ 5.470,19``.
    * No-break spaces become plain spaces.
    """
    babel_locale = _locale(locale)
    code = (currency_code or "").upper()
    digits = get_currency_precision(code)
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    value = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = _plain(format_currency(value, code, locale=babel_locale))
    shown = get_currency_symbol(code, babel_locale)
    if symbol and shown == code and symbol != code:
        sign = re.escape(symbol)
        text = text.replace(code, symbol)
        text = re.sub(rf"{sign}(?=[\d-])", f"{symbol} ", text)
        text = re.sub(rf"(?<=\d){sign}", f" {symbol}", text)
        shown = symbol
    if shown == "$":
        text = f"{text} {code}"
    return text


def fit_to_text(text: str, placeholder: str, value: str) -> str:
    """`value` as it reads where `placeholder` stands in `text`: a value ending with a
    period before a period of the text loses its own ("… S.A.C." + "." is not "S.A.C..")."""
    if value.endswith(".") and f"{placeholder}." in (text or ""):
        return value[:-1]
    return value


def format_date(d: date | datetime, locale: str | None, style: str = "long") -> str:
    """A date in the customer's language, e.g. ``15 de diciembre de 2026`` for es_PE.

    ``style`` is one of Babel's ``short``, ``medium``, ``long``, ``full``, or a CLDR pattern.
    """
    if isinstance(d, datetime):
        d = d.date()
    return _plain(babel_format_date(d, format=style, locale=_locale(locale)))


def odoo_lang_to_locale(lang_code: str | None, country_code: str | None) -> str:
    """The Babel locale to format for a partner, from their Odoo language and country.

    A language with a real territory (``es_ES``, ``es_PE``) is kept: it is what the customer
    chose, and what Odoo itself formats with. A language without one (``es``, or the
    regional ``es_419``) takes the customer's country when Babel knows that pair, so a
    Mexican partner in "Spanish (Latin America)" gets Mexican formats. No language at all is
    Spanish, the language of the customers this addon collects from.
    """
    lang, _sep, modifier = (lang_code or "").strip().replace("-", "_").partition("@")
    country = (country_code or "").strip().upper()
    parts = lang.split("_") if lang else [FALLBACK_LOCALE]
    language = parts[0].lower()
    if modifier == "latin":  # Odoo's sr@latin
        language = f"{language}_Latn"
    territory = parts[1] if len(parts) > 1 else ""
    candidates = []
    if len(territory) == 2 and territory.isalpha():
        candidates.append(f"{language}_{territory.upper()}")
    if country:
        candidates.append(f"{language}_{country}")
    if territory:
        candidates.append(f"{language}_{territory}")
    candidates.append(language)
    for candidate in candidates:
        if localedata.exists(candidate):
            return candidate
    return FALLBACK_LOCALE


def render_body(template_text: str, values: list) -> str:
    """The template body with ``{{1}}``..``{{n}}`` replaced, for previews and the chatter.

    Substitution is one pass, so a value that itself contains ``{{2}}`` is shown as typed.
    A placeholder without a value is an error rather than an empty gap: the same template
    would be rejected by Meta.
    """
    values = ["" if value is None else str(value) for value in values]

    def replace(match):
        index = int(match.group(1))
        if not 1 <= index <= len(values):
            raise ValueError(
                _lt("The template uses {{%(index)s}}, which has no value (%(count)s given).")
                % {"index": index, "count": len(values)}
            )
        return values[index - 1]

    return _PLACEHOLDER.sub(replace, template_text or "")
