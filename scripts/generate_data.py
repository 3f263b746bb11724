"""Fill a database with realistic customers and open invoices in every aging bucket.

Used by the demo (`make demo`), the benchmarks (`bench/`) and by hand:

    .venv/bin/python scripts/generate_data.py -d DB --partners 20000 --invoices 100000

Invoices go through the ORM (created in batches, then posted), so the ledger is exactly
what Odoo itself would write; the generator only saves time by batching.
"""

import argparse
import contextlib
import datetime
import logging
import os
import random
import sys
import time

_logger = logging.getLogger("cobranza.generate")

FIRST_NAMES = [
    "María", "José", "Luis", "Ana", "Carlos", "Rosa", "Jorge", "Lucía", "Miguel", "Carmen",
    "Juan", "Elena", "Pedro", "Sofía", "Diego", "Valeria", "Andrés", "Camila", "Fernando",
    "Gabriela", "Ricardo", "Patricia", "Javier", "Daniela", "Raúl", "Mariana",
]
LAST_NAMES = [
    "García", "Rodríguez", "Quispe", "Mamani", "Hernández", "López", "Martínez", "Flores",
    "Torres", "Ramírez", "Castillo", "Vargas", "Rojas", "Gómez", "Díaz", "Chávez", "Huamán",
    "Morales", "Sánchez", "Pérez", "Gutiérrez", "Romero", "Navarro", "Jiménez",
]
BUSINESSES = [
    "Bodega", "Ferretería", "Farmacia", "Minimarket", "Distribuidora", "Panadería",
    "Librería", "Taller", "Restaurante", "Comercial", "Inversiones", "Servicios",
]

# country code, share of customers, language, time zone, currency, phone maker
COUNTRIES = [
    ("PE", 0.45, "es_419", "America/Lima", "PEN",
     lambda r: f"+51 9{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}"),
    ("MX", 0.15, "es_419", "America/Mexico_City", "MXN",
     lambda r: f"+52 55 {r.randint(1000, 9999)} {r.randint(1000, 9999)}"),
    ("CO", 0.12, "es_419", "America/Bogota", "COP",
     lambda r: f"+57 3{r.randint(10, 25)} {r.randint(100, 999)} {r.randint(1000, 9999)}"),
    ("CL", 0.10, "es_419", "America/Santiago", "CLP",
     lambda r: f"+56 9 {r.randint(5000, 9999)} {r.randint(1000, 9999)}"),
    ("AR", 0.08, "es_419", "America/Argentina/Buenos_Aires", "ARS",
     lambda r: f"+54 9 11 {r.randint(2000, 6999)} {r.randint(1000, 9999)}"),
    ("ES", 0.10, "es_ES", "Europe/Madrid", "EUR",
     lambda r: f"+34 6{r.randint(10, 99)} {r.randint(100, 999)} {r.randint(100, 999)}"),
]

# Aging buckets as (share of invoices, days overdue range). Negative = not yet due.
BUCKETS = [
    (0.18, (-30, -4)),    # not yet due
    (0.07, (-3, -1)),     # due in 1-3 days
    (0.05, (0, 0)),       # due today
    (0.18, (1, 7)),
    (0.20, (8, 30)),
    (0.14, (31, 60)),
    (0.08, (61, 90)),
    (0.10, (91, 240)),
]


def _pick(rng, weighted):
    x = rng.random()
    acc = 0.0
    for item in weighted:
        acc += item[0]
        if x <= acc:
            return item
    return weighted[-1]


def _pick_country(rng):
    x = rng.random()
    acc = 0.0
    for country in COUNTRIES:
        acc += country[1]
        if x <= acc:
            return country
    return COUNTRIES[0]


def _activate_languages(env):
    """The customers' languages must be active, or Odoo cannot render their messages."""
    for code in {country[2] for country in COUNTRIES}:
        env["res.lang"]._activate_lang(code)


