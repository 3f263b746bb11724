from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, plaintext2html

from ..tools.receivable import OPEN_RECEIVABLE_WHERE
from .account_move import COLLECTION_STATES

KINDS = [
    ("handoff", "Handed to a person"),
    ("dispute", "Disputed invoice"),
    ("reply", "Reply waiting"),
    ("broken_promise", "Broken promise"),
    ("failed", "Delivery failed"),
    ("payment", "Payment to review"),
]
KIND_CODE = {kind: index for index, (kind, _label) in enumerate(KINDS)}
# Replies, failures and broken promises older than this have left the queue by themselves.
RECENT_DAYS = 30
# The probability (%) of a customer the cadence has not scored yet: neither likely nor not.
UNSCORED_PAY_PROBABILITY = 50


class CobranzaWorkItem(models.Model):
    """What needs a person now, most money at risk first: the collectors' work queue.

    A read-only view over the records that carry the facts (invoices, messages, promises,
    payment notifications); an item leaves the queue when its cause is solved (the invoice
    is paid, the reply answered, the dispute cleared) or when a collector marks it done.
    Priority is the amount at risk: what the customer owes times the chance they do not pay.
    """

    _name = "cobranza.work.item"
    _description = "Collections Work Item"
    _auto = False
    _order = "amount_at_risk desc, date, id"

    kind = fields.Selection(KINDS, readonly=True)
    date = fields.Datetime(string="Since", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    collector_id = fields.Many2one("res.users", readonly=True)
    risk = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")], string="Risk Segment",
        readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    level_id = fields.Many2one("cobranza.level", readonly=True)
    collection_state = fields.Selection(COLLECTION_STATES, readonly=True)
    message_id = fields.Many2one("cobranza.message", readonly=True)
    promise_id = fields.Many2one("cobranza.promise", readonly=True)
    notification_id = fields.Many2one("cobranza.payment.notification", readonly=True)
    summary = fields.Text(readonly=True)
    amount_due = fields.Monetary(string="Owed", readonly=True,
                                 help="The customer's open balance (the invoice's, for "
                                 "invoice items).")
    days_overdue = fields.Integer(readonly=True)
    pay_probability = fields.Integer(string="Payment Probability (%)", readonly=True,
                                     aggregator="avg")
    amount_at_risk = fields.Monetary(
        readonly=True,
        help="Owed × (1 − payment probability): the priority of the queue.")

    @property
    def _table_query(self):
        partners = self.env["res.partner"]
        row_company = SQL("it.company_id")
        return SQL(
            """
            WITH open_inv AS (
                SELECT m.id, m.commercial_partner_id AS partner_id, m.company_id,
                       m.amount_residual_signed AS residual, m.invoice_date_due,
                       m.cobranza_level_id, m.cobranza_state, m.cobranza_handoff,
                       m.cobranza_disputed, m.cobranza_level_date, m.write_date
                  FROM account_move m
                 WHERE %(open)s
            ), balance AS (
                SELECT partner_id, company_id, sum(residual) AS due,
                       max(CURRENT_DATE - invoice_date_due) AS days,
                       (array_agg(cobranza_level_id
                                  ORDER BY cobranza_level_date DESC NULLS LAST))[1] AS level_id
                  FROM open_inv GROUP BY partner_id, company_id
            ), items AS (
                SELECT 'handoff' AS kind, i.id AS res_id, i.partner_id, i.company_id,
                       i.id AS move_id, NULL::int AS message_id, NULL::int AS promise_id,
                       NULL::int AS notification_id,
                       COALESCE(i.cobranza_level_date, i.write_date) AS date,
                       %(handoff_summary)s AS summary
                  FROM open_inv i
                  JOIN account_move hm ON hm.id = i.id
                  JOIN res_currency hc ON hc.id = hm.currency_id
             LEFT JOIN cobranza_level hl ON hl.id = i.cobranza_level_id
                 WHERE i.cobranza_handoff
                UNION ALL
                SELECT 'dispute', i.id, i.partner_id, i.company_id, i.id, NULL, NULL, NULL,
                       i.write_date, mv.cobranza_exclusion_reason
                  FROM open_inv i JOIN account_move mv ON mv.id = i.id
                 WHERE i.cobranza_disputed
                UNION ALL
                SELECT 'reply', msg.id, msg.partner_id, msg.company_id, NULL, msg.id, NULL, NULL,
                       msg.create_date, msg.body
                  FROM cobranza_message msg
                 WHERE msg.direction = 'in'
                   AND (msg.needs_person OR msg.intent = 'unknown'
                        OR (msg.intent IN ('person', 'dispute')
                            AND COALESCE((SELECT %(reply_handoff)s FROM res_partner hp
                                           WHERE hp.id = msg.partner_id), FALSE)))
                   AND msg.create_date > now() at time zone 'UTC' - %(recent)s::interval
                   -- Answered, it leaves the queue; unless the customer is still handed to
                   -- a person in that company: then it stays until a collector closes it
                   -- (which ends the hand-off), or the reminders would wait for ever.
                   AND (NOT EXISTS (
                       SELECT 1 FROM cobranza_message answer
                        WHERE answer.partner_id = msg.partner_id AND answer.direction = 'out'
                          AND answer.id > msg.id
                          AND answer.channel IN ('whatsapp', 'call')
                          AND answer.state != 'cancelled' AND answer.level_id IS NULL
                          -- "a person will contact you" is no person's answer
                          AND answer.auto_answer IS NOT TRUE)
                        OR COALESCE((SELECT %(reply_handoff)s FROM res_partner hp
                                      WHERE hp.id = msg.partner_id), FALSE))
                UNION ALL
                SELECT 'broken_promise', pr.id, pr.partner_id, pr.company_id, NULL, NULL, pr.id,
                       NULL, pr.date::timestamp, pr.note
                  FROM cobranza_promise pr
                 WHERE pr.state = 'broken'
                   AND pr.date > CURRENT_DATE - %(recent)s::interval
                   AND EXISTS (SELECT 1 FROM cobranza_promise_account_move_rel r
                                 JOIN open_inv i ON i.id = r.move_id WHERE r.promise_id = pr.id)
                   AND NOT EXISTS (SELECT 1 FROM cobranza_promise newer
                                    WHERE newer.partner_id = pr.partner_id
                                      AND newer.id > pr.id AND newer.state = 'open')
                UNION ALL
                SELECT 'failed', msg.id, msg.partner_id, msg.company_id, NULL, msg.id, NULL, NULL,
                       COALESCE(msg.failed_at, msg.write_date), msg.error_message
                  FROM cobranza_message msg
                 WHERE msg.direction = 'out' AND msg.state = 'failed'
                   AND COALESCE(msg.failed_at, msg.write_date)
                       > now() at time zone 'UTC' - %(recent)s::interval
                   AND NOT EXISTS (
                       SELECT 1 FROM cobranza_message other
                        WHERE other.fallback_of_id = msg.id
                          AND other.state IN ('queued', 'sending', 'sent', 'delivered', 'read'))
                   AND EXISTS (SELECT 1 FROM cobranza_message_account_move_rel r
                                 JOIN open_inv i ON i.id = r.move_id WHERE r.message_id = msg.id)
                UNION ALL
                SELECT 'payment', n.id, pm.commercial_partner_id, n.company_id, NULL, NULL, NULL,
                       n.id, n.create_date, n.reason
                  FROM cobranza_payment_notification n
             LEFT JOIN LATERAL (
                       SELECT mv.commercial_partner_id
                         FROM account_move_cobranza_payment_notification_rel r
                         JOIN account_move mv ON mv.id = r.account_move_id
                        WHERE r.cobranza_payment_notification_id = n.id LIMIT 1) pm ON TRUE
                 WHERE n.state = 'exception'
            )
            SELECT it.res_id * %(kinds)s + CASE it.kind %(codes)s END AS id,
                   it.kind, it.date, it.company_id, c.currency_id, it.partner_id,
                   p.country_id, COALESCE(%(collector)s, p.user_id) AS collector_id,
                   %(risk)s AS risk, it.move_id,
                   COALESCE(mv.cobranza_level_id, b.level_id) AS level_id,
                   mv.cobranza_state AS collection_state, it.message_id, it.promise_id,
                   it.notification_id, it.summary,
                   COALESCE(mv.amount_residual_signed, b.due, 0.0) AS amount_due,
                   COALESCE(CURRENT_DATE - mv.invoice_date_due, b.days, 0) AS days_overdue,
                   COALESCE(%(probability)s, %(unscored)s) AS pay_probability,
                   COALESCE(mv.amount_residual_signed, b.due, 0.0)
                       * (100 - COALESCE(%(probability)s, %(unscored)s)) / 100.0
                       AS amount_at_risk
              FROM items it
         LEFT JOIN res_partner p ON p.id = it.partner_id
         LEFT JOIN res_company c ON c.id = it.company_id
         LEFT JOIN account_move mv ON mv.id = it.move_id
         LEFT JOIN balance b ON b.partner_id = it.partner_id AND b.company_id = it.company_id
             WHERE NOT EXISTS (SELECT 1 FROM cobranza_work_done d
                                WHERE d.kind = it.kind AND d.res_id = it.res_id)
            """,
            open=OPEN_RECEIVABLE_WHERE,
            handoff_summary=self._handoff_summary_sql(),
            # The customer as the item's company sees it (company-dependent fields).
            collector=partners._cobranza_sql("p", "cobranza_collector_id", row_company),
            risk=partners._cobranza_risk_sql("p", row_company),
            reply_handoff=partners._cobranza_sql("hp", "cobranza_handoff", SQL("msg.company_id")),
            probability=partners._cobranza_sql("p", "cobranza_pay_probability", row_company),
            unscored=UNSCORED_PAY_PROBABILITY,
            recent=f"{RECENT_DAYS} days",
            kinds=len(KINDS),
            codes=SQL(" ").join(SQL("WHEN %s THEN %s", kind, code)
                                for kind, code in KIND_CODE.items()),
        )

    def _handoff_summary_sql(self):
        """A hand-off's summary: the level that handed it over and what the invoice owes,
        in the invoice's currency and the reader's language (``Aviso final · S/ 1,250.00``).
        The aliases are the hand-off rows' own (hm: invoice, hc: currency, hl: level)."""
        lang_code = self.env.lang or "en_US"
        lang = self.env["res.lang"]._get_data(code=lang_code)  # all False if inactive
        # to_char's ',' and '.' are literal; they become the language's separators.
        number = SQL(
            "replace(replace(translate(to_char(round(hm.amount_residual, hc.decimal_places), "
            "'FM999,999,999,999,990' || CASE WHEN hc.decimal_places > 0 "
            "THEN '.' || repeat('0', hc.decimal_places) ELSE '' END), ',.', '_#'), "
            "'_', %s), '#', %s)",
            (lang.thousands_sep or "") if lang.code else ",", lang.decimal_point or ".")
        return SQL(
            "concat_ws(' · ', COALESCE(hl.name->>%s, hl.name->>'en_US'), "
            "CASE WHEN hc.position = 'after' THEN %s || ' ' || hc.symbol "
            "ELSE hc.symbol || ' ' || %s END)",
            lang_code, number, number)

    def _search(self, domain, *args, **kwargs):
        # A view over other models' tables: what the ORM holds in memory must be in them.
        self.env.flush_all()
        return super()._search(domain, *args, **kwargs)

    # === ACTIONS === #

    def action_open(self):
        """The record behind the item, where the collector acts."""
        self.ensure_one()
        target = (self.move_id or self.message_id or self.promise_id or self.notification_id
                  or self.partner_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": target._name,
            "res_id": target.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_done(self):
        """Ask what came of the items, then close them (the wizard calls ``_close``)."""
        self.check_access("read")
        if any(item.kind == "payment" for item in self):
            raise UserError(self.env._(
                "A payment to review leaves the queue when it is applied or rejected on "
                "its payment notification."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Close Work Items"),
            "res_model": "cobranza.work.item.close",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _close(self, outcome, note=None):
        """Handled, with `outcome`: the hand-off ends and the reminders resume for the
        customer in the item's company (a dispute is cleared, a reply or a broken promise
        leaves the queue); the customer's history says who closed it and how, and the
        collection calls planned for it are done.

        Collectors read invoices but do not edit them (that is the accountants' right):
        closing the item clears the flags as superuser, once the item itself (the queue's
        access rights and company rule) is the collector's to close."""
        self.check_access("read")
        done = self.env["cobranza.work.done"]
        labels = dict(self.env["cobranza.work.item.close"]._fields["outcome"]
                      ._description_selection(self.env))
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        call = self.env.ref("cobranza_whatsapp.mail_activity_type_collection_call")
        for item in self:
            if item.kind == "payment":
                raise UserError(self.env._(
                    "A payment to review leaves the queue when it is applied or rejected on "
                    "its payment notification."))
            if item.kind == "handoff":
                item.move_id.sudo().cobranza_handoff = False
            elif item.kind == "dispute":
                item.move_id.sudo().cobranza_disputed = False
            else:
                done._mark(item.kind, item.message_id.id or item.promise_id.id)
                item.message_id.sudo().filtered("needs_person").needs_person = False
                item.message_id._resolve_by_person()
            partner = item.partner_id.sudo().with_company(item.company_id)
            if partner.cobranza_handoff:
                partner.cobranza_handoff = False
            body = plaintext2html(self.env._(
                "%(kind)s closed by %(user)s: %(outcome)s.", kind=kinds[item.kind],
                user=self.env.user.name, outcome=labels[outcome],
            ) + (f"\n{note}" if note else ""))
            for record in (partner, item.move_id.sudo()):
                if record:
                    record.message_post(body=body, message_type="comment",
                                        subtype_xmlid="mail.mt_note")
            partner.activity_ids.filtered(lambda a: a.activity_type_id == call).action_feedback(
                feedback=labels[outcome])
        return True
