"""Cadence benchmark: one full run over 100,000 open invoices of 20,000 customers.

    .venv/bin/python bench/bench_cadence.py [--invoices 100000] [--partners 20000]

Prints seconds for the run, invoices evaluated per second, SQL queries per 1,000 invoices
and the peak memory of the run, with the machine it ran on.
"""

import argparse
import datetime
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ROOT, cadence_data, create_database, machine, odoo_env  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100000)
    parser.add_argument("--partners", type=int, default=20000)
    parser.add_argument("--database", default="cobranza_bench_cadence")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    args = parser.parse_args()
    os.makedirs(os.path.join(ROOT, "var"), exist_ok=True)
    if not args.reuse:
        create_database(args.database, os.path.join(ROOT, "var", "bench-install.log"))
        with odoo_env(args.database) as env:
            cadence_data(env, args.partners, args.invoices)
    with odoo_env(args.database) as env:
        company = env.company
        cr = env.cr
        # A weekday at 15:00 UTC: inside most contact windows, so the run does full work.
        now = datetime.datetime.combine(datetime.date.today(), datetime.time(15, 0))
        runs = []
        for label in ("first run (every customer gets its step)",
                      "second run (the levels deferred by the first)"):
            queries_before = cr.sql_log_count
            started = time.monotonic()
            stats = env["cobranza.cadence"]._run(company, now=now, today=now.date())
            elapsed = time.monotonic() - started
            runs.append((label, elapsed, cr.sql_log_count - queries_before, stats))
            env.invalidate_all()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cr.rollback()  # leave the database as generated, for --reuse
    print(f"machine: {machine()}")
    for label, elapsed, queries, stats in runs:
        evaluated = stats["invoices"]
        print(f"cadence {label}: {elapsed:.2f}s for {evaluated} open invoices of "
              f"{stats['customers']} customers")
        print(f"  invoices evaluated per second: {evaluated / elapsed:,.0f}")
        print(f"  SQL queries: {queries} ({queries * 1000 / max(evaluated, 1):.1f} per 1,000 "
              f"invoices)")
        print(f"  steps {stats['steps']}, messages queued {stats['messages']}, hand-offs "
              f"{stats['handoffs']}, skipped {stats['skipped']}, deferred {stats['deferred']}")
    print(f"peak memory of the benchmark process (max RSS): {rss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
