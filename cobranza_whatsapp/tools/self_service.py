"""What the automatic answers to a customer's questions say, without the ORM.

Three questions are answered inside the window the customer opened: their balance, a copy of
an invoice, and how to pay. The model (``models/cobranza_message_self_service.py``) reads
the facts from Odoo into the plain values below and hands a translator; this module decides
which invoices an answer is about, in which order, and writes its lines in the customer's
language and formats. The English sources are marked with ``_lt`` and translated by the
model's ``env._`` in the customer's language.
"""

import dataclasses
import datetime
import re
from decimal import Decimal

from . import formatting
from .i18n import _lt
from .meta_api import shorten

# Meta's limits (see tools/meta_api.py): a text message, a caption, a list's rows.
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
LIST_ROWS = 10
ROW_TITLE = 24
ROW_DESCRIPTION = 72
SECTION_TITLE = 24
# The balance lists this many invoices with their pay links; the rest are in the portal.
BALANCE_INVOICES = 10
BALANCE_CREDITS = 5
# How to pay: at most this many bank accounts, and pay links for this many invoices.
BANK_ACCOUNTS = 5
PAY_LINKS = 5
PROVIDER_METHODS = 4

# === TEXTS: English sources, translated by the model in the customer's language === #

BALANCE_INTRO = _lt("%(name)s, this is your balance with %(company)s on %(date)s:")
NOTHING_OWED = _lt("%(name)s, you have no pending invoices with %(company)s on %(date)s.")
OVERDUE = _lt("Overdue invoices")
NOT_DUE = _lt("Invoices not yet due")
INVOICE_OVERDUE = _lt("%(invoice)s: %(amount)s, overdue since %(date)s")
INVOICE_NOT_DUE = _lt("%(invoice)s: %(amount)s, due %(date)s")
INVOICE_NO_DATE = _lt("%(invoice)s: %(amount)s")
PAY_LINK = _lt("Pay: %(url)s")
CREDITS = _lt("In your favour")
CREDIT_NOTE = _lt("Credit note %(ref)s: -%(amount)s")
PAYMENT = _lt("Payment %(ref)s not yet applied: -%(amount)s")
MORE_INVOICES = _lt("And %(count)s more invoices: %(url)s")
MORE_INVOICES_PLAIN = _lt("And %(count)s more invoices.")
TOTAL = _lt("Total to pay: %(amount)s")
TOTAL_OVERDUE = _lt("Total to pay: %(amount)s (overdue: %(overdue)s)")
IN_FAVOUR = _lt("Balance in your favour: %(amount)s")

CHOOSE_INVOICE = _lt("Which invoice do you want? Choose it from the list and I will send you "
                     "its PDF.")
CHOOSE_BUTTON = _lt("Invoices")
ROW_OVERDUE = _lt("%(amount)s, overdue since %(date)s")
ROW_DUE = _lt("%(amount)s, due %(date)s")
ROW_PAID = _lt("%(amount)s, paid")
PAID = _lt("Paid invoices")
INVOICE_CAPTION = _lt("Here is your invoice %(invoice)s.")
INVOICE_CAPTION_OPEN = _lt("Here is your invoice %(invoice)s: %(amount)s to pay, due %(date)s. "
                           "Pay online: %(url)s")

HOW_TO_PAY_INTRO = _lt("You can pay %(company)s like this:")
BANK_ACCOUNTS_TITLE = _lt("Bank transfer or deposit")
BANK_ACCOUNT_NUMBER = _lt("Account %(number)s")
BANK_IBAN = _lt("IBAN %(number)s")
BANK_CLEARING = _lt("%(label)s %(number)s")
BANK_HOLDER = _lt("Holder: %(holder)s")
ONLINE_TITLE = _lt("Online, with %(methods)s")
ONLINE_TITLE_PLAIN = _lt("Online payment")
ONLINE_PAY_LINK = _lt("%(invoice)s (%(amount)s): %(url)s")
ONLINE_PORTAL = _lt("Your invoices and their pay buttons: %(url)s")
CLEARING_LABEL = _lt("Clearing number")
# What a bank's clearing (interbank) number is called where the company is.
CLEARING_LABELS = {"PE": "CCI", "MX": "CLABE", "AR": "CBU", "US": "ABA"}