def partner_values(rng, index, countries_by_code, now):
    code, _share, lang, tz, _currency, phone_maker = _pick_country(rng)
    if rng.random() < 0.4:
        name = f"{rng.choice(BUSINESSES)} {rng.choice(LAST_NAMES)} {index}"
        is_company = True
    else:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
        is_company = False
    roll = rng.random()
    vals = {
        "name": name,
        "is_company": is_company,
        "country_id": countries_by_code[code],
        "lang": lang,
        "tz": tz,
        "email": f"cliente{index}@example.com",
        "customer_rank": 1,
    }
    if roll < 0.04:
        pass  # no phone at all: falls back to e-mail
    else:
        vals["phone"] = phone_maker(rng)
    if roll >= 0.04 and roll < 0.09:
        pass  # a phone but no recorded consent
    elif roll >= 0.09 and roll < 0.11:
        vals["cobranza_optin_date"] = now - datetime.timedelta(days=200)
        vals["cobranza_optin_source"] = "Contrato"
        vals["cobranza_optout_date"] = now - datetime.timedelta(days=10)
        vals["cobranza_optout_reason"] = "Pidió no recibir mensajes"
    elif roll >= 0.04:
        vals["cobranza_optin_date"] = now - datetime.timedelta(days=rng.randint(30, 700))
        vals["cobranza_optin_source"] = rng.choice(
            ["Contrato de crédito", "Formulario web", "Mensaje de WhatsApp", "Tienda"]
        )
    return vals


