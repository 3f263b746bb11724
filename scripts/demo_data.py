"""Build the demo: a company collecting in Peru, customers across Latin America and Spain,
invoices in every aging bucket, a sandbox WhatsApp account with approved templates, and
one run of the cadence and the sender so the demo shows the whole flow.

    .venv/bin/python scripts/demo_data.py -d cobranza_demo
"""

import argparse
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate_data import generate, odoo_env  # noqa: E402


def build_demo(env):
    company = env.company
    pen = env.ref("base.PEN")
    pen.active = True
    company.write({
        "name": "Distribuidora Andina S.A.C.",
        "country_id": env.ref("base.pe").id,
        "street": "Av. Javier Prado Este 1234",
        "city": "Lima",
        "phone": "+51 1 555 0100",
        "email": "cobranzas@distribuidora-andina.example",
    })
    if company.currency_id != pen and not env["account.move.line"].search_count([], limit=1):
        company.currency_id = pen
    # Latin-American Spanish with every installed module's translations (ours included),
    # so the demo reads as its users will see it; Spain's locale for its customers' formats.
    latam = env["res.lang"]._activate_lang("es_419")
    env["base.language.install"].create({"lang_ids": [(6, 0, latam.ids)]}).lang_install()
    env["res.lang"]._activate_lang("es_ES")
    env.ref("base.user_admin").write({"lang": "es_419", "tz": "America/Lima"})
    company.partner_id.lang = "es_419"  # the automation's notes are in the company's language
    env["ir.config_parameter"].set_param("account_payment.enable_portal_payment", "True")
    # How customers pay: what the automatic "¿a qué cuenta deposito?" answer tells.
    if not company.partner_id.bank_ids:
        bank = env["res.bank"].create({"name": "Banco de Crédito del Perú", "bic": "BCPLPEPL"})
        env["res.partner.bank"].create({
            "partner_id": company.partner_id.id, "bank_id": bank.id,
            "acc_number": "193-1234567-0-89", "currency_id": pen.id,
            "allow_out_payment": True,
        })
    company.cobranza_how_to_pay_text = (
        "Puede pagar por transferencia o depósito a nuestra cuenta del BCP, por Yape o Plin "
        "al 987 654 321, o en línea con tarjeta desde el enlace de cada factura. Envíenos "
        "la constancia por este chat.")

    account = env["cobranza.whatsapp.account"].search([("company_id", "=", company.id)],
                                                       limit=1)
    if not account:
        account = env["cobranza.whatsapp.account"].create({
            "name": "WhatsApp Cobranzas (sandbox)",
            "company_id": company.id,
            "mode": "sandbox",
            "display_phone_number": "+51 1 555 0100",
            # A third of the simulated customers answer, so the work queue has replies.
            "sandbox_reply_rate": 30,
        })
    templates = env["cobranza.whatsapp.template"].search([("company_id", "=", company.id)])
    templates.write({"account_id": account.id})
    templates.filtered(lambda t: t.status == "draft").action_submit()

    today = datetime.date.today()
    partners, count = generate(env, partners=60, invoices=240, seed=7, today=today)
    print(f"Demo: {len(partners)} customers, {count} invoices")  # noqa: T201
    # The cadence runs as on the last business day at 10:00 in Lima, so that a demo built
    # at night or on a weekend still shows messages sent, delivered and read.
    run_at = datetime.datetime.combine(today, datetime.time(15, 0))
    while run_at.weekday() >= 5 or run_at > datetime.datetime.now():
        run_at -= datetime.timedelta(days=1)
    stats = env["cobranza.cadence"]._run(company, now=run_at, today=run_at.date())
    print(f"Cadence (as of {run_at:%A %Y-%m-%d %H:%M} UTC): {stats}")  # noqa: T201
    sent = env["cobranza.message"]._process_queue(now=run_at + datetime.timedelta(hours=2))
    # The customers who wrote back get their automatic answers now (and tap their options).
    env["cobranza.message"]._process_queue()
    queued = env["cobranza.message"].search_count([("state", "=", "queued")])
    print(f"Sender: {sent} messages processed, {queued} waiting for their contact window")  # noqa: T201


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    args = parser.parse_args()
    with odoo_env(args.database) as env:
        build_demo(env)


if __name__ == "__main__":
    sys.exit(main())
