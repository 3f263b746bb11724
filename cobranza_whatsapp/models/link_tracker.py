from odoo import api, fields, models

from ..tools import click


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
        tracker = self.search([("cobranza_move_id", "=", move.id), ("url", "=", url)],
                              order="id", limit=1)
        if tracker:
            return tracker
        tracker = self.create({
            "url": url, "title": move.name, "label": move.name,
            "cobranza_move_id": move.id, "cobranza_company_id": move.company_id.id,
        })
        tracker.link_code_ids.write({"code": self._cobranza_random_code()})
        tracker.invalidate_recordset(["code", "short_url"])
        return tracker

    @api.model
    def _cobranza_random_code(self):
        Code = self.env["link.tracker.code"].sudo()
        while True:
            code = click.random_code()
            if not Code.search_count([("code", "=", code)], limit=1):
                return code
