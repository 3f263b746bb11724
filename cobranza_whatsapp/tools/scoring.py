"""A customer's risk segment and payment probability, each with its reasons.

Collectors act on these numbers (who gets the firmer message, who gets a call), so both are
deliberately simple and explainable: a segment comes with the sentences that put the
customer there, and the probability with each factor's share of the score. The weights are
hand-set priors, not fitted on data; they are ordered so that every factor moves the score in
the direction a collector expects.
"""

import math
import typing
from dataclasses import dataclass

from .i18n import _lt


class Score(typing.NamedTuple):
    """What a cadence run concludes about a customer, as stored on res.partner."""

    risk: str
    customer_type: str
    reason: str
    probability: int
    factors: str

LOW, MEDIUM, HIGH = "low", "medium", "high"
NEW, RECURRING = "new", "recurring"


@dataclass(frozen=True)
class RiskInput:
    """What we know of one customer; amounts in the company currency."""

    max_days_overdue: int
    open_amount: float
    avg_days_late: float | None  # over paid invoices; None without history
    broken_promises: int
    kept_promises: int
    paid_invoices: int
    replies: int
    messages: int


@dataclass(frozen=True)
class RiskThresholds:
    """Where the segments start; set per company since amounts depend on the currency."""

    medium_days: int = 7
    high_days: int = 30
    high_amount: float = 10000.0
    late_payer_days: float = 10.0
    broken_promises_high: int = 2


def _number(value, digits=2):
    """Whole numbers without ".0", so reasons read "10000" rather than "10000.0"."""
    value = round(float(value), digits)
    return int(value) if value.is_integer() else value


def risk_segment(
    inp: RiskInput, thr: RiskThresholds | None = None
) -> tuple[str, list[tuple[str, dict]]]:
    """The segment and every reason that applies, the weightiest first.

    Reasons are ``(template, params)`` pairs so the ORM can translate them:
    ``env._(template, **params)``. A customer is as risky as their worst signal; the other
    signals are still listed, because a collector wants the whole picture.
    """
    thr = thr or RiskThresholds()
    high, medium = [], []
    days = max(inp.max_days_overdue, 0)
    if days >= thr.high_days:
        high.append(
            (
                _lt("The oldest unpaid invoice is %(days)s days overdue (high from %(limit)s)."),
                {"days": days, "limit": thr.high_days},
            )
        )
    elif days >= thr.medium_days:
        medium.append(
            (
                _lt("The oldest unpaid invoice is %(days)s days overdue (medium from %(limit)s)."),
                {"days": days, "limit": thr.medium_days},
            )
        )
    if inp.broken_promises >= thr.broken_promises_high:
        high.append(
            (
                _lt("Broken payment promises: %(count)s (high from %(limit)s)."),
                {"count": inp.broken_promises, "limit": thr.broken_promises_high},
            )
        )
    elif inp.broken_promises > 0:
        medium.append(
            (
                _lt("Broken payment promises: %(count)s."),
                {"count": inp.broken_promises},
            )
        )
    if inp.open_amount >= thr.high_amount and days > 0:
        # A large balance alone is not a risk; a large balance that is already late is.
        reason = (
            _lt("%(amount)s is owed, above the %(limit)s threshold, and part of it is overdue."),
            {"amount": _number(inp.open_amount), "limit": _number(thr.high_amount)},
        )
        (high if days >= thr.medium_days else medium).append(reason)
    if inp.avg_days_late is not None and inp.avg_days_late >= thr.late_payer_days:
        medium.append(
            (
                _lt("Invoices were paid %(days)s days late on average (late from %(limit)s)."),
                {"days": _number(inp.avg_days_late, 1), "limit": _number(thr.late_payer_days)},
            )
        )
    if high:
        return HIGH, high + medium
    if medium:
        return MEDIUM, medium
    return LOW, [
        (
            _lt("No invoice is %(limit)s or more days overdue and no promise was broken."),
            {"limit": thr.medium_days},
        )
    ]


def customer_type(paid_invoices: int, recurring_min: int = 3) -> str:
    """A customer with a payment history is reminded differently from a first-time buyer."""
    return RECURRING if paid_invoices >= recurring_min else NEW


