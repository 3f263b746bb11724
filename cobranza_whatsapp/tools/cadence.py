"""Which collection step each customer is due for: the cadence's decisions, without the ORM.

The cadence model gathers facts with a few set-based queries per batch and hands them to
:func:`plan`; everything that decides (which level, which channel, skip or send, grouping,
pilot, frequency cap, A/B variant, escalation) lives here, so it is tested without a database.
"""

import dataclasses
import datetime
import zlib

from .i18n import _lt

WHATSAPP, SMS, EMAIL, CALL = "whatsapp", "sms", "email", "call"
# The channels a customer's opt-out closes (resolve_channel, and the sender at send time);
# e-mail, with its own unsubscribe, stays open.
OPT_OUT_CHANNELS = (WHATSAPP, SMS)

# Why a step came before its day, as the step's note and the invoice's chatter say it.
SILENCE_NOTE = _lt("No reply or payment in %(days)s days: next step sent early.")
BROKEN_NOTE = _lt("A promise or payment plan was not kept: next step sent early.")


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
    # Escalation facts (read only when the company escalates early):
    escalate_after_days: int = 0  # the reached level's "escalate after"; 0: never
    reached_on: datetime.date | None = None  # the day the invoice reached its level
    level_sent_at: datetime.datetime | None = None  # when that level's message first left
    paid_at: datetime.datetime | None = None  # the last payment recorded on the invoice
    paid_on: datetime.date | None = None  # the last payment's own date
    # The day of the latest broken promise (its promised date) or plan (its first
    # instalment) on the invoice: after the day it reached its level, it was made since.
    broken_commitment_on: datetime.date | None = None


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
    last_reply_at: datetime.datetime | None = None  # the customer's last message to us


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
    # {invoice id: (note, params)}: the invoices that come before their level's day, and why.
    escalated: dict = dataclasses.field(default_factory=dict)


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


def next_level(levels, invoice, customer):
    """The first level after the one the invoice reached that applies to the customer."""
    segment = (customer.risk, customer.customer_type)
    for level in levels:
        if invoice.reached_offset is not None and level.offset_days <= invoice.reached_offset:
            continue
        if segment in level.segments and passes_probability_gate(level, customer):
            return level
    return None


def earliest_day(level):
    """The earliest day (days overdue) an escalated level may go out: a level's text speaks
    of its day, so the due day's reminder ("vence hoy") never comes before the due date and
    an overdue notice ("venció hace N días") never before the due date has passed. A level
    before the due date may come any day before it."""
    if level.offset_days < 0:
        return None
    return min(level.offset_days, 1)


def escalation(invoice, customer, now):
    """Why the invoice's next level is due now rather than on its day, as (note, params),
    or None.

    A commitment broken since the invoice reached its level (a promise not kept, a plan
    whose instalment was missed) brings the next level forward. So does silence: the
    level says "escalate after N days" and, N days after its message left, the customer
    has neither written (anything, to this company) nor paid anything on the invoice.
    """
    broken = invoice.broken_commitment_on
    if broken and (invoice.reached_on is None or broken >= invoice.reached_on):
        return BROKEN_NOTE, {}
    days = invoice.escalate_after_days
    sent = invoice.level_sent_at
    if days <= 0 or sent is None or now - sent < datetime.timedelta(days=days):
        return None
    answered = (
        (customer.last_reply_at is not None and customer.last_reply_at > sent)
        or (invoice.paid_at is not None and invoice.paid_at > sent)
        or (invoice.paid_on is not None and invoice.paid_on >= sent.date())
    )
    return None if answered else (SILENCE_NOTE, {"days": days})


def escalated_level(levels, invoice, customer, now):
    """(level, why) when an invoice with no level due today is escalated to its next one."""
    why = escalation(invoice, customer, now)
    if why is None:
        return None, None
    level = next_level(levels, invoice, customer)
    if level is None:
        return None, None
    floor = earliest_day(level)
    if floor is not None and invoice.days_overdue < floor:
        return None, None
    return level, why


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


def plan(levels, invoices, customers, *, cap=2, daily_cap=1, pilot_percent=100, now=None):
    """Group the due invoices into one step per (customer, level).

    Returns (steps, deferred): steps are to be recorded now (sent, handed off or skipped
    with a reason); deferred counts customers left for a later run because of the
    frequency caps (`cap` a week, `daily_cap` in 24 hours), the pilot or a person owning
    the case. With `now`, an invoice whose next level is not due yet may be escalated to
    it (:func:`escalation`); every other rule applies to it as to any step.
    """
    levels = sorted(levels, key=lambda lv: (lv.offset_days, lv.id))
    by_key = {}
    deferred = 0
    for invoice in invoices:
        customer = customers.get(invoice.partner_id)
        if customer is None or invoice.blocked:
            continue
        level = target_level(levels, invoice, customer)
        why = None
        if level is None and now is not None:
            level, why = escalated_level(levels, invoice, customer, now)
        if level is None:
            continue
        key = (invoice.partner_id, level.id)
        step = by_key.get(key)
        if step is None:
            step = by_key[key] = Step(invoice.partner_id, level.id, [], None)
        step.invoice_ids.append(invoice.id)
        if why:
            step.escalated[invoice.id] = why
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
