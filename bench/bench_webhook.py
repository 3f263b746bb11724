"""Webhook benchmark: Meta-shaped status batches posted to a real Odoo server (2 workers).

    .venv/bin/python bench/bench_webhook.py [--messages 30000] [--rounds 3]

The webhook verifies, routes, stores and answers; the events are applied afterwards by the
processing cron. So it reports Meta's side first:

- one status per POST (what Meta sends most), in interleaved rounds against a bare Odoo
  route on the same server (``bench/addons/cobranza_bench_bare``: ``auth='none'``, checks
  the HMAC, stores nothing): the webhook's acknowledgement rate as a ratio to it;
- p50/p99 at a steady 250 POSTs per second (about what 80 messages/s produce), both routes;
- 10 and 100 statuses per POST;

then the processing cron's rate on everything stored, run here in one worker as the cron
runs it. The server runs no cron, so nothing else competes.
"""

import argparse
import concurrent.futures
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ROOT, create_database, graph_mock, machine, odoo_env  # noqa: E402

SECRET = "bench-app-secret"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database, messages):
    create_database(database, os.path.join(ROOT, "var", "bench-install.log"))
    with odoo_env(database) as env:
        company = env.company
        account = env["cobranza.whatsapp.account"].create({
            "name": "Bench", "company_id": company.id, "mode": "live",
            "phone_number_id": "PNID1", "waba_id": "WABA1", "access_token": "x",
            "app_secret": SECRET})
        partner = env["res.partner"].create({"name": "Bench customer", "phone": "+51987654321"})
        env.cr.execute(
            """
            INSERT INTO cobranza_message (direction, channel, kind, state, company_id,
                                          partner_id, account_id, wamid, attempts, sent_at,
                                          create_date, write_date, create_uid, write_uid,
                                          scheduled_at)
            SELECT 'out', 'whatsapp', 'template', 'sent', %s, %s, %s, 'wamid.BENCH' || g, 1,
                   now() at time zone 'UTC', now() at time zone 'UTC',
                   now() at time zone 'UTC', 1, 1, now() at time zone 'UTC'
              FROM generate_series(1, %s) g
            """,
            (company.id, partner.id, account.id, messages),
        )


def start_server(database, port):
    log = open(os.path.join(ROOT, "var", "bench-webhook-server.log"), "w", encoding="utf-8")  # noqa: SIM115
    odoo_path = os.environ.get("ODOO_PATH", "/opt/odoo")
    process = subprocess.Popen([  # noqa: S603
        sys.executable, f"{odoo_path}/odoo-bin",
        f"--addons-path={odoo_path}/odoo/addons,{odoo_path}/addons,{ROOT},"
        f"{ROOT}/bench/addons", "--load=base,rpc,web,cobranza_bench_bare",
        "-d", database, f"--db-filter=^{database}$", "--workers=2", "--max-cron-threads=0",
        f"--http-port={port}", "--http-interface=127.0.0.1", "--log-level=warn",
        "--limit-time-real=600",
    ], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.5)
    os.killpg(process.pid, signal.SIGTERM)
    raise RuntimeError("Odoo did not start: see var/bench-webhook-server.log")


def payloads(first, count, per_post, status):
    result = []
    index = first
    for _ in range(count):
        items = [graph_mock.status_item(f"wamid.BENCH{index + k}", status) for k in range(per_post)]
        index += per_post
        result.append(graph_mock.status_payload(items))
    return result, index


def fire(url, bodies, concurrency=8):
    latencies = []
    session = requests.Session()

    def post(body):
        started = time.monotonic()
        response = graph_mock.post_signed_webhook(url, body, SECRET)
        latencies.append(time.monotonic() - started)
        return response.status_code

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        codes = list(pool.map(post, bodies))
    session.close()
    return time.monotonic() - started, latencies, codes


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def steady(url, bodies, rate):
    """POST `bodies` at `rate` per second from a pool of 32 threads; (latencies, codes)."""
    latencies, started = [], time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        futures = []
        for index, body in enumerate(bodies):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)

            def post(body=body):
                began = time.monotonic()
                try:
                    code = graph_mock.post_signed_webhook(url, body, SECRET).status_code
                except requests.RequestException:  # overloaded: counted, not fatal
                    code = None
                latencies.append(time.monotonic() - began)
                return code

            futures.append(pool.submit(post))
        codes = [f.result() for f in futures]
    return latencies, codes


