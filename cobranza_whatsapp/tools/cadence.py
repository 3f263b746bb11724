"""Which collection step each customer is due for: the cadence's decisions, without the ORM.

The cadence model gathers facts with a few set-based queries per batch and hands them to
:func:`plan`; everything that decides (which level, which channel, skip or send, grouping,
pilot, frequency cap, A/B variant) lives here, so it is tested without a database.
"""

import dataclasses
import zlib

from .i18n import _lt

WHATSAPP, SMS, EMAIL, CALL = "whatsapp", "sms", "email", "call"
# The channels a customer's opt-out closes (resolve_channel, and the sender at send time);
# e-mail, with its own unsubscribe, stays open.
OPT_OUT_CHANNELS = (WHATSAPP, SMS)


@dataclasses.dataclass(frozen=True)
class Level:
    id: int
    offset_days: int
    channel: str
    fallback_channel: str  # sms | email | none
    segments: frozenset  # {(risk, customer_type)}
    min_amount: float = 0.0
    handoff: bool = False
    has_template_b: bool = False
    ab_split: int = 0
    ab_experiment_id: int = 0  # the level's current A/B test, the seed of its draw
    # Only customers whose payment probability (%) is at most this get the level; 100: all.
    max_pay_probability: int = 100


@dataclasses.dataclass(frozen=True)
class Invoice:
    id: int
    partner_id: int
    days_overdue: int  # negative before the due date
    residual: float  # in company currency
    reached_offset: int | None  # offset of the highest level already reached
    blocked: bool = False  # excluded, disputed, paused, promised, handed off


@dataclasses.dataclass(frozen=True)
class Customer:
    id: int
    risk: str  # low | medium | high
    customer_type: str  # new | recurring
    consent: str  # none | optin | optout
    has_whatsapp_number: bool
    has_phone: bool
    has_email: bool
    with_collector: bool = False
    sent_last_7_days: int = 0
    # Business messages of the last 24 hours, whatever their level, purpose or channel.
    sent_last_day: int = 0
    pay_probability: float | None = None  # 0..1; None until the cadence has scored them


@dataclasses.dataclass
class Step:
    """One message (or hand-off) for one customer at one level, covering its invoices."""

    partner_id: int
    level_id: int
    invoice_ids: list
    channel: str | None  # None: the step is recorded as skipped
    amount: float = 0.0
    variant: str = "a"
    handoff: bool = False
    skip_reason: str | None = None


def in_pilot(partner_id, percent):
    """Stable per customer, so the same customers stay in the pilot run after run."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    return zlib.crc32(f"pilot:{partner_id}".encode()) % 100 < percent


def ab_variant(partner_id, experiment_id, split):
    """Variant B for `split` % of customers: the customer is the unit randomised.

    Stable for a customer within one A/B test, whatever the number of messages; seeded
    with the test, so the next test of the level draws its customers afresh.
    """
    if split <= 0:
        return "a"
    if split >= 100:
        return "b"
    seed = zlib.crc32(f"ab-test:{experiment_id}:{partner_id}".encode())
    return "b" if seed % 100 < split else "a"


def target_level(levels, invoice, customer):
    """The highest level the invoice has reached by today and not yet passed, if any.

    Levels are sorted by offset. A customer outside a level's segments simply skips it;
    an invoice found late (installed on an old backlog) goes straight to its current
    level instead of receiving every earlier reminder at once.
    """
    segment = (customer.risk, customer.customer_type)
    best = None
    for level in levels:
        if level.offset_days > invoice.days_overdue:
            break
        if segment in level.segments and passes_probability_gate(level, customer):
            best = level
    if best is None:
        return None
    if invoice.reached_offset is not None and best.offset_days <= invoice.reached_offset:
        return None
    return best


def passes_probability_gate(level, customer):
    """A gated level (say, a reminder before the due date) is for customers likely to pay late.

    A customer not scored yet passes: better one reminder too many than none.
    """
    if level.max_pay_probability >= 100 or customer.pay_probability is None:
        return True
    return customer.pay_probability * 100 <= level.max_pay_probability


def resolve_channel(level, customer):
    """The channel this customer can be reached on for this level, or (None, reason)."""
    channel = level.channel
    if channel == CALL:
        return CALL, None
    if channel == WHATSAPP:
        if customer.consent == "optin" and customer.has_whatsapp_number:
            return WHATSAPP, None
        if customer.consent == "optout":
            reason = _lt("The customer opted out of WhatsApp.")
        elif customer.consent != "optin":
            reason = _lt("No WhatsApp consent recorded.")
        else:
            reason = _lt("No valid WhatsApp number.")
        channel = level.fallback_channel
    else:
        reason = None
    if channel == SMS:
        if customer.has_phone and customer.consent != "optout":
            return SMS, None
        reason = reason or _lt("No phone number for SMS.")
        channel = EMAIL if level.channel == SMS else level.fallback_channel
        if channel == SMS:
            return None, reason
    if channel == EMAIL:
        if customer.has_email:
            return EMAIL, None
        return None, reason or _lt("No e-mail address.")
    return None, reason or _lt("No channel can reach this customer.")


def plan(levels, invoices, customers, *, cap=2, daily_cap=1, pilot_percent=100):
    """Group the due invoices into one step per (customer, level).

    Returns (steps, deferred): steps are to be recorded now (sent, handed off or skipped
    with a reason); deferred counts customers left for a later run because of the
    frequency caps (`cap` a week, `daily_cap` in 24 hours), the pilot or a person owning
    the case.
    """
    levels = sorted(levels, key=lambda lv: (lv.offset_days, lv.id))
    by_key = {}
    deferred = 0
    for invoice in invoices:
        customer = customers.get(invoice.partner_id)
        if customer is None or invoice.blocked:
            continue
        level = target_level(levels, invoice, customer)
        if level is None:
            continue
        key = (invoice.partner_id, level.id)
        step = by_key.get(key)
        if step is None:
            step = by_key[key] = Step(invoice.partner_id, level.id, [], None)
        step.invoice_ids.append(invoice.id)
        step.amount += invoice.residual
    level_by_id = {lv.id: lv for lv in levels}
    steps = []
    planned = {}
    ordered = sorted(by_key.items(),
                     key=lambda kv: (kv[0][0], -level_by_id[kv[0][1]].offset_days))
    for (partner_id, level_id), step in ordered:
        customer = customers[partner_id]
        level = level_by_id[level_id]
        if not in_pilot(partner_id, pilot_percent) or customer.with_collector:
            deferred += 1
            continue
        if planned.get(partner_id):
            # One step per customer per run: the highest level wins, the others wait.
            deferred += 1
            continue
        if step.amount < level.min_amount:
            continue
        channel, reason = resolve_channel(level, customer)
        step.handoff = level.handoff
        if channel is None and not level.handoff:
            step.skip_reason = reason
        elif channel not in (None, CALL) and (
                customer.sent_last_7_days >= cap or customer.sent_last_day >= daily_cap):
            deferred += 1
            continue
        step.channel = channel
        if channel == WHATSAPP and level.has_template_b:
            step.variant = ab_variant(partner_id, level.ab_experiment_id, level.ab_split)
        planned[partner_id] = True
        steps.append(step)
    return steps, deferred
