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


# === THE MESSAGE FUNNEL: sent -> read -> clicked -> paid === #

# Only WhatsApp tells when a message was read (SMS reports delivery, e-mail not even that).
READ_CHANNELS = frozenset({"whatsapp"})


@dataclass(frozen=True)
class FunnelRow:
    """One line of the funnel (a template on a channel, a channel, the total): each step
    counted in messages, and its share of the messages sent. A message counts as clicked
    once however often its pay link was opened, and as paid when its invoices received a
    payment within the report's conversion days. Reads are a share of the messages sent
    on a channel that reports reads (`read_sent`), and unknown (None) where none does."""

    label: str
    sent: int
    read: int | None
    clicked: int
    paid: int
    read_sent: int = 0

    @property
    def read_rate(self):
        return None if self.read is None else ratio(self.read, self.read_sent)

    @property
    def click_rate(self):
        return ratio(self.clicked, self.sent)

    @property
    def paid_rate(self):
        return ratio(self.paid, self.sent)


def funnel_row(label, channel, sent, read, clicked, paid):
    """The funnel row of the messages sent on `channel`."""
    sent = sent or 0
    if channel in READ_CHANNELS:
        return FunnelRow(label, sent, read or 0, clicked or 0, paid or 0, read_sent=sent)
    return FunnelRow(label, sent, None, clicked or 0, paid or 0)


def funnel_total(rows, label):
    """The rows added up; reads are known if any row knows them."""
    rows = list(rows)
    reads = [row.read for row in rows if row.read is not None]
    return FunnelRow(label, sum(row.sent for row in rows), sum(reads) if reads else None,
                     sum(row.clicked for row in rows), sum(row.paid for row in rows),
                     read_sent=sum(row.read_sent for row in rows))


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
