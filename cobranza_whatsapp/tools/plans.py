"""Payment plans: instalment schedules and how payments settle them, without the ORM."""

import calendar
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton

from .i18n import _lt
from .intent import normalize

INTERVALS = {"weekly": 7, "biweekly": 14, "monthly": None}


def _add_months(day, months):
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def build_schedule(total, count, first_date, interval="monthly", first_amount=None,
                   digits=2):
    """Split `total` into `count` instalments; the last one absorbs the rounding."""
    if count < 1:
        raise ValueError(_lt("A payment plan needs at least one instalment."))
    quantum = Decimal(1).scaleb(-digits)
    total = Decimal(str(total)).quantize(quantum, ROUND_HALF_UP)
    if first_amount is not None:
        first = Decimal(str(first_amount)).quantize(quantum, ROUND_HALF_UP)
        if first <= 0 or first > total:
            raise ValueError(_lt("The first instalment must be positive and at most the total."))
        rest_count = count - 1
        rest = total - first
        amounts = [first]
    else:
        rest_count, rest, amounts = count, total, []
    if rest_count:
        each = (rest / rest_count).quantize(quantum, ROUND_HALF_UP)
        amounts += [each] * (rest_count - 1) + [rest - each * (rest_count - 1)]
    elif rest:
        raise ValueError(_lt("A single instalment must cover the whole amount."))
    dates = []
    for index in range(count):
        if INTERVALS[interval] is None:
            dates.append(_add_months(first_date, index))
        else:
            dates.append(first_date + datetime.timedelta(days=INTERVALS[interval] * index))
    return list(zip(dates, amounts, strict=True))


def minimum_first_instalment(total, count, min_first_percent, digits=2):
    """The first instalment of an equal split, or the managers' minimum share of the total
    when an equal split falls short of it (None: equal instalments do)."""
    quantum = Decimal(1).scaleb(-digits)
    total = Decimal(str(total))
    if not count or total <= 0 or Decimal(min_first_percent) * count <= 100:
        return None
    first = (total * Decimal(min_first_percent) / 100).quantize(quantum, ROUND_HALF_UP)
    return min(first, total)


def check_limits(total, count, first_amount, *, max_instalments, min_first_percent,
                 smallest_amount=None, min_instalment=0):
    """The reasons a plan breaks the managers' limits (empty when it is acceptable).
    `min_instalment` (in the plan's currency) is the least any instalment may be."""
    problems = []
    if count > max_instalments:
        problems.append((_lt("At most %(max)s instalments are allowed."),
                         {"max": max_instalments}))
    first = Decimal(str(first_amount)) if first_amount is not None else \
        Decimal(str(total)) / max(count, 1)
    if total and first * 100 < Decimal(str(total)) * Decimal(min_first_percent):
        problems.append((_lt("The first instalment must be at least %(percent)s%% of the total."),
                         {"percent": min_first_percent}))
    if min_instalment and smallest_amount is not None and \
            Decimal(str(smallest_amount)) < Decimal(str(min_instalment)):
        problems.append((_lt("No instalment may be less than %(amount)s."),
                         {"amount": min_instalment}))
    return problems


def settle(schedule, paid, today, grace_days=3):
    """Which instalments the payments so far cover, and whether the plan is broken.

    Payments settle instalments in date order. Returns (states, broken, completed) where
    states[i] is "paid", "pending" or "late"; the plan is broken when an instalment is
    more than `grace_days` past its date and not covered.
    """
    remaining = Decimal(str(paid))
    states = []
    broken = False
    for date, amount in schedule:
        amount = Decimal(str(amount))
        if remaining >= amount:
            remaining -= amount
            states.append("paid")
        elif date + datetime.timedelta(days=grace_days) < today:
            states.append("late")
            broken = True
        else:
            states.append("pending")
    completed = all(state == "paid" for state in states)
    return states, broken, completed


# === OFFERS IN THE CONVERSATION === #

# The instalment counts a customer chooses from when asking for a plan in the conversation
# (one reply button each: Meta allows three), as far as the company's maximum allows.
OFFERED_COUNTS = (2, 3, 4)
# A reply button's id: "PLAN:<count>:<plan id>" (the intent rules read "PLAN" as a plan
# request and hand the rest on as its reference).
OPTION_CODE = "PLAN"

_COUNT_WORDS = {
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "once": 11, "doce": 12, "dieciocho": 18, "veinticuatro": 24,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18,
}
_COUNT = r"(\d{1,2}|" + "|".join(sorted(_COUNT_WORDS, key=len, reverse=True)) + r")"
# What a count of instalments is counted in ("12 cuotas", "a 6 meses", "three payments").
_PARTS = (r"(?:cuotas?|partes|pagos|abonos|mensualidades|meses|quincenas|letras|armadas|"
          r"parcialidades|plazos|installments?|instalments?|payments?|months|parts)")
