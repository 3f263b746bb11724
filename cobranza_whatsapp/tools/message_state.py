"""The life of a collection message: its states and the one table of allowed moves.

Plain Python. ``cobranza.message`` writes ``state`` only through one method per target state
(``_set_sending``, ``_set_sent``...), each checking this table, and the batched status path
checks the same table in SQL; so Meta's statuses arriving late, twice or out of order can
never move a message backwards.
"""

STATES = [("queued", "Queued"), ("sending", "Sending"), ("sent", "Sent"),
          ("delivered", "Delivered"), ("read", "Read"), ("failed", "Failed"),
          ("cancelled", "Cancelled"), ("received", "Received")]

# Target state -> the states a message may reach it from. ``received`` is only ever given at
# creation (a customer's message), as ``queued`` is to a new outbound one; ``queued`` again
# means "try later" (a retry, an account stopped, a send a stopped worker never posted).
MOVES = {
    # from sent: Meta's status said it failed with a retryable error; it is sent again
    "queued": frozenset({"sending", "sent"}),
    "sending": frozenset({"queued"}),
    "sent": frozenset({"queued", "sending"}),  # SMS and e-mail go from the queue to Odoo's
    "delivered": frozenset({"sending", "sent"}),
    "read": frozenset({"sending", "sent", "delivered"}),
    "failed": frozenset({"queued", "sending", "sent"}),
    "cancelled": frozenset({"queued", "sending"}),
}

# Meta's delivery statuses, in the order they happen; the time each one is stamped in.
DELIVERY_STATUSES = ("sent", "delivered", "read")
STAMP_FIELDS = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}
# What a status can change on a message besides the state (the one list of them).
STATUS_FIELDS = ("sent_at", "delivered_at", "read_at", "pricing_category", "pricing_type",
                 "billable", "conversation_id")


def can_move(current, target):
    """Whether a message in `current` may move to `target`."""
    return current in MOVES.get(target, ())


def fold_delivery(state, stamps, status, when):
    """Fold one sent/delivered/read status into (state, stamps), only ever forward.

    `stamps` maps the stamp fields to their datetimes (or a false value); returns the new
    state and stamps. A ``read`` implies delivery by then (Meta does not promise to send
    both, nor in order); each stamp keeps the earliest time a status gave it.
    """
    stamps = dict(stamps)
    field = STAMP_FIELDS.get(status)
    if not field:
        return state, stamps
    # The earliest time wins, so the order statuses arrive in does not matter.
    implied = (field, "delivered_at") if status == "read" else (field,)
    for name in implied:
        if not stamps.get(name) or when < stamps[name]:
            stamps[name] = when
    if can_move(state, status):
        state = status
    return state, stamps
