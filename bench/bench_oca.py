"""OCA account_credit_control beside our cadence, on the same open invoices in one database.

    .venv/bin/python bench/bench_oca.py [--invoices 100000] [--customers 20000]

Builds one database with cobranza_whatsapp and OCA's account_credit_control (19.0 wheel from
PyPI, unpacked into var/oca-addons on first use, never committed), fills it with our
generator, gives OCA a policy whose levels mirror ours, then times, warm and each rolled
back afterwards so both start from the same data:

- OCA: a credit control run for today, `credit.control.run.generate_credit_lines()` (the
  "Compute Credit Lines" button: selects the due receivable lines, matches them to levels,
  creates the draft credit control lines), flushed; then, reported apart, the run's
  `set_to_ready_lines()` (the "Change state to To Do" button, marking them to be sent);
- ours: `cobranza.cadence._run(company, now=..., today=...)`, as bench_cadence.py does
  (evaluates, records the steps, queues the messages), flushed.

Invoices per second are the open invoices of the measured customers divided by the seconds,
the same count for both, so the ratio is OCA's seconds over ours. When a short probe says
OCA would need more than --max-oca-seconds on every customer, both are measured on the
first customers covering --subset invoices and OCA's full figure is extrapolated, labelled.
"""

import argparse
import datetime
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oca_addons  # noqa: E402
from common import ROOT, cadence_data, create_database, machine, odoo_env  # noqa: E402

import odoo.addons  # noqa: E402

OCA_ADDON = "account_credit_control"
PROBE_INVOICES = 2000
# Tables either run writes or reads; vacuumed before each timed run so neither pays for
# the other's dead rows (both runs are rolled back).
VACUUM_TABLES = ("account_move", "account_move_line", "res_partner", "credit_control_line",
                 "credit_control_run", "cobranza_step", "cobranza_message", "mail_message",
                 "mail_followers")
# Our channels in OCA's terms: OCA has letter, e-mail and phone; e-mail is its electronic one.
OCA_CHANNEL = {"whatsapp": "email", "sms": "email", "email": "email", "call": "phone",
               "letter": "letter"}


def odoo_bin(*args, log):
    odoo_path = os.environ.get("ODOO_PATH", "/opt/odoo")
    addons_path = ",".join([f"{odoo_path}/odoo/addons", f"{odoo_path}/addons", ROOT,
                            oca_addons.ADDONS])
    with open(log, "w", encoding="utf-8") as handle:
        subprocess.run([sys.executable, os.path.join(odoo_path, "odoo-bin"),
                        f"--addons-path={addons_path}", "--no-http", "--stop-after-init",
                        *args], stdout=handle, stderr=subprocess.STDOUT, check=True)
    with open(log, encoding="utf-8") as handle:
        problems = [line for line in handle if " ERROR " in line or " CRITICAL " in line]
    if problems:
        sys.exit(f"installing {OCA_ADDON} logged errors (see {log}):\n{''.join(problems[:10])}")


def vacuum(database):
    """Outside the benchmark's transaction: VACUUM cannot run inside one."""
    subprocess.run(["psql", "-q", "-d", database, "-c",
                    f"VACUUM ANALYZE {', '.join(VACUUM_TABLES)}"], check=True)


# === BUILDING THE DATABASE === #

def build(args, addons):
    var = os.path.join(ROOT, "var")
    create_database(args.database, os.path.join(var, "bench-oca-install.log"))
    odoo_bin("-d", args.database, "-i", ",".join(addons), "--log-level=info",
             log=os.path.join(var, "bench-oca-install-oca.log"))
    with odoo_env(args.database) as env:
        company = cadence_data(env, args.customers, args.invoices)
        configure_oca_policy(env, company)


