from odoo import fields, models


class CobranzaWhatsappRate(models.Model):
    """The next free sending slot of each WhatsApp account, shared by every worker.

    Written only by the poster's short side transactions (``tools/poster.py``, the slots
    computed by ``tools/rate.py`` on the database's clock); a table of its own, so reserving
    slots never waits on edits of the account.
    """

    _name = "cobranza.whatsapp.rate"
    _description = "WhatsApp Sending Rate"
    _order = "account_id"
    _log_access = False

    account_id = fields.Many2one("cobranza.whatsapp.account", required=True, readonly=True,
                                 ondelete="cascade")
    next_slot = fields.Float(readonly=True, digits=False,
                             help="Epoch seconds of the first slot nobody holds yet.")

    _account_uniq = models.Constraint("unique(account_id)", "An account has one sending rate.")