# "Me lo fraccionan en 3?", "dividirlo en dos", "pagar en 4": a count after a word of
# splitting or paying, and not a time ("en 3 días") or an amount ("en 3 mil").
_SPLIT = (r"(?:fraccion\w*|divid\w*|partir\w*|dividir\w*|pag\w*|cuotas?|plan|split|pay)")
_NOT_A_COUNT = (r"(?! ?(?:dias?|days?|semanas?|weeks?|horas?|hours?|mil|soles|sol|pesos|"
                r"dolares|dollars|euros|por ciento|de (?:enero|febrero|marzo|abril|mayo|junio|"
                r"julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre))\b|[/.,:-]\d)")


def _count_of(word):
    return int(word) if word.isdigit() else _COUNT_WORDS.get(word)


def requested_instalments(text):
    """The number of instalments a customer asks for ("¿puedo pagar en 12 cuotas?",
    "me lo fraccionan en 3?", "a 6 meses"), or None when they name none (one instalment
    is not a plan)."""
    t = normalize(text or "")  # read as the intent rules read it
    match = re.search(rf"\b{_COUNT} {_PARTS}\b", t) or \
        re.search(rf"\b{_SPLIT}(?: \w+){{0,3}} (?:en|a|in|into) {_COUNT}\b{_NOT_A_COUNT}", t)
    count = _count_of(match.group(1)) if match else None
    return count if count and count >= 2 else None


def offer_counts(requested, max_instalments, counts=OFFERED_COUNTS):
    """The instalment counts to offer: the usual ones the maximum allows, or, when the
    customer names a count within it that is not among them, that count and the ones just
    below. Empty when the customer asks for more than the maximum (a person decides)."""
    allowed = tuple(c for c in counts if c <= max_instalments)
    if requested is None:
        return allowed
    if requested > max_instalments:
        return ()
    if requested in allowed:
        return allowed
    return tuple(range(max(2, requested - len(counts) + 1), requested + 1))


def plan_options(total, counts, first_date, *, interval="monthly", min_first_percent=0,
                 min_instalment=0, digits=2):
    """The schedule of each count within the limits: ([(count, schedule)], {count:
    problems}) where a count breaking a limit (an instalment below the minimum) is left
    out with its reasons. The first instalment is the managers' minimum share when an
    equal split falls short of it."""
    options, refused = [], {}
    for count in counts:
        first = minimum_first_instalment(total, count, min_first_percent, digits=digits)
        try:
            schedule = build_schedule(total, count, first_date, interval, first, digits=digits)
        except ValueError as error:
            refused[count] = [(str(error), {})]
            continue
        amounts = [amount for _date, amount in schedule]
        problems = check_limits(total, count, amounts[0], max_instalments=count,
                                min_first_percent=min_first_percent,
                                smallest_amount=min(amounts), min_instalment=min_instalment)
        if problems or total <= 0:
            refused[count] = problems or [(_lt("There is nothing to pay in instalments."), {})]
        else:
            options.append((count, schedule))
    return options, refused


def option_id(count, plan_id):
    """The id of the reply button choosing `count` instalments of plan `plan_id`."""
    return f"{OPTION_CODE}:{count}:{plan_id}"


def parse_option(reference):
    """(count, plan id) from the reference of a tap on an option ("3:42"), or None: the
    id comes from the customer's phone and is never trusted beyond its shape."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{1,12})\s*", str(reference or ""))
    if not match or int(match.group(1)) < 1:
        return None
    return int(match.group(1)), int(match.group(2))


def group_amounts(schedule):
    """Consecutive instalments of the same amount together: [(amount, [dates])], so that a
    customer reads "S/ 400.00 on 5/12, 5/1 and 5/2"."""
    groups = []
    for date, amount in schedule:
        amount = Decimal(str(amount))
        if groups and groups[-1][0] == amount:
            groups[-1][1].append(date)
        else:
            groups.append((amount, [date]))
    return groups


def format_day(day, locale, weekday=False):
    """A day as the customer's locale writes it briefly: "5/12" in Lima, "12/5" in New
    York; with `weekday`, "viernes 11/12" or "Friday 12/11"."""
    locale = Locale.parse(locale)
    text = format_skeleton("Md", day, locale=locale)
    if weekday:
        text = f"{babel_format_date(day, 'EEEE', locale=locale)} {text}"
    return text.replace("\u00a0", " ").replace("\u202f", " ")
