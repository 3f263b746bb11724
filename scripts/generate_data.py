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
    args = parser.parse_args()
    with odoo_env(args.database) as env:
        generate(env, args.partners, args.invoices, seed=args.seed,
                 batch_size=args.batch_size, partial_share=args.partial_share, commit=True)


if __name__ == "__main__":
    sys.exit(main())
