"""Meta's sending rate, shared by every worker: consecutive time slots handed out per account.

Each worker reserves a few slots at a time in a row of ``cobranza_whatsapp_rate`` (locked for
the length of one short transaction) and starts each call at its slot, so the account's rate
holds however many workers send. The database's clock is the reference, so workers on several
machines agree without trusting each other's clocks.
"""


def reserve(next_free, now, rate, count):
    """Reserve `count` consecutive slots at `rate` calls per second.

    `next_free` is the first slot nobody holds yet (None for an account never used); a slot
    in the past is not carried over, so an idle account does not build up a burst.
    Returns ``(first_slot, new_next_free)``; with no rate (0) every call may start now.
    """
    if count <= 0:
        return now, next_free
    if not rate or rate <= 0:
        return now, next_free
    first = now if next_free is None else max(next_free, now)
    return first, first + count / rate


def observed_rate(starts):
    """Calls per second over a series of start times: intervals over the time they span."""
    starts = sorted(starts)
    if len(starts) < 2 or starts[-1] == starts[0]:
        return 0.0
    return (len(starts) - 1) / (starts[-1] - starts[0])