def generate(env, partners=200, invoices=1000, seed=42, today=None, batch_size=500,
             partial_share=0.1, commit=False, currencies=True):
    """Create the customers and post the invoices; returns (partners, invoice count)."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    now = datetime.datetime.combine(today, datetime.time(12, 0))
    _activate_languages(env)
    company = env.company
    countries_by_code = {
        c.code: c.id for c in env["res.country"].search([("code", "in", [c[0] for c in COUNTRIES])])
    }
    currency_by_code = {}
    if currencies:
        for code in {c[4] for c in COUNTRIES}:
            currency = env["res.currency"].with_context(active_test=False).search(
                [("name", "=", code)], limit=1
            )
            if currency and currency != company.currency_id:
                currency.active = True
                if not currency.rate_ids:
                    rate = {"PEN": 1.0, "MXN": 5.4, "COP": 1150.0, "CLP": 255.0, "ARS": 280.0,
                            "EUR": 0.25, "USD": 0.27}.get(code, 1.0)
                    env["res.currency.rate"].create({
                        "currency_id": currency.id, "rate": rate,
                        "name": today - datetime.timedelta(days=365),
                        "company_id": company.id,
                    })
            currency_by_code[code] = (currency or company.currency_id).id
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    started = time.monotonic()
    partner_ids = []
    for start in range(0, partners, batch_size):
        vals_list = [
            partner_values(rng, i, countries_by_code, now)
            for i in range(start, min(start + batch_size, partners))
        ]
        partner_ids.extend(env["res.partner"].create(vals_list).ids)
        if commit:
            env.cr.commit()  # pylint: disable=invalid-commit
    _logger.info("%s customers in %.1fs", len(partner_ids), time.monotonic() - started)

    partner_records = env["res.partner"].browse(partner_ids)
    country_of = {p.id: p.country_id.code for p in partner_records}
    created = 0
    started = time.monotonic()
    for start in range(0, invoices, batch_size):
        vals_list = []
        for _i in range(start, min(start + batch_size, invoices)):
            partner_id = rng.choice(partner_ids)
            _share, (low, high) = _pick(rng, BUCKETS)
            days_overdue = rng.randint(low, high)
            due = today - datetime.timedelta(days=days_overdue)
            amount = round(rng.choice([rng.uniform(80, 900), rng.uniform(900, 6000)]), 2)
            country = country_of[partner_id]
            currency_id = company.currency_id.id
            if currencies and country in ("MX", "ES") and rng.random() < 0.7:
                currency_id = currency_by_code.get(
                    {"MX": "MXN", "ES": "EUR"}[country], company.currency_id.id
                )
                amount = round(amount * {"MX": 5.4, "ES": 0.25}[country], 2)
            vals_list.append({
                "move_type": "out_invoice",
                "partner_id": partner_id,
                "journal_id": journal.id,
                "currency_id": currency_id,
                "invoice_date": min(due - datetime.timedelta(days=30), today),
                "invoice_date_due": due,
                "invoice_line_ids": [(0, 0, {
                    "name": rng.choice(["Mercadería", "Servicio mensual", "Suministros",
                                        "Mantenimiento", "Consultoría"]),
                    "quantity": 1,
                    "price_unit": amount,
                    "tax_ids": [(6, 0, [])],
                })],
            })
        moves = env["account.move"].create(vals_list)
        # The due date must survive posting: without a payment term it is taken as given.
        moves.action_post()
        created += len(moves)
        partial = moves.filtered(lambda m: rng.random() < partial_share)
        if partial:
            _register_partial_payments(env, partial, rng)
        if commit:
            env.cr.commit()  # pylint: disable=invalid-commit
        env.invalidate_all()
        _logger.info("%s/%s invoices posted", created, invoices)
    _logger.info("%s invoices in %.1fs", created, time.monotonic() - started)
    return partner_records, created


MONEY_COLUMNS_MOVE = (
    "amount_untaxed", "amount_tax", "amount_total", "amount_residual", "amount_untaxed_signed",
    "amount_untaxed_in_currency_signed", "amount_tax_signed", "amount_total_signed",
    "amount_total_in_currency_signed", "amount_residual_signed",
)
MONEY_COLUMNS_LINE = (
    "balance", "debit", "credit", "amount_currency", "amount_residual",
    "amount_residual_currency", "price_unit", "price_subtotal", "price_total",
)


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name != 'id' ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in cr.fetchall()]


def clone_invoices(env, seed, specs, tag):
    """Copy a posted seed invoice once per spec, in SQL, with partner, dates and amounts
    changed: the ledger rows are Odoo's own (same columns, amounts scaled), written in bulk.
    `specs` is a list of (partner_id, invoice_date, due_date, amount)."""
    cr = env.cr
    cr.execute("CREATE TEMP TABLE IF NOT EXISTS gen_spec (idx int, partner_id int, "
               "inv_date date, due date, factor numeric, seq int) ON COMMIT DROP")
    cr.execute("TRUNCATE gen_spec")
    cr.execute("SELECT COALESCE(max(sequence_number), 0) FROM account_move "
               "WHERE journal_id = %s AND sequence_prefix = %s",
               (seed.journal_id.id, seed.sequence_prefix))
    start = cr.fetchone()[0]
    seed_amount = seed.amount_total
    rows = [(i, pid, inv, due, amount / seed_amount, start + i + 1)
            for i, (pid, inv, due, amount) in enumerate(specs)]
    for chunk in range(0, len(rows), 5000):
        part = rows[chunk:chunk + 5000]
        cr.execute(
            "INSERT INTO gen_spec SELECT * FROM unnest(%s::int[], %s::int[], %s::date[], "
            "%s::date[], %s::numeric[], %s::int[])",
            ([r[0] for r in part], [r[1] for r in part], [r[2] for r in part],
             [r[3] for r in part], [r[4] for r in part], [r[5] for r in part]),
        )
    move_cols = _columns(cr, "account_move")
    number = "src.sequence_prefix || lpad(s.seq::text, greatest(5, length(s.seq::text)), '0')"
    overrides = {
        "name": number,
        "sequence_number": "s.seq",
        "partner_id": "s.partner_id",
        "commercial_partner_id": "s.partner_id",
        "invoice_date": "s.inv_date",
        "date": "s.inv_date",
        "invoice_date_due": "s.due",
        "ref": f"'{tag}:' || s.idx",
        "payment_reference": number,
        "access_token": "NULL",
        "invoice_partner_display_name": "p.name",
        "message_main_attachment_id": "NULL",
        "inalterable_hash": "NULL",
        "secure_sequence_number": "NULL",
        "cobranza_level_id": "NULL",
        "cobranza_level_date": "NULL",
    }
    for col in MONEY_COLUMNS_MOVE:
        overrides[col] = f"round(src.{col} * s.factor, 2)"
    select = ", ".join(overrides.get(c, f"src.{c}") for c in move_cols)
    cr.execute(
        f"INSERT INTO account_move ({', '.join(move_cols)}) "  # noqa: S608 - column names
        f"SELECT {select} FROM gen_spec s JOIN account_move src ON src.id = %s "
        "JOIN res_partner p ON p.id = s.partner_id",
        (seed.id,),
    )
    line_cols = _columns(cr, "account_move_line")
    line_overrides = {
        "move_id": "m.id",
        "partner_id": "s.partner_id",
        "date": "s.inv_date",
        "invoice_date": "s.inv_date",
        "move_name": "m.name",
        "date_maturity": "CASE WHEN l.date_maturity IS NOT NULL THEN s.due END",
        "matching_number": "NULL",
        "full_reconcile_id": "NULL",
        "reconciled": "FALSE",
    }
    for col in MONEY_COLUMNS_LINE:
        line_overrides[col] = f"round(l.{col} * s.factor, 2)"
    line_select = ", ".join(line_overrides.get(c, f"l.{c}") for c in line_cols)
    cr.execute(
        f"INSERT INTO account_move_line ({', '.join(line_cols)}) "  # noqa: S608
        f"SELECT {line_select} FROM gen_spec s "
        "JOIN account_move m ON m.ref = %s || ':' || s.idx "
        "JOIN account_move_line l ON l.move_id = %s",
        (tag, seed.id),
    )
    cr.execute("UPDATE account_move SET ref = NULL WHERE ref LIKE %s", (f"{tag}:%",))
    env.invalidate_all()
    return len(specs)


def generate_fast(env, partners=20000, invoices=100000, seed=42, today=None, batch=20000):
    """The benchmark-scale generator: customers by the ORM, invoices cloned in SQL."""
    rng = random.Random(seed)
    today = today or datetime.date.today()
    now = datetime.datetime.combine(today, datetime.time(12, 0))
    _activate_languages(env)
    countries_by_code = {
        c.code: c.id for c in env["res.country"].search([("code", "in", [c[0] for c in COUNTRIES])])
    }
    started = time.monotonic()
    partner_ids = []
    for start in range(0, partners, 2000):
        vals_list = [partner_values(rng, i, countries_by_code, now)
                     for i in range(start, min(start + 2000, partners))]
        partner_ids.extend(env["res.partner"].create(vals_list).ids)
    _logger.info("%s customers in %.1fs", len(partner_ids), time.monotonic() - started)
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1)
    seed_move = env["account.move"].create({
        "move_type": "out_invoice", "partner_id": partner_ids[0], "journal_id": journal.id,
        "invoice_date": today, "invoice_date_due": today,
        "invoice_line_ids": [(0, 0, {"name": "Mercadería", "quantity": 1, "price_unit": 100.0,
                                     "tax_ids": [(6, 0, [])]})],
    })
    seed_move.action_post()
    # The clones are copied from the seed's rows in SQL: its posted state (the lines'
    # parent_state, the receivable line's name) must be in the table first, not in the cache.
    env.flush_all()
    started = time.monotonic()
    created = 0
    for start in range(0, invoices, batch):
        specs = []
        for _i in range(start, min(start + batch, invoices)):
            _share, (low, high) = _pick(rng, BUCKETS)
            due = today - datetime.timedelta(days=rng.randint(low, high))
            amount = round(rng.choice([rng.uniform(80, 900), rng.uniform(900, 6000)]), 2)
            specs.append((rng.choice(partner_ids), min(due - datetime.timedelta(days=30), today),
                          due, amount))
        created += clone_invoices(env, seed_move, specs, f"gen{seed}x{start}")
        env.cr.commit()  # pylint: disable=invalid-commit
        _logger.info("%s/%s invoices", created, invoices)
    env.cr.execute("ANALYZE account_move, account_move_line, res_partner")
    _logger.info("%s invoices in %.1fs", created, time.monotonic() - started)
    return partner_ids, created


def _register_partial_payments(env, moves, rng):
    for move in moves:
        amount = round(move.amount_residual * rng.uniform(0.2, 0.6), 2)
        wizard = env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"amount": amount, "payment_date": move.invoice_date})
        wizard._create_payments()


@contextlib.contextmanager
def odoo_env(database):
    """An Odoo environment on `database`, as superuser, committed on success."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    odoo_path = os.environ.get("ODOO_PATH", "/opt/odoo")
    import odoo  # noqa: PLC0415 - Odoo is on the path only once the venv is set up
    from odoo.modules.registry import Registry  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    config.parse_config([
        "-d", database,
        f"--addons-path={odoo_path}/odoo/addons,{odoo_path}/addons,{root}",
        "--log-level=warn",
    ])
    logging.getLogger("cobranza").setLevel(logging.INFO)
    registry = Registry(database)
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.api.SUPERUSER_ID, {})
        cr.commit()  # pylint: disable=invalid-commit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--partial-share", type=float, default=0.1)
    parser.add_argument("--fast", action="store_true",
                        help="clone invoices in SQL (benchmark scale, no partial payments)")
    args = parser.parse_args()
    with odoo_env(args.database) as env:
        if args.fast:
            generate_fast(env, args.partners, args.invoices, seed=args.seed)
        else:
            generate(env, args.partners, args.invoices, seed=args.seed,
                     batch_size=args.batch_size, partial_share=args.partial_share,
                     commit=True)


if __name__ == "__main__":
    sys.exit(main())
