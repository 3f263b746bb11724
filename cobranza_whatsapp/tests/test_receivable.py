"""The open-receivable rule in its three forms says the same thing (no database)."""

from types import SimpleNamespace

from odoo.tests import BaseCase, tagged

from ..tools import receivable


def _move(**values):
    defaults = {"move_type": "out_invoice", "state": "posted", "payment_state": "not_paid",
                "amount_residual": 100.0}
    return SimpleNamespace(**{**defaults, **values})


def _domain_holds(move):
    """The domain evaluated on a plain object: the operators it uses, nothing more."""
    operators = {"=": lambda a, b: a == b, "in": lambda a, b: a in b, ">": lambda a, b: a > b}
    return all(operators[op](getattr(move, name), value)
               for name, op, value in receivable.OPEN_RECEIVABLE_DOMAIN)


@tagged("post_install", "-at_install")
class TestOpenReceivable(BaseCase):
    def test_the_predicate_and_the_domain_agree(self):
        cases = [
            _move(),
            _move(payment_state="partial", amount_residual=1.0),
            _move(amount_residual=0.0),  # paid in full, the payment state not recomputed yet
            _move(payment_state="in_payment"),
            _move(state="draft"),
            _move(move_type="out_refund"),
        ]
        self.assertEqual([receivable.is_open(move) for move in cases],
                         [True, True, False, False, False, False])
        self.assertEqual([_domain_holds(move) for move in cases],
                         [receivable.is_open(move) for move in cases])

    def test_the_sql_condition_names_its_alias(self):
        code = receivable.open_receivable_where("inv").code
        self.assertIn('"inv"."amount_residual" > 0', code)
        self.assertIn('"inv"."payment_state" IN', code)
        self.assertEqual(receivable.open_receivable_where("inv").params,
                         ["out_invoice", "posted", receivable.OPEN_PAYMENT_STATES])
        self.assertEqual(receivable.OPEN_RECEIVABLE_WHERE.code,
                         receivable.open_receivable_where("m").code)

    def test_the_index_holds_the_parameter_free_part(self):
        self.assertEqual(
            receivable.OPEN_RECEIVABLE_INDEX_WHERE,
            "move_type = 'out_invoice' AND state = 'posted' "
            "AND payment_state IN ('not_paid', 'partial')")
