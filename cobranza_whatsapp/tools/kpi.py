"""The collection KPIs as plain formulas, so each one is tested on hand-computed figures.

The dashboard gathers the raw sums with a few queries and hands them here; the definitions
below are the ones the README documents. A ratio without a denominator is ``None`` (shown
as "no data"), never a misleading 0 %.
"""

import math
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


# === A/B TESTS === #

# Below this many messages per variant the normal approximation is not trustworthy.
MIN_SAMPLE = 30


@dataclass(frozen=True)
class ABResult:
    rate_a: float | None
    rate_b: float | None
    z: float | None
    p_value: float | None
    winner: str | None  # "a", "b" or None while not significant


def two_proportion_test(success_a, total_a, success_b, total_b, alpha=0.05):
    """Two-sided two-proportion z-test (pooled), the textbook test for conversion rates.

    A winner is named only with enough messages on both sides and p < alpha.
    """
    rate_a = ratio(success_a, total_a)
    rate_b = ratio(success_b, total_b)
    if rate_a is None or rate_b is None:
        return ABResult(rate_a, rate_b, None, None, None)
    pooled = (success_a + success_b) / (total_a + total_b)
    variance = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if variance <= 0:
        return ABResult(rate_a, rate_b, 0.0, 1.0, None)
    z = (rate_b - rate_a) / math.sqrt(variance)
    p_value = math.erfc(abs(z) / math.sqrt(2))
    winner = None
    if min(total_a, total_b) >= MIN_SAMPLE and p_value < alpha:
        winner = "b" if z > 0 else "a"
    return ABResult(rate_a, rate_b, z, p_value, winner)
