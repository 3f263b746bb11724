import datetime

from odoo import api, fields, models

MEDIA_VALIDITY = datetime.timedelta(days=29)  # Meta keeps uploaded media 30 days


class CobranzaWhatsappMedia(models.Model):
    """A file already uploaded to Meta, reused while its media id is valid."""

    _name = "cobranza.whatsapp.media"
    _description = "WhatsApp Uploaded Media"
    _order = "uploaded_at desc, id desc"

    account_id = fields.Many2one(
        "cobranza.whatsapp.account", required=True, index=True, ondelete="cascade"
    )
    checksum = fields.Char(required=True, help="SHA-1 of the file's content.")
    filename = fields.Char(required=True)
    media_id = fields.Char(required=True)
    uploaded_at = fields.Datetime(required=True, default=fields.Datetime.now)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)

    _account_checksum_uniq = models.Constraint(
        "unique(account_id, checksum)", "This file is already uploaded for this account."
    )

    @api.model
    def _get_media_id(self, account, content, filename, mimetype="application/pdf"):
        """Meta's id for this file: reused for 29 days, uploaded again after."""
        checksum = self.env["ir.attachment"]._compute_checksum(content)
        media = self.search([("account_id", "=", account.id), ("checksum", "=", checksum)],
                            limit=1)
        now = fields.Datetime.now()
        if media and media.uploaded_at > now - MEDIA_VALIDITY:
            return media.media_id
        media_id = account._graph_api().upload_media(content, filename, mimetype)
        if media:
            media.write({"media_id": media_id, "uploaded_at": now, "filename": filename})
        else:
            self.create({"account_id": account.id, "checksum": checksum, "filename": filename,
                         "media_id": media_id, "uploaded_at": now})
        return media_id
