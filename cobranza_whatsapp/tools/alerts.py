"""When an event deserves a person: the alert rules, without the ORM.

A spike in failed sends is read the way a manager sets it: "at least N failures in the last
hour, and K times a usual hour", a usual hour being the average hour of the week before the
last hour. The absolute minimum keeps a quiet night's two failures from paging anyone; the
multiple keeps a company that always fails a little from being told every hour.
"""

import datetime

# The last hour is compared with the week before it.
WINDOW = datetime.timedelta(hours=1)
USUAL_PERIOD = datetime.timedelta(days=7)
USUAL_HOURS = USUAL_PERIOD / WINDOW


def usual_per_hour(failed_before, hours=USUAL_HOURS):
    """The failures of an average hour of the usual period."""
    return failed_before / hours if hours else 0.0


def failed_send_spike(failed_last_hour, failed_before, minimum, factor, hours=USUAL_HOURS):
    """Whether the last hour's failures are a spike: at least `minimum`, and at least
    `factor` times a usual hour."""
    if failed_last_hour < max(minimum, 1):
        return False
    return failed_last_hour >= factor * usual_per_hour(failed_before, hours)


def spike_window(now):
    """(start, end) of the last hour and the start of the usual period before it."""
    start = now - WINDOW
    return start, now, start - USUAL_PERIOD


def spike_key(now):
    """The identity of a spike alert: the clock hour (UTC) it was raised in, so that one is
    raised at most once an hour per company, whoever checks."""
    return now.strftime("%Y-%m-%d %H:00")


def dispute_alerts(residual, threshold):
    """A dispute alerts when what the invoice still owes is above the threshold."""
    return residual > threshold
