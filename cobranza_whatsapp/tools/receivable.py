"""The one definition of an open receivable: a posted customer invoice with money still owed.

Every place that asks "is there something to collect?" (the cadence, the work queue, the
customer's balance, promises, payment plans, the compose wizard, the messages) reads it
from here, as a domain for searches, an SQL condition for set-based queries or a predicate
for ``filtered()``, so the three forms cannot drift apart.

Credit notes (``out_refund``) are not collected: they are money the company owes.
"""

from odoo.tools import SQL

OPEN_MOVE_TYPE = "out_invoice"
OPEN_PAYMENT_STATES = ("not_paid", "partial")
# Paid as far as collecting goes: in_payment waits for the bank, reversed was credited.
PAID_PAYMENT_STATES = ("paid", "in_payment", "reversed")

OPEN_RECEIVABLE_DOMAIN = [
    ("move_type", "=", OPEN_MOVE_TYPE),
    ("state", "=", "posted"),
    ("payment_state", "in", OPEN_PAYMENT_STATES),
    ("amount_residual", ">", 0),
]


def open_receivable_where(alias="m"):
    """The rule as an SQL condition on the ``account_move`` table aliased ``alias``."""
    return SQL(
        "%s = %s AND %s = %s AND %s IN %s AND %s > 0",
        SQL.identifier(alias, "move_type"), OPEN_MOVE_TYPE,
        SQL.identifier(alias, "state"), "posted",
        SQL.identifier(alias, "payment_state"), OPEN_PAYMENT_STATES,
        SQL.identifier(alias, "amount_residual"),
    )


OPEN_RECEIVABLE_WHERE = open_receivable_where("m")

_OPEN_STATES_LIST = ", ".join(f"'{state}'" for state in OPEN_PAYMENT_STATES)
# The rule without the residual, as the predicate of a partial index (parameters cannot
# go there): the queries add the residual, the index stays put while an invoice is paid.
OPEN_RECEIVABLE_INDEX_WHERE = (
    f"move_type = '{OPEN_MOVE_TYPE}' AND state = 'posted' "
    f"AND payment_state IN ({_OPEN_STATES_LIST})"
)


def is_open(move):
    """The rule for one ``account.move`` record, for ``moves.filtered(is_open)``."""
    return (
        move.move_type == OPEN_MOVE_TYPE
        and move.state == "posted"
        and move.payment_state in OPEN_PAYMENT_STATES
        and move.amount_residual > 0
    )
