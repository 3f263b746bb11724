"""The message state machine: the table of moves alone, then the records that follow it."""

import datetime

from odoo.exceptions import UserError
from odoo.tests import BaseCase, tagged

from ..tools import message_state
from .common import NOW, CobranzaCommon
from .graph_mock import status_item, status_payload

T0 = datetime.datetime(2026, 11, 18, 15, 0, 0)


@tagged("post_install", "-at_install")
class TestMoves(BaseCase):
    def test_only_forward(self):
        for later, earlier in (("delivered", "read"), ("sent", "delivered"), ("sent", "read"),
                               ("failed", "read"), ("queued", "failed"), ("queued", "read")):
            self.assertFalse(message_state.can_move(earlier, later), f"{earlier} -> {later}")
        for current, target in (("queued", "sending"), ("sending", "sent"), ("sent", "read"),
                                ("sending", "queued"), ("sent", "failed")):
            self.assertTrue(message_state.can_move(current, target), f"{current} -> {target}")
        self.assertFalse(message_state.can_move("received", "sent"), "inbound never leaves")

    def test_fold_keeps_the_first_stamp_and_read_implies_delivered(self):
        state, stamps = message_state.fold_delivery(
            "sent", {"sent_at": T0, "delivered_at": False, "read_at": False}, "read", T0)
        self.assertEqual((state, stamps["delivered_at"], stamps["read_at"]), ("read", T0, T0))
        later = T0 + datetime.timedelta(minutes=5)
        state, stamps = message_state.fold_delivery(state, stamps, "delivered", later)
        self.assertEqual((state, stamps["delivered_at"]), ("read", T0))
        earlier = T0 - datetime.timedelta(minutes=5)
        state, stamps = message_state.fold_delivery(state, stamps, "delivered", earlier)
        self.assertEqual((state, stamps["delivered_at"]), ("read", earlier),
                         "a delivery Meta reports late but dated earlier is the true one")


@tagged("post_install", "-at_install")
class TestStateMachine(CobranzaCommon):
    def reminder(self, wamid):
        self._invoice(self.customer, 100.0, days_overdue=4)
        self.run_cadence()
        message = self.messages_for(self.customer)[-1]
        message._set_sending()
        message._set_sent(wamid, sent_at=NOW)
        return message

    def test_a_state_set_by_hand_is_refused(self):
        message = self.reminder("wamid.HAND")
        with self.assertRaises(UserError):
            message.state = "read"
        with self.assertRaises(UserError):
            message.with_user(self.collector).write({"state": "cancelled"})
        self.assertEqual(message.state, "sent")
        self.assertFalse(message._set_cancelled("too late"), "a sent message is not cancelled")
        self.assertEqual(message.state, "sent")

    def test_one_status_path_one_event_or_a_batch(self):
        """The same statuses, one by one or in one batch, in any order, end the same."""
        one = self.reminder("wamid.ONE")
        batch = self.reminder("wamid.BATCH")
        items = [("read", 1763478300), ("sent", 1763478100), ("delivered", 1763478200)]
        Message = self.env["cobranza.message"]
        for status, ts in items:
            event = {"wamid": one.wamid, "status": status, "timestamp": ts}
            self.assertEqual(Message._apply_statuses([event]), [True])
        events = [{"wamid": batch.wamid, "status": s, "timestamp": ts} for s, ts in items]
        nobody = {"wamid": "wamid.NOBODY", "status": "read", "timestamp": 1}
        self.assertEqual(Message._apply_statuses([*events, nobody]), [True, True, True, False])
        for message in one | batch:
            self.assertEqual(message.state, "read")
            self.assertEqual(message.read_at, datetime.datetime(2025, 11, 18, 15, 5))
            self.assertEqual(message.delivered_at, datetime.datetime(2025, 11, 18, 15, 3, 20))

    def test_the_bulk_writer_checks_the_table_in_sql(self):
        """A delivery status computed on a stale state never undoes a failure."""
        message = self.reminder("wamid.STALE")
        message._set_failed("Meta said no", code=131026)
        self.env.flush_all()
        stale = {"state": "read", **dict.fromkeys(message_state.STATUS_FIELDS, False)}
        self.env["cobranza.message"]._set_delivery_statuses({message: stale})
        self.assertEqual(message.state, "failed")

    def test_webhook_batches_take_the_same_path(self):
        message = self.reminder("wamid.HOOK")
        payload = status_payload([status_item("wamid.HOOK", "delivered", 1763478200),
                                  status_item("wamid.HOOK", "read", 1763478300)])
        counters = self.env["cobranza.webhook.event"].sudo()._handle_payload(
            self.wa_account, payload)
        self.assertEqual(counters, {"events": 2, "new": 2})
        self.assertEqual(message.state, "read")
        events = self.env["cobranza.webhook.event"].search([("key", "like", "status:wamid.HOOK")])
        self.assertEqual(set(events.mapped("state")), {"done"})