def configure_oca_policy(env, company):
    """One OCA level per level of ours that OCA can express, the company's default policy."""
    template = env.ref("account_credit_control.email_template_credit_control_base")
    levels = env["cobranza.level"].search([("company_id", "=", company.id)],
                                          order="offset_days, id")
    level_vals = []
    for level in levels.filtered(lambda lv: lv.offset_days >= 0):
        level_vals.append((0, 0, {
            "name": level.name,
            "level": len(level_vals) + 1,
            "computation_mode": "net_days",
            "delay_days": level.offset_days,
            "channel": OCA_CHANNEL.get(level.channel, "email"),
            "email_template_id": template.id,
            "custom_text": level.name,
            "custom_mail_text": f"<p>{level.name}</p>",
        }))
    receivables = env["account.account"].search([
        ("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id)])
    policy = env["credit.control.policy"].create({
        "name": "Cobranza levels (bench)",
        "company_id": company.id,
        "account_ids": [(6, 0, receivables.ids)],
        "level_ids": level_vals,
    })
    company.credit_policy_id = policy


# === MEASURING === #

def open_invoices_by_customer(env, company):
    env.cr.execute(
        "SELECT commercial_partner_id, count(*) FROM account_move "
        "WHERE move_type = 'out_invoice' AND state = 'posted' "
        "AND payment_state IN ('not_paid', 'partial') AND amount_residual > 0 "
        "AND company_id = %s GROUP BY 1 ORDER BY 1",
        (company.id,),
    )
    return env.cr.fetchall()


def first_customers(counts, invoices):
    """The first customers (by id) whose open invoices add up to at least `invoices`."""
    chosen, total = [], 0
    for partner_id, count in counts:
        if total >= invoices:
            break
        chosen.append(partner_id)
        total += count
    return chosen, total


def run_oca(env, policy, today, partner_ids=None):
    """OCA's run for `today`; on a subset, the subset's customers carry the policy instead
    of the company (OCA's own per-customer setting), so OCA reads only their lines."""
    cr = env.cr
    company = env.company
    if partner_ids is not None:
        company.credit_policy_id = False
        env["res.partner"].browse(partner_ids).write({"credit_policy_id": policy.id})
        env.flush_all()
    queries = cr.sql_log_count
    started = time.monotonic()
    run = env["credit.control.run"].create({
        "date": today, "policy_ids": [(6, 0, policy.ids)], "company_id": company.id})
    run.generate_credit_lines()
    env.flush_all()
    lines_seconds = time.monotonic() - started
    lines_queries = cr.sql_log_count - queries
    cr.execute("SELECT channel, level, count(*) FROM credit_control_line WHERE run_id = %s "
               "GROUP BY 1, 2 ORDER BY 2, 1", (run.id,))
    made = cr.fetchall()
    started = time.monotonic()
    run.set_to_ready_lines()
    env.flush_all()
    ready_seconds = time.monotonic() - started
    return {"seconds": lines_seconds, "queries": lines_queries, "ready_seconds": ready_seconds,
            "lines": sum(row[2] for row in made), "made": made,
            "manual": len(run.manual_ids)}


def run_ours(env, today, now, partner_ids=None):
    cr = env.cr
    queries = cr.sql_log_count
    started = time.monotonic()
    stats = env["cobranza.cadence"]._run(env.company, now=now, today=today,
                                         partner_ids=partner_ids)
    env.flush_all()
    return {"seconds": time.monotonic() - started, "queries": cr.sql_log_count - queries,
            "stats": stats}


def rolled_back(env, measure, *args, **kwargs):
    """Measure from the data as generated, and leave it so."""
    vacuum(env.cr.dbname)
    try:
        return measure(env, *args, **kwargs)
    finally:
        env.cr.rollback()
        env.cr.reset()


def measure_all(args):
    with odoo_env(args.database) as env:
        company = env.company
        policy = company.credit_policy_id
        if not policy:
            sys.exit(f"{args.database} has no OCA policy on its company: run without --reuse")
        today = datetime.date.today()
        # A weekday at 15:00 UTC: inside most contact windows, so our run does full work.
        now = datetime.datetime.combine(today, datetime.time(15, 0))
        counts = open_invoices_by_customer(env, company)
        env.cr.rollback()
        total = sum(count for _partner, count in counts)
        results = {"total": total, "customers": len(counts), "policy": policy.name,
                   "levels": policy.level_ids.mapped(
                       lambda lv: (lv.level, lv.delay_days, lv.channel))}

        # Warm-up and probe: a few customers through both, rolled back.
        probe, probe_invoices = first_customers(counts, PROBE_INVOICES)
        rolled_back(env, run_ours, today, now, probe)
        oca_probe = rolled_back(env, run_oca, policy, today, probe)
        estimate = oca_probe["seconds"] * total / probe_invoices
        results["probe"] = (probe_invoices, len(probe), oca_probe["seconds"], estimate)

        subset = args.subset
        if subset is None:
            subset = args.subset_size if estimate > args.max_oca_seconds else 0
        if subset and subset < total:
            partner_ids, invoices = first_customers(counts, subset)
        else:
            partner_ids, invoices = None, total
        results["scope"] = (invoices, len(partner_ids) if partner_ids else len(counts),
                            partner_ids is not None)
        results["ours"] = rolled_back(env, run_ours, today, now, partner_ids)
        results["oca"] = rolled_back(env, run_oca, policy, today, partner_ids)
        if partner_ids is not None:
            results["ours_full"] = rolled_back(env, run_ours, today, now)
    return results


# === REPORT === #

def report(results, wheel):
    total = results["total"]
    invoices, customers, is_subset = results["scope"]
    ours, oca = results["ours"], results["oca"]
    print(f"machine: {machine()}")
    print("load average (1 min) before / after measuring: {:.2f} / {:.2f} (above 0 is other "
          "work sharing the cores)".format(*results["load"]))
    print(f"OCA: {OCA_ADDON} {oca_addons.manifest(OCA_ADDON)['version']} from {wheel}")
    levels = ", ".join(f"L{n} +{days}d {channel}" for n, days, channel in results["levels"])
    print(f"OCA policy '{results['policy']}' (company default, net days): {levels}")
    print(f"data: {total} open invoices of {results['customers']} customers")
    probe_invoices, probe_customers, probe_seconds, estimate = results["probe"]
    print(f"probe (warm-up, rolled back): OCA {probe_seconds:.2f}s on {probe_invoices} "
          f"invoices of {probe_customers} customers -> about {estimate:.0f}s for all")
    scope = (f"SUBSET: the first {customers} customers, {invoices} open invoices"
             if is_subset else f"all {customers} customers, {invoices} open invoices")
    print(f"measured on {scope}")
    made = ", ".join(f"L{level} {channel} {count}" for channel, level, count in oca["made"])
    print(f"OCA generate_credit_lines(): {oca['seconds']:.2f}s, "
          f"{invoices / oca['seconds']:,.0f} invoices/s, {oca['queries']} SQL queries")
    print(f"  credit control lines created {oca['lines']} ({made or 'none'}), left to handle "
          f"manually {oca['manual']}")
    print(f"  then set_to_ready_lines() (mark To Do): {oca['ready_seconds']:.2f}s; both "
          f"{oca['seconds'] + oca['ready_seconds']:.2f}s = "
          f"{invoices / (oca['seconds'] + oca['ready_seconds']):,.0f} invoices/s")
    stats = ours["stats"]
    print(f"ours cobranza.cadence._run(): {ours['seconds']:.2f}s, "
          f"{invoices / ours['seconds']:,.0f} invoices/s, {ours['queries']} SQL queries")
    print(f"  evaluated {stats['invoices']} invoices of {stats['customers']} customers; steps "
          f"{stats['steps']}, messages queued {stats['messages']}, hand-offs "
          f"{stats['handoffs']}, skipped {stats['skipped']}, deferred {stats['deferred']}")
    ratio = oca["seconds"] / ours["seconds"]
    print(f"ratio ours / OCA (invoices per second, compute lines): {ratio:.1f}x "
          f"(target >= 5x: {'met' if ratio >= 5 else 'NOT met'})")
    print(f"ratio ours / OCA (compute lines + mark To Do): "
          f"{(oca['seconds'] + oca['ready_seconds']) / ours['seconds']:.1f}x")
    if is_subset:
        full = results["ours_full"]
        print(f"EXTRAPOLATED, not measured: OCA on all {total} invoices ~ "
              f"{oca['seconds'] * total / invoices:.0f}s (linear from the subset)")
        print(f"ours measured on all {total} invoices: {full['seconds']:.2f}s, "
              f"{total / full['seconds']:,.0f} invoices/s")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100000, help="open invoices to generate")
    parser.add_argument("--customers", type=int, default=20000, help="customers to generate")
    parser.add_argument("--database", default="cobranza_bench_oca",
                        help="database to (re)create; dropped first unless --reuse")
    parser.add_argument("--reuse", action="store_true",
                        help="measure on the existing database as built by an earlier run")
    parser.add_argument("--subset", type=int, default=None, metavar="INVOICES",
                        help="measure both on the first customers covering this many invoices "
                             "(0: all); default: all, unless the probe says OCA needs more "
                             "than --max-oca-seconds, then --subset-size")
    parser.add_argument("--subset-size", type=int, default=10000, metavar="INVOICES",
                        help="the subset used when OCA is too slow for all invoices")
    parser.add_argument("--max-oca-seconds", type=float, default=900,
                        help="longest OCA run on all invoices this benchmark waits for")
    args = parser.parse_args()
    started = time.monotonic()
    os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
    addons = oca_addons.ensure(OCA_ADDON)
    if oca_addons.ADDONS not in odoo.addons.__path__:
        odoo.addons.__path__.append(oca_addons.ADDONS)
    if not args.reuse:
        build(args, addons)
    load_before = os.getloadavg()[0]
    results = measure_all(args)
    results["load"] = (load_before, os.getloadavg()[0])
    report(results, oca_addons.wheel_name(OCA_ADDON))
    print(f"benchmark wall time: {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
