from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import click

# The pay links' trackers this transaction knows: (invoice id, url) -> tracker id.
TRACKERS_KEY = "cobranza_pay_trackers"


class LinkTracker(models.Model):
    """An invoice's pay link, shortened by Odoo's link tracker: one tracker per target URL
    (the invoice's portal page with its access token), as link_tracker keeps them; which
    message was clicked is told by the short URL's path (``link.tracker.click``)."""

    _inherit = "link.tracker"

    cobranza_move_id = fields.Many2one(
        "account.move", string="Invoice", index="btree_not_null", ondelete="cascade",
        readonly=True, help="The invoice whose pay link this tracker shortens.")
    # Set at creation: the record rules read it (a pay link opens its invoice unlogged).
    cobranza_company_id = fields.Many2one(
        "res.company", string="Collection Company", index="btree_not_null", readonly=True)

    @api.model
    def _cobranza_for_move(self, move, url):
        """The tracker of `move`'s pay link `url`, created on first use.

        Its code replaces link_tracker's (3 characters and up, made to be typed) with one as
        hard to guess as the token it stands for; the title is given so that link_tracker
        does not fetch the page to read one."""
        move.ensure_one()
        known = self.env.cr.precommit.data.get(TRACKERS_KEY, {}).get((move.id, url))
        if known:
            return self.browse(known[0])
        tracker = self.search([("cobranza_move_id", "=", move.id), ("url", "=", url)],
                              order="id", limit=1)
        return tracker or self._cobranza_create([(move, url)])

    @api.model
    def _cobranza_code_for_move(self, move, url):
        """The short code of `move`'s pay link `url`: from what the batch made or found
        (link_tracker computes a tracker's code with a query of its own), else its
        tracker's."""
        known = self.env.cr.precommit.data.get(TRACKERS_KEY, {}).get((move.id, url))
        return known[1] if known else self._cobranza_for_move(move, url).code

    @api.model
    def _cobranza_for_moves(self, targets):
        """The trackers of several pay links at once, `targets` being (move, url) pairs: one
        search, one create for the missing, their codes in one statement; kept for the rest
        of the transaction (the sender calls it for a batch, outside its savepoints).
        A reminder's first send used to create its invoice's tracker alone: 7.6 ms and 10
        queries an invoice, more than the rest of the message."""
        known = self.env.cr.precommit.data.setdefault(TRACKERS_KEY, {})
        wanted = {(move.id, url): move for move, url in targets if (move.id, url) not in known}
        if not wanted:
            return
        found = {}
        for tracker in self.search_fetch(
                [("cobranza_move_id", "in", list({key[0] for key in wanted})),
                 ("url", "in", list({key[1] for key in wanted}))],
                ["cobranza_move_id", "url"], order="id"):
            found.setdefault((tracker.cobranza_move_id.id, tracker.url), tracker.id)
        missing = [(move, url) for (move_id, url), move in wanted.items()
                   if (move_id, url) not in found]
        if missing:
            for (move, url), tracker in zip(missing, self._cobranza_create(missing),
                                            strict=True):
                found[(move.id, url)] = tracker.id
        # Each tracker's code (link_tracker's newest for it), in one query.
        self.env.cr.execute(SQL(
            "SELECT DISTINCT ON (link_id) link_id, code FROM link_tracker_code "
            "WHERE link_id = ANY(%s) ORDER BY link_id, id DESC", list(found.values())))
        codes = dict(self.env.cr.fetchall())
        for key, tracker_id in found.items():
            known[key] = (tracker_id, codes.get(tracker_id))

    @api.model
    def _cobranza_create(self, targets):
        """New trackers for (move, url) pairs, with codes of our own in one UPDATE."""
        trackers = self.create([{
            "url": url, "title": move.name, "label": move.name,
            "cobranza_move_id": move.id, "cobranza_company_id": move.company_id.id,
        } for move, url in targets])
        codes = self._cobranza_random_codes(len(trackers))
        self.env.cr.execute(SQL(
            "UPDATE link_tracker_code c SET code = v.code FROM (SELECT unnest(%s::int[]) AS "
            "link_id, unnest(%s::varchar[]) AS code) v WHERE c.link_id = v.link_id",
            trackers.ids, codes))
        self.env["link.tracker.code"].invalidate_model(["code"])
        trackers.invalidate_recordset(["code", "short_url", "link_code_ids"])
        return trackers

    @api.model
    def _cobranza_random_codes(self, count):
        """`count` codes no tracker has (one query; drawn again on the rare collision)."""
        Code = self.env["link.tracker.code"].sudo()
        while True:
            codes = [click.random_code() for _i in range(count)]
            if len(set(codes)) == count and \
                    not Code.search_count([("code", "in", codes)], limit=1):
                return codes
