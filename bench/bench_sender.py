"""Sender benchmark: drain queued WhatsApp messages against the loopback Graph API mock.

    .venv/bin/python bench/bench_sender.py [--messages 20000] [--latency 0.003] [--reuse]

Measures messages per second with one worker and with two worker processes (rate limit
off), then checks that a configured rate is held by two workers sharing one account: the
rate is measured on the mock's side, from the start times of the calls it received.
The invoice PDF goes by portal link here: uploading means rendering each invoice's PDF
once (Odoo's report engine), which is a cost of its own and not the sender's.
"""

import argparse
import datetime
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (  # noqa: E402
    ROOT,
    create_database,
    generate_fast,
    graph_mock,
    machine,
    odoo_env,
)

from odoo.addons.cobranza_whatsapp.tools import graph_api, rate  # noqa: E402


def prepare(database, messages, mock_url):
    create_database(database, os.path.join(ROOT, "var", "bench-install.log"))
    with odoo_env(database) as env:
        generate_fast(env, partners=messages, invoices=messages, seed=3)
        company = env.company
        company.cobranza_pdf_mode = "link"
        account = env["cobranza.whatsapp.account"].create({
            "name": "Bench", "company_id": company.id, "mode": "sandbox", "rate_limit": 0})
        templates = env["cobranza.whatsapp.template"].search([("company_id", "=", company.id)])
        templates.write({"account_id": account.id})
        templates.action_submit()
        now = datetime.datetime.combine(datetime.date.today(), datetime.time(15, 0))
        company.cobranza_frequency_cap = 100
        company.cobranza_daily_cap = 100
        # The sender checks each customer's contact hours as it sends: the benchmark measures
        # the sender, not the hour it runs at, so every window opens round the clock.
        env["cobranza.contact.window"].search([]).write({
            "hour_from": 0, "hour_to": 24, "use_public_holidays": False,
            **dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday",
                             "saturday", "sunday"), True)})
        env["cobranza.cadence"]._run(company, now=now, today=now.date())
        env.cr.execute("UPDATE cobranza_message SET scheduled_at = now() at time zone 'UTC' "
                       "- interval '1 minute' WHERE state = 'queued'")
        env.cr.execute("UPDATE cobranza_message SET channel = 'whatsapp', template_id = %s "
                       "WHERE state = 'queued'",
                       (env.ref("cobranza_whatsapp.template_overdue").id
                        if env.ref("cobranza_whatsapp.template_overdue").company_id == company
                        else templates.filtered(lambda t: t.purpose == "overdue")[:1].id,))
        # Consent is the company's own (a company-dependent field: jsonb by company id).
        env.cr.execute("UPDATE res_partner SET cobranza_optin_date = jsonb_build_object("
                       "%s, to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')), "
                       "cobranza_optout_date = NULL "
                       "WHERE cobranza_whatsapp_number IS NOT NULL", (str(company.id),))
        env["ir.config_parameter"].set_param(  # the loopback mock, allowed as an admin would
            graph_api.ALLOWED_HOSTS_PARAM, mock_url.split("//", 1)[-1].split("/", 1)[0])
        account.write({"mode": "live", "api_url": mock_url, "access_token": "bench-token"})
        env.cr.execute("SELECT count(*) FROM cobranza_message WHERE state = 'queued'")
        return env.cr.fetchone()[0]


def drain(database, limit_batches=None):
    with odoo_env(database) as env:
        started = time.monotonic()
        sent = env["cobranza.message"]._process_queue(auto_commit=True, batch_size=200,
                                                     max_batches=limit_batches)
        return sent, time.monotonic() - started


def _worker(database, queue, limit_batches=None):
    queue.put(drain(database, limit_batches))


def run_workers(database, count, limit_batches=None):
    """Fresh interpreters, like Odoo worker processes: a forked child would share the
    parent's database connections."""
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    workers = [spawn.Process(target=_worker, args=(database, queue, limit_batches))
               for _ in range(count)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(r[0] for r in results), time.monotonic() - started


def count_queued(database):
    with odoo_env(database) as env:
        env.cr.execute("SELECT count(*) FROM cobranza_message WHERE state = 'queued'")
        return env.cr.fetchone()[0]


def set_rate(database, rate, mock_url):
    with odoo_env(database) as env:
        env["ir.config_parameter"].set_param(  # the loopback mock, allowed as an admin would
            graph_api.ALLOWED_HOSTS_PARAM, mock_url.split("//", 1)[-1].split("/", 1)[0])
        env["cobranza.whatsapp.account"].search([]).write(
            {"rate_limit": rate, "api_url": mock_url})


def requeue(database):
    with odoo_env(database) as env:
        env.cr.execute("UPDATE cobranza_message SET state = 'queued', wamid = NULL, "
                       "attempts = 0, sent_at = NULL WHERE direction = 'out' "
                       "AND channel = 'whatsapp' AND state = 'sent'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--latency", type=float, default=0.003)
    parser.add_argument("--rate", type=float, default=80.0,
                        help="the account's rate for the pacing check (Meta's standard: 80)")
    parser.add_argument("--database", default="cobranza_bench_sender")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the database of an earlier run: its WhatsApp messages are "
                             "queued again instead of generating the data anew")
    args = parser.parse_args()
    mock = graph_mock.GraphMock(latency=args.latency).start()
    try:
        if args.reuse:
            requeue(args.database)
            set_rate(args.database, 0, mock.url)
            queued = count_queued(args.database)
        else:
            queued = prepare(args.database, args.messages, mock.url)
        print(f"machine: {machine()}")
        print(f"queued WhatsApp messages: {queued}; Graph API mock latency "
              f"{args.latency * 1000:.0f} ms per call")
        sent, elapsed = drain(args.database)
        print(f"1 worker, no rate limit, the whole queue (WhatsApp and its SMS/e-mail "
              f"fallbacks): {sent} messages in {elapsed:.1f}s = {sent / elapsed:,.0f} messages/s")
        requeue(args.database)
        mock.reset()
        sent, elapsed = drain(args.database)
        print(f"1 worker, no rate limit, WhatsApp only: {sent} messages in {elapsed:.1f}s = "
              f"{sent / elapsed:,.0f} messages/s")
        requeue(args.database)
        mock.reset()
        total, elapsed = run_workers(args.database, 2)
        posts = len(mock.sent_messages())
        print(f"2 workers, no rate limit: {total} messages in {elapsed:.1f}s = "
              f"{total / elapsed:,.0f} messages/s ({total / elapsed / 2:,.0f} per worker); "
              f"POSTs received by the mock: {posts} (doubles: {posts - total})")
        requeue(args.database)
        set_rate(args.database, args.rate, mock.url)
        mock.reset()
        batches = max(1, int(args.rate * 20 / 200 / 2))
        sent, elapsed = run_workers(args.database, 2, limit_batches=batches)
        starts = [r["at"] for r in mock.requests if r["path"].endswith("/messages")]
        observed = rate.observed_rate(starts)
        print(f"rate limit {args.rate:g}/s, 2 workers on one account: {len(starts)} calls, "
              f"{observed:.1f} calls/s at the mock ({(observed / args.rate - 1) * 100:+.1f}% of "
              f"the configured rate); wall clock incl. start-up {sent / elapsed:.1f} messages/s")
    finally:
        mock.stop()


if __name__ == "__main__":
    main()