@dataclasses.dataclass(frozen=True)
class Line:
    """One item of the customer's receivable: an open invoice (what is owed), or a credit
    note or a payment not yet applied (what counts in the customer's favour)."""

    kind: str  # "invoice", "credit_note", "payment"
    ref: str
    amount: Decimal  # positive; credit notes and payments count against the balance
    currency: str
    symbol: str = ""
    due: datetime.date | None = None
    pay_url: str = ""
    move_id: int | None = None
    paid: bool = False


@dataclasses.dataclass(frozen=True)
class BankAccount:
    bank: str
    number: str
    iban: bool = False
    clearing: str = ""
    clearing_label: str = ""
    currency: str = ""
    holder: str = ""


@dataclasses.dataclass(frozen=True)
class Provider:
    name: str
    methods: tuple = ()


class Writer:
    """Amounts and dates in the customer's locale, texts in their language: `translate` is
    the model's ``env._`` under the customer's language."""

    def __init__(self, locale, translate):
        self.locale = locale
        self.translate = translate

    def __call__(self, message, **params):
        return self.translate(message, **params)

    def amount(self, value, currency, symbol=""):
        return formatting.format_amount(value, currency, self.locale, symbol=symbol or None)

    def date(self, day):
        return formatting.format_date(day, self.locale, "medium")


# === WHICH INVOICES === #


def is_overdue(line, today):
    return bool(line.due) and line.due < today


def by_due_date(lines):
    """Oldest due first: the one to pay first is on top."""
    return sorted(lines, key=lambda line: (line.due or datetime.date.max, line.ref))


def totals(lines):
    """What the customer owes per currency: invoices less credit notes and payments not yet
    applied, as Odoo's receivable counts it. (currency, symbol) -> Decimal, in order."""
    result = {}
    for line in lines:
        key = (line.currency, line.symbol)
        sign = 1 if line.kind == "invoice" else -1
        result[key] = result.get(key, Decimal(0)) + sign * Decimal(str(line.amount))
    return result


_REFERENCE = re.compile(r"(?<![\w/$])(?:[A-Za-z]{1,6}[/-]?)?\d+(?:[/.-][A-Za-z]*\d+)*(?!\w)")
_NOT_A_REFERENCE = re.compile(
    r"^\s*(?:soles|sol|pesos|dolares|dólares|usd|pen|mxn|cop|clp|eur|euros|%|dias|días|de )",
    re.IGNORECASE)


def _key(text):
    """A document number as its letters and numbers, leading zeros dropped: F001-00000123,
    f001-123 and F1 123 are one invoice."""
    return tuple(str(int(part)) if part.isdigit() else part
                 for part in re.findall(r"[A-Z]+|\d+", text.upper()))


def _references(text):
    """The document numbers a customer's words may name (not amounts, dates or hours)."""
    found = []
    for match in _REFERENCE.finditer(text or ""):
        written = match.group()
        before = text[max(0, match.start() - 3):match.start()].lower()
        if _NOT_A_REFERENCE.match(text[match.end():]) or re.search(r"(?:s/|\$|€)\s*$", before):
            continue
        if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\d+[.,]\d{2}", written):
            continue  # a date, or an amount with its cents
        found.append(_key(written))
    return found


def invoices_named(text, names):
    """The invoices (`names`: id -> number) the text names by their number, whole
    ("F001-123", "INV/2026/00042") or by its last part ("la 42"). Several invoices ending
    alike are all returned: the customer chooses."""
    keys = {move_id: _key(name) for move_id, name in names.items() if name}
    named = []
    for reference in _references(text):
        exact = [i for i, key in keys.items() if key == reference]
        tail = [i for i, key in keys.items() if len(reference) < len(key)
                and key[-len(reference):] == reference and reference[-1].isdigit()]
        for move_id in exact or tail:
            if move_id not in named:
                named.append(move_id)
    return named


