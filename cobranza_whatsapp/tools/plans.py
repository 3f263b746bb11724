"""Payment plans: instalment schedules and how payments settle them, without the ORM."""

import calendar
import datetime
from decimal import ROUND_HALF_UP, Decimal

from .i18n import _lt

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


def check_limits(total, count, first_amount, *, max_instalments, min_first_percent):
    """The reasons a plan breaks the managers' limits (empty when it is acceptable)."""
    problems = []
    if count > max_instalments:
        problems.append((_lt("At most %(max)s instalments are allowed."),
                         {"max": max_instalments}))
    first = Decimal(str(first_amount)) if first_amount is not None else \
        Decimal(str(total)) / max(count, 1)
    if total and first * 100 < Decimal(str(total)) * Decimal(min_first_percent):
        problems.append((_lt("The first instalment must be at least %(percent)s%% of the total."),
                         {"percent": min_first_percent}))
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