# Labels for the factor keys payment_probability returns, for the UI to translate.
FACTOR_LABELS = {
    "baseline": _lt("Starting point"),
    "days_overdue": _lt("Days overdue"),
    "open_amount": _lt("Amount owed"),
    "payment_history": _lt("Lateness on paid invoices"),
    "invoice_history": _lt("Invoices paid before"),
    "promises_kept": _lt("Promises kept"),
    "promises_broken": _lt("Promises broken"),
    "responsiveness": _lt("Replies to our messages"),
}

# What each factor says about the customer, in words a sales rep reads without knowing the
# model: (when it helps, when it hurts); None where the factor only ever goes one way.
FACTOR_PHRASES = {
    "days_overdue": (None, _lt("Has invoices overdue")),
    "open_amount": (None, _lt("Owes more than usual")),
    "payment_history": (None, _lt("Usually pays late")),
    "invoice_history": (_lt("Has paid invoices before"), None),
    "promises_kept": (_lt("Kept promises to pay"), None),
    "promises_broken": (None, _lt("Broke promises to pay")),
    "responsiveness": (_lt("Answers our messages"), _lt("Seldom answers our messages")),
}
# A push this strong (in log-odds) is "strong".
STRONG_FACTOR = 0.8


def plain_reasons(factors, minimum=0.05):
    """The factors as plain statements, strongest first: [(phrase, helps, strong)].

    The starting point is the model's, not the customer's: it is left out.
    """
    reasons = []
    for key, value in sorted(factors, key=lambda kv: -abs(kv[1])):
        if key == "baseline" or abs(value) < minimum:
            continue
        helps, hurts = FACTOR_PHRASES[key]
        phrase = helps if value > 0 else hurts
        if phrase is not None:
            reasons.append((phrase, value > 0, abs(value) >= STRONG_FACTOR))
    return reasons


_BASELINE = 1.5
# Silence after this many messages counts fully; after fewer it is weak evidence.
_MESSAGES_FOR_FULL_WEIGHT = 5
# Expected reply rate: above it responsiveness helps, below it hurts.
_EXPECTED_REPLY_RATE = 0.25


def _contributions(inp: RiskInput, thr: RiskThresholds) -> list[tuple[str, float]]:
    days = max(inp.max_days_overdue, 0)
    amount = max(inp.open_amount, 0.0)
    contributions = [
        ("baseline", _BASELINE),
        # Logarithmic: the first month of delay says more than the fourth.
        ("days_overdue", -1.2 * math.log1p(days / 30)),
        ("open_amount", -0.5 * math.log1p(amount / thr.high_amount)),
    ]
    if inp.avg_days_late is None:
        contributions.append(("payment_history", 0.0))
    else:
        contributions.append(
            ("payment_history", -0.7 * math.log1p(max(inp.avg_days_late, 0.0) / 10))
        )
    contributions += [
        ("invoice_history", 0.3 * math.log1p(max(inp.paid_invoices, 0))),
        ("promises_kept", 0.6 * math.log1p(max(inp.kept_promises, 0))),
        ("promises_broken", -0.9 * math.log1p(max(inp.broken_promises, 0))),
    ]
    messages = max(inp.messages, 0)
    if messages:
        rate = min(max(inp.replies, 0), messages) / messages
        weight = min(messages, _MESSAGES_FOR_FULL_WEIGHT) / _MESSAGES_FOR_FULL_WEIGHT
        contributions.append(("responsiveness", 1.2 * (rate - _EXPECTED_REPLY_RATE) * weight))
    else:
        contributions.append(("responsiveness", 0.0))
    return contributions


def payment_probability(
    inp: RiskInput, thr: RiskThresholds | None = None
) -> tuple[float, list[tuple[str, float]]]:
    """The chance the customer pays, 0..1, with each factor's contribution to the log-odds.

    The amount factor is scaled by ``thr.high_amount`` so the same customer scores alike in
    pesos and euros. Contributions add up to the logit of the returned probability.
    """
    thr = thr or RiskThresholds()
    contributions = _contributions(inp, thr)
    logit = sum(value for _key, value in contributions)
    return 1 / (1 + math.exp(-logit)), contributions
