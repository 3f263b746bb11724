import datetime
import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# A message left in ``sending`` this long was being sent by a worker that stopped.
INTERRUPTED_AFTER = datetime.timedelta(minutes=10)
# After this long without Meta confirming an interrupted send (a status webhook carries its
# callback data), it is handed to a person rather than sent a second time.
UNCONFIRMED_AFTER = datetime.timedelta(hours=1)


class CobranzaMessagePost(models.Model):
    """The send journal: one row per WhatsApp post, written by the poster's threads.

    The poster (``tools/poster.py``) journals a message as started right before its request
    leaves and journals Meta's wamid once Meta answered, each in a short transaction of its
    own, so the journal survives a worker killed in the middle of a batch. The sweeper
    (:meth:`_recover_interrupted`, like ``queue_job``'s ``requeue_stuck_jobs``) then settles
    what that worker left in ``sending`` (SMS and e-mail wait there for Odoo's own queues,
    which settle them: ``models/sms_tracker.py``, ``models/mail_mail.py``). A post whose
    answer was lost (a read timeout, a reset once the request had left, a 2xx without a
    message id) stays started and unfinished, marked ``answer_lost``: Meta may have taken
    it, and it is settled the same way. No foreign key: a journaled message may be rolled
    back with its worker's transaction, and its row must not block that.
    """

    _name = "cobranza.message.post"
    _description = "WhatsApp Send Journal"
    _order = "started_at desc, id desc"
    _log_access = False

    message_id = fields.Integer(required=True, readonly=True)
    started_at = fields.Datetime(required=True, readonly=True)
    finished_at = fields.Datetime(readonly=True)
    wamid = fields.Char(readonly=True)
    wa_id = fields.Char(readonly=True)
    answer_lost = fields.Boolean(
        readonly=True,
        help="The request may have reached Meta but its answer was lost: Meta's status "
             "webhook confirms it, or a person decides; it is never sent again blindly.")

    _message_uniq = models.Constraint("unique(message_id)",
                                      "A message has one row in the send journal.")

    # === BUSINESS METHODS === #

    @api.model
    def _recover_interrupted(self, now=None):
        """Settle messages a stopped worker left in ``sending``, from the send journal.

        Never posted: queued again. Answered by Meta: sent, with its wamid. Failed at Meta:
        queued again, the retry rules decide. In flight when the worker stopped, or posted
        with its answer lost: wait for Meta's status webhook (it carries our callback data);
        without one within an hour, a person decides, since sending again could reach the
        customer twice.
        """
        now = now or fields.Datetime.now()
        cr = self.env.cr
        cr.execute(SQL(
            """
            SELECT m.id, j.started_at, j.finished_at, j.wamid, j.wa_id, j.answer_lost
              FROM cobranza_message m
              LEFT JOIN cobranza_message_post j ON j.message_id = m.id
             WHERE m.state = 'sending' AND m.channel = 'whatsapp' AND m.write_date < %s
               FOR UPDATE OF m SKIP LOCKED
            """,
            now - INTERRUPTED_AFTER,
        ))
        rows = cr.fetchall()
        Message = self.env["cobranza.message"]
        settled = {"requeued": 0, "sent": 0, "unconfirmed": 0}
        for message_id, started, finished, wamid, wa_id, answer_lost in rows:
            message = Message.browse(message_id)._in_company_lang()
            if wamid:
                message._record_outcome(message.account_id, {
                    "messages": [{"id": wamid}], "contacts": [{"wa_id": wa_id}]})
                settled["sent"] += 1
            elif not started or finished:
                message._set_queued(give_back_attempt=True)
                settled["requeued"] += 1
            elif started < now - UNCONFIRMED_AFTER:
                message._set_failed(self.env._(
                    "Meta's answer to this message was lost and Meta never confirmed it. "
                    "Check the customer's WhatsApp conversation before sending it again."
                ) if answer_lost else self.env._(
                    "The worker stopped while this message was being sent and Meta never "
                    "confirmed it. Check the customer's WhatsApp conversation before sending "
                    "it again."))
                settled["unconfirmed"] += 1
        cr.execute(SQL(
            """
            DELETE FROM cobranza_message_post j
             WHERE NOT EXISTS (SELECT 1 FROM cobranza_message m
                                WHERE m.id = j.message_id AND m.state = 'sending')
               AND j.started_at < %s
            """,
            now - INTERRUPTED_AFTER,
        ))
        if any(settled.values()):
            _logger.info("Interrupted sends settled: %s", settled)
        return settled
