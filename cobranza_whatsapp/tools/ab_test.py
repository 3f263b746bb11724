"""A/B tests of collection templates, as plain statistics: no ORM, tested without a database.

The design is a fixed-horizon experiment. The unit is the customer: randomised once per
experiment (:func:`odoo.addons.cobranza_whatsapp.tools.cadence.ab_variant`) and counted
once, whatever the number of messages. The primary metric is payment: a customer converts
when the invoices of their first message of the experiment are paid within the conversion
window. Replies are shown, never decide.

The minimum sample per variant and the horizon are fixed when the experiment starts, and
the test is evaluated once, the first time both are reached. Looking at the p-value every
day and stopping at the first p < 0.05 would make a false winner far likelier than 5 %,
so no verdict exists before that moment.
"""

import datetime
import math
from dataclasses import dataclass

from .kpi import ratio

# Below this many customers per variant the normal approximation is not trustworthy:
# no design may ask for less.
MIN_SAMPLE = 30
DEFAULT_MIN_SAMPLE = 200
DEFAULT_HORIZON_DAYS = 28
ALPHA = 0.05

NO_DIFFERENCE = "none"


@dataclass(frozen=True)
class ABResult:
    rate_a: float | None
    rate_b: float | None
    z: float | None
    p_value: float | None
    winner: str | None  # "a", "b" or None while not significant


@dataclass(frozen=True)
class Design:
    """What is fixed before the first customer is counted."""

    min_sample: int = DEFAULT_MIN_SAMPLE  # customers per variant
    horizon_days: int = DEFAULT_HORIZON_DAYS
    alpha: float = ALPHA


@dataclass(frozen=True)
class Counts:
    """Customers per variant, and how many of them paid or replied."""

    customers_a: int = 0
    customers_b: int = 0
    paid_a: int = 0
    paid_b: int = 0
    replied_a: int = 0
    replied_b: int = 0

    @property
    def smallest(self):
        return min(self.customers_a, self.customers_b)


@dataclass(frozen=True)
class Decision:
    result: str  # "a", "b" or NO_DIFFERENCE
    payments: ABResult
    replies: ABResult


def two_proportion_test(success_a, total_a, success_b, total_b, alpha=ALPHA):
    """Two-sided two-proportion z-test (pooled), the textbook test for conversion rates.

    A winner is named only with enough units on both sides and p < alpha; when the test
    may be read at all is :func:`decide`'s business.
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


def decision_date(start, design):
    """The earliest moment the test may be read: the horizon after its start."""
    return start + datetime.timedelta(days=design.horizon_days)


def is_due(design, start, now, counts):
    """True once both the horizon and the minimum sample per variant are reached."""
    return now >= decision_date(start, design) and counts.smallest >= design.min_sample


def decide(design, counts):
    """The one reading of the test, on payments; replies are reported beside it.

    Called before it is due it refuses: a verdict read early is the peeking the fixed
    design forbids.
    """
    if counts.smallest < design.min_sample:
        raise ValueError("The minimum sample per variant is not reached yet.")
    payments = two_proportion_test(counts.paid_a, counts.customers_a,
                                   counts.paid_b, counts.customers_b, design.alpha)
    replies = two_proportion_test(counts.replied_a, counts.customers_a,
                                  counts.replied_b, counts.customers_b, design.alpha)
    return Decision(payments.winner or NO_DIFFERENCE, payments, replies)
