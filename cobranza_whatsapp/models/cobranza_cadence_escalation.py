from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL


class CobranzaCadenceEscalation(models.AbstractModel):
    """When an invoice's next level comes before its day: the facts, and the trace.

    The cadence reads the facts here per batch, in three set-based queries whatever the
    number of invoices (none when the company does not escalate); ``tools/cadence.py``
    decides (:func:`escalation`); the step's note and the invoice's chatter say why.
    """

    _name = "cobranza.cadence.escalation"
    _description = "Collection Cadence Escalation"

    @api.model
    def _escalation_facts(self, company, partner_ids, move_ids, silent_ids):
        """Per invoice, the escalation fields of ``tools.cadence.Invoice``; per customer,
        its last message to the company.

        `move_ids` are the batch's open invoices (each may carry a broken commitment),
        `silent_ids` those whose reached level escalates after some days: only they need
        their level's message and their payments.
        """
        cr = self.env.cr
        facts = {}
        # The latest broken commitment on each invoice: a promise's promised date, a
        # plan's first instalment. Both come after the level the customer answered.
        cr.execute(SQL(
            """
            SELECT r.move_id, p.date
              FROM cobranza_promise p
              JOIN cobranza_promise_account_move_rel r ON r.promise_id = p.id
             WHERE p.state = 'broken' AND p.company_id = %(company)s
               AND p.partner_id = ANY(%(partners)s) AND r.move_id = ANY(%(moves)s)
             UNION ALL
            SELECT r.move_id, min(l.date)
              FROM cobranza_payment_plan pl
              JOIN cobranza_payment_plan_account_move_rel r ON r.plan_id = pl.id
              JOIN cobranza_payment_plan_line l ON l.plan_id = pl.id
             WHERE pl.state = 'broken' AND pl.company_id = %(company)s
               AND pl.partner_id = ANY(%(partners)s) AND r.move_id = ANY(%(moves)s)
          GROUP BY r.move_id, pl.id
            """,
            company=company.id, partners=partner_ids, moves=move_ids,
        ))
        for move_id, day in cr.fetchall():
            known = facts.setdefault(move_id, {}).get("broken_commitment_on")
            facts[move_id]["broken_commitment_on"] = max(
                (d for d in (known, day) if d), default=None)
        replies = {}
        if not silent_ids:
            return facts, replies
        # When the reached level's message first left (a failed or cancelled one reached
        # nobody), and the invoice's last payment: recorded, and as dated.
        cr.execute(SQL(
            """
            SELECT m.id, sent.at, pay.at, pay.paid_on
              FROM account_move m
              JOIN LATERAL (
                   SELECT min(msg.sent_at) AS at
                     FROM cobranza_message_account_move_rel rel
                     JOIN cobranza_message msg ON msg.id = rel.message_id
                    WHERE rel.move_id = m.id AND msg.level_id = m.cobranza_level_id
                      AND msg.direction = 'out' AND msg.sent_at IS NOT NULL
                      AND msg.state NOT IN ('failed', 'cancelled')
                   ) sent ON sent.at IS NOT NULL
         LEFT JOIN LATERAL (
                   SELECT max(apr.create_date) AS at, max(apr.max_date) AS paid_on
                     FROM account_move_line aml
                     JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                    WHERE aml.move_id = m.id
                   ) pay ON TRUE
             WHERE m.id = ANY(%s)
            """,
            list(silent_ids),
        ))
        for move_id, sent_at, paid_at, paid_on in cr.fetchall():
            facts.setdefault(move_id, {}).update(level_sent_at=sent_at, paid_at=paid_at,
                                                 paid_on=paid_on)
        # Whatever the customer wrote to this company, about any invoice, is an answer.
        cr.execute(SQL(
            """
            SELECT partner_id, max(COALESCE(received_at, create_date))
              FROM cobranza_message
             WHERE direction = 'in' AND company_id = %s AND partner_id = ANY(%s)
          GROUP BY 1
            """,
            company.id, partner_ids,
        ))
        replies = dict(cr.fetchall())
        return facts, replies

    @api.model
    def _escalation_note(self, step, move_id):
        """The step's note for an invoice escalated to it (None when it came on its day)."""
        why = step.escalated.get(move_id)
        if not why:
            return None
        message, params = why
        return self.env._(message, **params)

    def _log_escalations(self, steps, inserted, level_by_id):
        """Each invoice escalated to a step this run really inserted says so in its chatter."""
        bodies = {}
        for step in steps:
            for move_id in step.escalated:
                if (move_id, step.level_id) in inserted:
                    bodies[move_id] = Markup("<p>%s: %s</p>") % (
                        level_by_id[step.level_id].name, self._escalation_note(step, move_id))
        if bodies:
            self.env["account.move"].sudo().browse(list(bodies))._message_log_batch(bodies)
