"""The collection KPIs as plain formulas, so each one is tested on hand-computed figures.

The dashboard gathers the raw sums with a few queries and hands them here; the definitions
below are the ones the README documents. A ratio without a denominator is ``None`` (shown
as "no data"), never a misleading 0 %.
"""

from dataclasses import dataclass


def ratio(part, whole):
    """part / whole, or None when there is nothing to divide by."""
    if not whole:
        return None
    return part / whole


def recovery_rate(collected_on_overdue, overdue_at_start):
    """Share of what was overdue when the period began that was collected during it."""
    return ratio(collected_on_overdue, overdue_at_start)


def dso(receivable_at_end, credit_sales, days):
    """Days sales outstanding: receivables at the end over the period's sales, in days."""
    if not credit_sales or days <= 0:
        return None
    return receivable_at_end / credit_sales * days


def average(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return sum(values) / len(values)


@dataclass(frozen=True)
class AlertRule:
    """Notify when a KPI moves the wrong way by at least `threshold` % between two periods."""

    higher_is_better: bool
    threshold: float  # percent, relative change


def relative_change(current, previous):
    """(current - previous) / previous in %, None when either side has no data."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100


def alert_triggered(rule, current, previous):
    change = relative_change(current, previous)
    if change is None:
        return False
    worse = -change if rule.higher_is_better else change
    return worse >= rule.threshold


# === THE AUTOMATED CONVERSATION === #
# Of the customers' requests (the replies that asked for something), how they ended:
# resolved by the automation, by a person, or still waiting for one.


def automatic_resolution_rate(automatic, by_person, waiting):
    """Share of the requests the automation resolved without a person (containment)."""
    return ratio(automatic, automatic + by_person + waiting)


def reply_handoff_rate(automatic, by_person, waiting):
    """Share of the requests handed to a person, handled or still waiting."""
    return ratio(by_person + waiting, automatic + by_person + waiting)


def average_hours(total_seconds, count):
    """Average time in hours, from a total in seconds over `count` cases."""
    average_seconds = ratio(total_seconds, count)
    return None if average_seconds is None else average_seconds / 3600
