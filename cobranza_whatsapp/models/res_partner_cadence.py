from odoo import api, fields, models
from odoo.tools import SQL, format_amount

# The columns of a score that nothing is computed from.
EXPLANATION_FIELDS = (
    "cobranza_risk_reason", "cobranza_pay_probability", "cobranza_pay_probability_reason",
)


class CobranzaPartnerCadence(models.AbstractModel):
    """The cadence's conclusions about customers, read and written in batches of SQL: a
    company-dependent value in SQL, the scores of a run, the hand-offs' activities.
    ``res.partner`` inherits it."""

    _name = "cobranza.partner.cadence"
    _description = "Collection Customer Cadence"

    @api.model
    def _cobranza_sql(self, alias, fname, company):
        """The value of the company-dependent field `fname` of the customer at `alias`, for
        `company`: a company id, or an SQL expression (a report's row company)."""
        field = self._fields[fname]
        assert field.company_dependent, fname
        key = SQL("%s", str(company)) if isinstance(company, int) else SQL("(%s)::text", company)
        value = SQL("(%s->>%s)", SQL.identifier(alias, fname), key)
        cast = {"many2one": "int4", "boolean": "bool", "integer": "int4",
                "datetime": "timestamp"}.get(field.type)
        return SQL("%s::%s", value, SQL(cast)) if cast else value

    @api.model
    def _cobranza_risk_sql(self, alias, company):
        """The risk segment in SQL, the override first (the rule of the risk's compute)."""
        return SQL("COALESCE(%s, %s)", self._cobranza_sql(alias, "cobranza_risk_manual", company),
                   self._cobranza_sql(alias, "cobranza_risk_computed", company))

    @api.model
    def _cobranza_store_scores(self, scores):
        """Write the scores that changed, in one statement per batch of customers.

        `scores` maps customer ids to ``tools.scoring.Score``. Measured on the cadence
        benchmark, one ORM ``write`` per distinct segment made a first run 1.5x slower
        (recomputing and tracking each customer's stored fields). The values are the
        current company's (the cadence runs with its company), in the fields' jsonb.
        """
        if not scores:
            return
        ids = list(scores)
        company = str(self.env.company.id)
        self.env.cr.execute(SQL(
            """
            UPDATE res_partner p
               SET cobranza_risk_computed = COALESCE(p.cobranza_risk_computed, '{}')
                       || jsonb_build_object(%(c)s, v.risk),
                   cobranza_type_computed = COALESCE(p.cobranza_type_computed, '{}')
                       || jsonb_build_object(%(c)s, v.ctype),
                   cobranza_risk_reason = COALESCE(p.cobranza_risk_reason, '{}')
                       || jsonb_build_object(%(c)s, v.reason),
                   cobranza_pay_probability = COALESCE(p.cobranza_pay_probability, '{}')
                       || jsonb_build_object(%(c)s, v.probability),
                   cobranza_pay_probability_reason = COALESCE(p.cobranza_pay_probability_reason,
                                                              '{}')
                       || jsonb_build_object(%(c)s, v.factors)
              FROM (SELECT unnest(%(ids)s::int[]) AS id, unnest(%(risk)s::varchar[]) AS risk,
                           unnest(%(ctype)s::varchar[]) AS ctype,
                           unnest(%(reason)s::text[]) AS reason,
                           unnest(%(prob)s::int[]) AS probability,
                           unnest(%(factors)s::text[]) AS factors) v
             WHERE p.id = v.id
               AND (p.cobranza_risk_computed->>%(c)s, p.cobranza_type_computed->>%(c)s,
                    p.cobranza_risk_reason->>%(c)s,
                    (p.cobranza_pay_probability->>%(c)s)::int,
                    p.cobranza_pay_probability_reason->>%(c)s)
                   IS DISTINCT FROM (v.risk, v.ctype, v.reason, v.probability, v.factors)
            """,
            c=company, ids=ids,
            **dict(zip(("risk", "ctype", "reason", "prob", "factors"),
                       ([scores[i][k] for i in ids] for k in range(5)), strict=True)),
        ))
        self.browse(ids).invalidate_recordset([
            "cobranza_risk_computed", "cobranza_type_computed", *EXPLANATION_FIELDS],
            flush=False)
        # The invoices show their customer's probability through related fields.
        self.env["account.move"].invalidate_model(
            ["cobranza_pay_probability", "cobranza_pay_probability_reason"], flush=False)

    @api.model
    def _cobranza_hand_off(self, company, handoffs):
        """A person takes over (the invoices were marked with their level): the collector
        gets an activity. `handoffs` are the cadence's (step, level, invoice ids)."""
        moves = self.env["account.move"].browse(
            [m for _step, _level, invoice_ids in handoffs for m in invoice_ids])
        partners = self.browse([step.partner_id for step, _l, _i in handoffs])
        partners.fetch(["cobranza_collector_id", "user_id", "name"])
        # The activities' document name, computed for the whole batch at once rather than
        # customer by customer inside mail.activity's compute.
        partners.mapped("display_name")
        moves.fetch(["name"])
        collectors = partners._cobranza_collectors(company)
        activity_type = self.env.ref("cobranza_whatsapp.mail_activity_type_collection_call")
        model_id = self.env["ir.model"]._get_id("res.partner")
        deadline = fields.Date.context_today(self)
        # One batched create, without the e-mail notification per activity: the collector
        # sees them in the activity menu; a run can hand over hundreds of cases.
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create([{
            "res_model_id": model_id,
            "res_id": step.partner_id,
            "activity_type_id": activity_type.id,
            "user_id": collectors[step.partner_id].id,
            "date_deadline": deadline,
            "summary": self.env._("Collection: %(level)s", level=level.name),
            "note": self.env._(
                "Invoices %(invoices)s, %(amount)s overdue. The automation waits while "
                "you own this case; see the Collections tab for the history.",
                invoices=", ".join(moves.browse(invoice_ids).mapped("name")),
                amount=format_amount(self.env, step.amount, company.currency_id),
            ),
        } for step, level, invoice_ids in handoffs])