def invoices_to_send(named, replied, open_ids):
    """Which invoice the customer wants, and whether they must choose: the ones they named,
    else those of the message they answered, else what they owe. Returns (ids, choose)."""
    for candidates in (named, replied, open_ids):
        if candidates:
            return list(candidates), len(candidates) > 1
    return [], False


# === THE ANSWERS === #


def fit(text, limit=TEXT_LIMIT):
    """`text` on at most `limit` characters, cut at a line break (links stay whole)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 1)
    return text[:cut if cut > 0 else limit - 1].rstrip() + "…"


def _total_line(lines, today, write):
    owed = totals(lines)
    overdue = totals([line for line in lines
                      if line.kind == "invoice" and is_overdue(line, today)])
    favour = {key: -value for key, value in owed.items() if value < 0}
    due = {key: value for key, value in owed.items() if value > 0}
    parts = []
    if due:
        amount = " + ".join(write.amount(value, *key) for key, value in due.items())
        late = {key: value for key, value in overdue.items() if key in due and value > 0}
        if late:
            parts.append(write(TOTAL_OVERDUE, amount=amount, overdue=" + ".join(
                write.amount(value, *key) for key, value in late.items())))
        else:
            parts.append(write(TOTAL, amount=amount))
    if favour:
        parts.append(write(IN_FAVOUR, amount=" + ".join(
            write.amount(value, *key) for key, value in favour.items())))
    return parts


def balance_message(lines, today, write, *, name, company, portal_url=""):
    """The balance as a WhatsApp text: overdue invoices, then those not yet due, each with
    its amount left to pay, due date and pay link; credit notes and payments not yet
    applied; the total netted per currency."""
    invoices = by_due_date([line for line in lines if line.kind == "invoice"])
    credits = [line for line in lines if line.kind != "invoice"]
    date = write.date(today)
    if not invoices and not credits:
        return write(NOTHING_OWED, name=name, company=company, date=date)
    blocks = [write(BALANCE_INTRO, name=name, company=company, date=date)]
    shown = invoices[:BALANCE_INVOICES]
    for title, part in ((OVERDUE, [i for i in shown if is_overdue(i, today)]),
                        (NOT_DUE, [i for i in shown if not is_overdue(i, today)])):
        if not part:
            continue
        rows = [f"*{write(title)}*"]
        for line in part:
            amount = write.amount(line.amount, line.currency, line.symbol)
            if line.due:
                text = INVOICE_OVERDUE if is_overdue(line, today) else INVOICE_NOT_DUE
                rows.append("• " + write(text, invoice=line.ref, amount=amount,
                                         date=write.date(line.due)))
            else:
                rows.append("• " + write(INVOICE_NO_DATE, invoice=line.ref, amount=amount))
            if line.pay_url:
                rows.append("  " + write(PAY_LINK, url=line.pay_url))
        blocks.append("\n".join(rows))
    if len(invoices) > len(shown):
        more = len(invoices) - len(shown)
        blocks.append(write(MORE_INVOICES, count=more, url=portal_url) if portal_url
                      else write(MORE_INVOICES_PLAIN, count=more))
    if credits:
        rows = [f"*{write(CREDITS)}*"]
        for line in credits[:BALANCE_CREDITS]:
            text = CREDIT_NOTE if line.kind == "credit_note" else PAYMENT
            rows.append("• " + write(text, ref=line.ref, amount=write.amount(
                line.amount, line.currency, line.symbol)))
        blocks.append("\n".join(rows))
    blocks.append("\n".join(_total_line(lines, today, write)))
    return fit("\n\n".join(block for block in blocks if block))


def invoice_choice(lines, today, write):
    """The list message to choose an invoice from: (body, button, sections), overdue and
    not yet due apart, a row per invoice ("INVOICE:<id>"), at most ten."""
    lines = by_due_date(lines)[:LIST_ROWS]
    sections = []
    groups = ((OVERDUE, [line for line in lines if not line.paid and is_overdue(line, today)]),
              (NOT_DUE, [line for line in lines if not line.paid and not is_overdue(line, today)]),
              (PAID, [line for line in lines if line.paid]))
    for title, part in groups:
        if not part:
            continue
        rows = []
        for line in part:
            amount = write.amount(line.amount, line.currency, line.symbol)
            if line.paid:
                description = write(ROW_PAID, amount=amount)
            elif not line.due:
                description = amount
            else:
                description = write(ROW_OVERDUE if is_overdue(line, today) else ROW_DUE,
                                    amount=amount, date=write.date(line.due))
            rows.append((f"INVOICE:{line.move_id}", shorten(line.ref, ROW_TITLE),
                         shorten(description, ROW_DESCRIPTION)))
        sections.append((shorten(write(title), SECTION_TITLE), rows))
    if len(sections) == 1:  # one section needs no title
        sections = [("", sections[0][1])]
    return write(CHOOSE_INVOICE), shorten(write(CHOOSE_BUTTON), 20), sections


def invoice_caption(line, today, write):
    """The caption of an invoice's PDF: what is left to pay and its pay link, if open."""
    if line.paid or not line.pay_url:
        return fit(write(INVOICE_CAPTION, invoice=line.ref), CAPTION_LIMIT)
    return fit(write(INVOICE_CAPTION_OPEN, invoice=line.ref,
                     amount=write.amount(line.amount, line.currency, line.symbol),
                     date=write.date(line.due) if line.due else "-", url=line.pay_url),
               CAPTION_LIMIT)