def describe(latencies, codes):
    return (f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 99) * 1000:.0f} ms "
            f"({codes.count(200)}/{len(codes)} answered 200, "
            f"{codes.count(None)} timed out)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--posts", type=int, default=1000,
                        help="POSTs per round at one status per POST")
    parser.add_argument("--steady-rate", type=int, default=250)
    parser.add_argument("--steady-seconds", type=int, default=8)
    parser.add_argument("--database", default="cobranza_bench_webhook")
    parser.add_argument("--port", type=int, default=0,
                        help="the server's HTTP port (default: a free one)")
    args = parser.parse_args()
    prepare(args.database, args.messages)
    port = args.port or free_port()
    server = start_server(args.database, port)
    url = f"http://127.0.0.1:{port}/cobranza_whatsapp/webhook"
    bare_url = f"http://127.0.0.1:{port}/cobranza_bench/bare"
    try:
        print(f"machine: {machine()}")
        print("server: Odoo with 2 HTTP workers on loopback; client: 8 concurrent connections")
        cursor = 1
        fire(bare_url, payloads(cursor, 50, 1, "sent")[0])  # warm both workers
        ours, bare = [], []
        for round_no in range(1, args.rounds + 1):
            bodies, _ = payloads(cursor, args.posts, 1, "sent")
            elapsed, _lat, codes = fire(bare_url, bodies)
            bare.append(args.posts / elapsed)
            bodies, cursor = payloads(cursor, args.posts, 1, "delivered")
            elapsed, latencies, codes = fire(url, bodies)
            ours.append(args.posts / elapsed)
            print(f"round {round_no}, 1 status per POST: bare route {bare[-1]:,.0f} POSTs/s, "
                  f"webhook {ours[-1]:,.0f} POSTs/s ({ours[-1] / bare[-1]:.2f}x), "
                  f"webhook {describe(latencies, codes)}")
        ratios = [o / b for o, b in zip(ours, bare, strict=True)]
        print(f"1 status per POST, median of {args.rounds} rounds: webhook "
              f"{statistics.median(ours):,.0f}/s, bare route {statistics.median(bare):,.0f}/s: "
              f"ratio {statistics.median(ratios):.2f}x (median of the rounds' ratios)")
        count = args.steady_rate * args.steady_seconds
        bodies, _ = payloads(cursor, count, 1, "sent")
        print(f"steady {args.steady_rate} POSTs/s for {args.steady_seconds}s, bare route: "
              f"{describe(*steady(bare_url, bodies, args.steady_rate))}")
        bodies, cursor = payloads(cursor, count, 1, "read")
        print(f"steady {args.steady_rate} POSTs/s for {args.steady_seconds}s, webhook: "
              f"{describe(*steady(url, bodies, args.steady_rate))}")
        for per_post, posts in ((10, 300), (100, 60)):
            bodies, cursor = payloads(cursor, posts, per_post, "delivered")
            elapsed, latencies, codes = fire(url, bodies)
            print(f"{per_post:>3} statuses per POST: {posts * per_post / elapsed:,.0f} events/s "
                  f"acknowledged, {describe(latencies, codes)}")
        with odoo_env(args.database) as env:
            env.cr.execute("SELECT count(*) FROM cobranza_webhook_event WHERE state = 'pending'")
            stored = env.cr.fetchone()[0]
            started = time.monotonic()
            processed = env["cobranza.webhook.event"]._process_received(auto_commit=True)
            elapsed = max(time.monotonic() - started, 1e-9)
            print(f"then the processing cron (one worker): {processed:,} of the {stored:,} "
                  f"stored events in {elapsed:.1f}s = {processed / elapsed:,.0f} events/s")
            env.cr.execute("SELECT state, count(*) FROM cobranza_webhook_event GROUP BY 1 "
                           "ORDER BY 1")
            print("events by state after processing:", dict(env.cr.fetchall()))
            env.cr.execute("SELECT state, count(*) FROM cobranza_message GROUP BY 1 ORDER BY 1")
            print("messages by state after the run:", dict(env.cr.fetchall()))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


if __name__ == "__main__":
    main()
