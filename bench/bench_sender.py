"""Sender benchmark: drain queued WhatsApp messages against the loopback Graph API mock.

    .venv/bin/python bench/bench_sender.py [--messages 20000] [--latency 0.003]

Measures messages per second with one worker and with two worker processes (rate limit
off), then checks that a configured rate is held. The invoice PDF goes by portal link
here: uploading means rendering each invoice's PDF once (Odoo's report engine), which is
a cost of its own and not the sender's.
"""

import argparse
import datetime
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ROOT, create_database, generate_fast, machine, odoo_env  # noqa: E402

from odoo.addons.cobranza_whatsapp.tools import graph_mock  # noqa: E402


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
        env["cobranza.cadence"]._run(company, now=now, today=now.date())
        env.cr.execute("UPDATE cobranza_message SET scheduled_at = now() at time zone 'UTC' "
                       "- interval '1 minute' WHERE state = 'queued'")
        env.cr.execute("UPDATE cobranza_message SET channel = 'whatsapp', template_id = %s "
                       "WHERE state = 'queued'",
                       (env.ref("cobranza_whatsapp.template_overdue").id
                        if env.ref("cobranza_whatsapp.template_overdue").company_id == company
                        else templates.filtered(lambda t: t.purpose == "overdue")[:1].id,))
        env.cr.execute("UPDATE res_partner SET cobranza_optin_date = now() at time zone 'UTC', "
                       "cobranza_optout_date = NULL "
                       "WHERE cobranza_whatsapp_number IS NOT NULL")
        account.write({"mode": "live", "api_url": mock_url, "access_token": "bench-token"})
        env.cr.execute("SELECT count(*) FROM cobranza_message WHERE state = 'queued'")
        return env.cr.fetchone()[0]


def drain(database, limit_batches=None):
    with odoo_env(database) as env:
        started = time.monotonic()
        sent = env["cobranza.message"]._process_queue(auto_commit=True, batch_size=200,
                                                     max_batches=limit_batches)
        return sent, time.monotonic() - started


def _worker(database, queue):
    queue.put(drain(database))


def set_rate(database, rate, mock_url):
    with odoo_env(database) as env:
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
    parser.add_argument("--rate", type=float, default=40.0,
                        help="a rate below the worker's capacity, to check the pacing")
    parser.add_argument("--database", default="cobranza_bench_sender")
    args = parser.parse_args()
    mock = graph_mock.GraphMock(latency=args.latency).start()
    try:
        queued = prepare(args.database, args.messages, mock.url)
        print(f"machine: {machine()}")
        print(f"queued WhatsApp messages: {queued}; Graph API mock latency "
              f"{args.latency * 1000:.0f} ms per call")
        sent, elapsed = drain(args.database)
        print(f"1 worker, no rate limit: {sent} messages in {elapsed:.1f}s = "
              f"{sent / elapsed:,.0f} messages/s")
        requeue(args.database)
        mock.reset()
        # Fresh interpreters, like two Odoo worker processes: a forked child would share the
        # parent's database connections.
        spawn = multiprocessing.get_context("spawn")
        queue = spawn.Queue()
        workers = [spawn.Process(target=_worker, args=(args.database, queue))
                   for _ in range(2)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        results = [queue.get() for _ in workers]
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - started
        total = sum(r[0] for r in results)
        posts = len(mock.sent_messages())
        print(f"2 workers, no rate limit: {total} messages in {elapsed:.1f}s = "
              f"{total / elapsed:,.0f} messages/s ({total / elapsed / 2:,.0f} per worker); "
              f"POSTs received by the mock: {posts} (doubles: {posts - total})")
        requeue(args.database)
        set_rate(args.database, args.rate, mock.url)
        batches = max(1, int(args.rate * 20 / 200))
        sent, elapsed = drain(args.database, limit_batches=batches)
        print(f"rate limit {args.rate:g}/s: {sent} messages in {elapsed:.1f}s = "
              f"{sent / elapsed:.1f} messages/s ({(sent / elapsed / args.rate - 1) * 100:+.1f}% "
              f"of the configured rate)")
    finally:
        mock.stop()


if __name__ == "__main__":
    main()