def clearing_label(country_code):
    return CLEARING_LABELS.get((country_code or "").upper())


def bank_line(account, write):
    """A bank account as the customer copies it: bank, number (IBAN as such), the clearing
    or interbank number, the currency and the holder."""
    parts = [account.bank] if account.bank else []
    parts.append(write(BANK_IBAN if account.iban else BANK_ACCOUNT_NUMBER,
                       number=account.number))
    if account.currency:
        parts[-1] += f" ({account.currency})"
    if account.clearing:
        parts.append(write(BANK_CLEARING, label=account.clearing_label or write(CLEARING_LABEL),
                           number=account.clearing))
    if account.holder:
        parts.append(write(BANK_HOLDER, holder=account.holder))
    return "• " + " · ".join(parts)


def how_to_pay_message(write, *, company, text="", text_only=False, accounts=(),
                       providers=(), pay_lines=(), portal_url=""):
    """How to pay: the company's own text first (as its Settings say it), then, unless the
    text says it all, its bank accounts as Odoo keeps them and the online payment methods
    with the invoices' pay links. Empty when there is nothing to tell."""
    text = (text or "").strip()
    text_only = text_only and bool(text)
    blocks = [text] if text else []
    if not text_only and accounts:
        blocks.append("\n".join([f"*{write(BANK_ACCOUNTS_TITLE)}*",
                                 *(bank_line(a, write) for a in accounts[:BANK_ACCOUNTS])]))
    if providers:
        methods = []
        for provider in providers:
            for method in provider.methods[:PROVIDER_METHODS] or (provider.name,):
                if method not in methods:
                    methods.append(method)
        title = write(ONLINE_TITLE, methods=", ".join(methods)) if methods else \
            write(ONLINE_TITLE_PLAIN)
        rows = [f"*{title}*"]
        for line in by_due_date(pay_lines)[:PAY_LINKS]:
            rows.append("• " + write(ONLINE_PAY_LINK, invoice=line.ref, url=line.pay_url,
                                     amount=write.amount(line.amount, line.currency,
                                                         line.symbol)))
        if len(pay_lines) > PAY_LINKS or (not pay_lines and portal_url):
            rows.append(write(ONLINE_PORTAL, url=portal_url))
        if text_only:
            rows = rows[1:]
        if rows:
            blocks.append("\n".join(rows))
    if not blocks:
        return ""
    if not text:
        blocks.insert(0, write(HOW_TO_PAY_INTRO, company=company))
    return fit("\n\n".join(blocks))

