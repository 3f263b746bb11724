from odoo import api, fields, models
from odoo.exceptions import UserError

RESOLUTIONS = [
    ("automatic", "By the automation"),
    ("person", "By a person"),
    ("open", "Waiting for a person"),
]
RESOLUTION_FIELDS = frozenset({"resolution", "resolved_at"})


class CobranzaMessageResolution(models.AbstractModel):
    """How a customer's request ended: answered by the automation, by a person, or still
    waiting for one; the facts of the automated conversation's KPIs (automatic resolution
    rate, hand-off rate, time to resolution on the dashboard).

    Every handler of a reply records what it did (``action_taken``) and whether a person
    must act (``needs_person``, as ``_hand_to_person`` does); once the reply is understood
    those two say how it stands. A person resolves it by closing its work item or by
    answering it. A reply that asks for nothing (thanks, or an intent the company only
    records) has no resolution and is not counted.
    """

    _name = "cobranza.message.resolution"
    _description = "Collection Message Resolution"

    resolution = fields.Selection(
        RESOLUTIONS, readonly=True, copy=False, index="btree_not_null",
        help="For a customer's message that asks for something: resolved by the automation "
        "(it acted and no person is needed), by a person (who closed its work item or "
        "answered it), or waiting for a person.")
    resolved_at = fields.Datetime(string="Resolved On", readonly=True, copy=False)

    # The dashboard reads a company's replies by the time they came in.
    _inbound_received_idx = models.Index("(company_id, received_at) WHERE direction = 'in'")

    # === CRUD === #

    def write(self, vals):
        if not self._is_automation() and RESOLUTION_FIELDS.intersection(vals):
            raise UserError(self.env._("How a customer's request was resolved is recorded "
                                       "by the automation and cannot be changed by hand."))
        return super().write(vals)

    # === BUSINESS METHODS === #

    def _understand(self, event):
        result = super()._understand(event)
        self._settle_resolution()
        return result

    @api.model
    def _send_text(self, partner, body, reply_to=None):
        """A person answered the reply: resolved by a person."""
        message = super()._send_text(partner, body, reply_to=reply_to)
        if reply_to:
            reply_to._resolve_by_person()
        return message

    def _settle_resolution(self):
        """How the understood reply stands now: waiting for a person, resolved by the
        automation (it acted and nobody is needed), or nothing asked."""
        now = fields.Datetime.now()
        for message in self.filtered(lambda m: m.direction == "in"):
            if message.needs_person:
                values = {"resolution": "open", "resolved_at": False}
            elif message.action_taken:
                values = {"resolution": "automatic", "resolved_at": now}
            else:
                values = {"resolution": False, "resolved_at": False}
            message._automation().write(values)

    def _resolve_by_person(self):
        """A person handled the replies waiting for one (closed the work item, answered)."""
        waiting = self.filtered(lambda m: m.direction == "in" and m.resolution == "open")
        if waiting:
            waiting._automation().write({"resolution": "person",
                                         "resolved_at": fields.Datetime.now()})
        return waiting
