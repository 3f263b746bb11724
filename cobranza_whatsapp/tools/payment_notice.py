"""The payment webhook's body: validated into plain values before anything is stored.

Banks, wallets and aggregators post JSON; a body that is not what the README documents is
answered 400 with a sentence that says what is wrong, and nothing is stored.
"""

import datetime
import decimal
import re

from .i18n import _lt

MAX_INVOICES = 50
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class NoticeError(ValueError):
    """The body is malformed; the message is safe to return to the sender."""


def _check_storable(value, key):
    """JSON can carry a NUL or half a surrogate pair; PostgreSQL text cannot."""
    try:
        value.encode("utf-8")  # raises on a lone surrogate
        storable = "\x00" not in value
    except UnicodeEncodeError:
        storable = False
    if not storable:
        raise NoticeError(_lt("Field '%(field)s' contains characters that are not text.")
                          % {"field": key})
    return value


def _text(body, key, limit, required=False):
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise NoticeError(_lt("Field '%(field)s' is required.") % {"field": key})
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise NoticeError(_lt("Field '%(field)s' must be a string.") % {"field": key})
    value = str(value).strip()
    if len(value) > limit:
        raise NoticeError(_lt("Field '%(field)s' is longer than %(limit)s characters.")
                          % {"field": key, "limit": limit})
    return _check_storable(value, key)


def parse_amount(value):
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise NoticeError(_lt("Field 'amount' must be a decimal number."))
    try:
        amount = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise NoticeError(_lt("Field 'amount' must be a decimal number.")) from None
    if not amount.is_finite() or amount <= 0:
        raise NoticeError(_lt("Field 'amount' must be a positive number."))
    if amount.as_tuple().exponent < -6 or amount > decimal.Decimal("1e12"):
        raise NoticeError(_lt("Field 'amount' is out of range."))
    return amount


def parse_notification(body):
    """Return the notification as plain values, or raise NoticeError."""
    if not isinstance(body, dict):
        raise NoticeError(_lt("The body must be a JSON object."))
    event_id = _text(body, "id", 255, required=True)
    invoices = body.get("invoice")
    if isinstance(invoices, str):
        invoices = [invoices]
    if not isinstance(invoices, list) or not invoices:
        raise NoticeError(_lt("Field 'invoice' must be an invoice number or a list of them."))
    if len(invoices) > MAX_INVOICES:
        raise NoticeError(_lt("Field 'invoice' lists too many invoices."))
    names = []
    for name in invoices:
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise NoticeError(_lt("Field 'invoice' must contain invoice numbers."))
        _check_storable(name, "invoice")
        if name.strip() not in names:
            names.append(name.strip())
    if "amount" not in body:
        raise NoticeError(_lt("Field '%(field)s' is required.") % {"field": "amount"})
    amount = parse_amount(body["amount"])
    currency = _text(body, "currency", 3, required=True).upper()
    if not CURRENCY_RE.match(currency):
        raise NoticeError(_lt("Field 'currency' must be an ISO 4217 code such as PEN."))
    raw_date = _text(body, "date", 32, required=True)
    try:
        date = datetime.date.fromisoformat(raw_date[:10])
    except ValueError:
        raise NoticeError(_lt("Field 'date' must be an ISO date (YYYY-MM-DD).")) from None
    payer = body.get("payer") or {}
    if not isinstance(payer, dict):
        raise NoticeError(_lt("Field 'payer' must be an object."))
    return {
        "id": event_id,
        "invoices": names,
        "amount": amount,
        "currency": currency,
        "date": date,
        "reference": _text(body, "reference", 255),
        "journal": _text(body, "journal", 32),
        "payer_name": _text(payer, "name", 255),
        "payer_phone": _text(payer, "phone", 64),
        "payer_document": _text(payer, "document", 64),
    }


def date_problem(date, earliest, today):
    """Why a payment date cannot be true, or None: a bank does not pay an invoice before
    it was issued (``earliest``, the invoices' first date) nor in the future (``today``,
    the company's). A year 1 or 2099 is a typo or a forgery, for a person to see."""
    if date > today:
        return "future"
    if earliest and date < earliest:
        return "before_invoice"
    return None
