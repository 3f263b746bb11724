"""19.0.1.1.0: a customer's collection state is each company's own.

The fields became company-dependent (one value per company in a jsonb column). Odoo would
convert a character column as a translation, so each column is rebuilt here: the value a
customer had, shared until now, is kept for every company. The three former stored
computes (risk, customer type, consent) are computed from these and their columns go.
"""

from odoo.tools import SQL

COLUMNS = {
    "cobranza_risk_computed": "text", "cobranza_risk_manual": "text",
    "cobranza_risk_reason": "text", "cobranza_type_computed": "text",
    "cobranza_type_manual": "text", "cobranza_collector_id": "int",
    "cobranza_optin_date": "datetime", "cobranza_optin_source": "text",
    "cobranza_optout_date": "datetime", "cobranza_optout_reason": "text",
    "cobranza_window_until": "datetime", "cobranza_handoff": "bool",
    "cobranza_broken_promises": "int", "cobranza_pay_probability": "int",
    "cobranza_pay_probability_reason": "text",
}
FORMER_COMPUTES = ("cobranza_risk", "cobranza_customer_type", "cobranza_consent")


def migrate(cr, version):
    cr.execute(SQL(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'res_partner' AND column_name = ANY(%s)",
        [*COLUMNS, *FORMER_COMPUTES],
    ))
    types = dict(cr.fetchall())
    for column, kind in COLUMNS.items():
        if types.get(column, "jsonb") == "jsonb":
            continue
        old = SQL.identifier(f"{column}_shared")
        # Odoo keeps a company-dependent datetime as its string form.
        value = SQL("to_jsonb(to_char(p.%s, 'YYYY-MM-DD HH24:MI:SS'))", old) \
            if kind == "datetime" else SQL("to_jsonb(p.%s)", old)
        skip = SQL("AND p.%s", old) if kind == "bool" else SQL("")
        cr.execute(SQL("ALTER TABLE res_partner RENAME COLUMN %s TO %s",
                       SQL.identifier(column), old))
        cr.execute(SQL("ALTER TABLE res_partner ADD COLUMN %s jsonb", SQL.identifier(column)))
        cr.execute(SQL(
            """
            UPDATE res_partner p
               SET %(new)s = (SELECT jsonb_object_agg(c.id::text, %(value)s) FROM res_company c)
             WHERE p.%(old)s IS NOT NULL %(skip)s
            """,
            new=SQL.identifier(column), value=value, old=old, skip=skip,
        ))
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN %s", old))
    for column in FORMER_COMPUTES:
        if column in types:
            cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN %s", SQL.identifier(column)))
