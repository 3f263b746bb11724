"""Fault injection: workers killed, PostgreSQL restarted, notifications replayed at once,
Meta's answers lost.

    .venv/bin/python bench/faults.py [--only kill|replay|pg-restart|lost]

Each scenario sets up its own database, injects the fault for real (SIGKILL of a sending
worker process, a PostgreSQL restart under a cadence run, 100 concurrent copies of one
payment notification posted to an Odoo server with 2 workers, Meta's answers to some posts
lost on the way back), lets the system recover the way it does in production, then checks
the invariants: one message per step, one payment per notification, no queued work lost,
no message posted twice, no status downgraded. It prints PASS/FAIL per check
and exits non-zero on any FAIL. The fast variants of these faults run in the test suite.
"""

import argparse
import collections
import datetime
import hashlib
import hmac
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_sender  # noqa: E402
from bench_webhook import free_port, start_server  # noqa: E402
from common import (  # noqa: E402
    ROOT,
    create_database,
    generate_fast,
    graph_mock,
    machine,
    odoo_env,
)

from odoo import sql_db  # noqa: E402

RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(ok)
    print(f"  [{'PASS' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}")


# --- a sending worker killed with SIGKILL in the middle of a batch ---

def _drain(database):
    with odoo_env(database) as env:
        env["cobranza.message"]._process_queue(auto_commit=True, batch_size=200)


def scenario_kill(database, messages):
    print(f"\n1. A sending worker killed (SIGKILL) mid-batch; {messages} customers")
    mock = graph_mock.GraphMock(latency=0.02).start()
    try:
        queued = bench_sender.prepare(database, messages, mock.url)
        with odoo_env(database) as env:
            env.cr.execute("SELECT id FROM cobranza_message WHERE state = 'queued' "
                           "AND channel = 'whatsapp'")
            whatsapp_ids = {row[0] for row in env.cr.fetchall()}
        print(f"  queued: {queued} messages, {len(whatsapp_ids)} by WhatsApp; Graph mock 20 ms")
        worker = multiprocessing.get_context("spawn").Process(target=_drain, args=(database,))
        worker.start()
        while len(mock.sent_messages()) < min(300, len(whatsapp_ids) // 3):
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
        time.sleep(0.5)  # requests that reached Meta before the kill get their answer there
        posted_before = len(mock.sent_messages())
        with odoo_env(database) as env:
            env.cr.execute("SELECT state, count(*) FROM cobranza_message "
                           "WHERE id = ANY(%s) GROUP BY state", (list(whatsapp_ids),))
            states = dict(env.cr.fetchall())
        print(f"  killed after {posted_before} POSTs; states left: {states}")
        check("the kill landed in the middle of a batch", states.get("sending", 0) > 0,
              f"{states.get('sending', 0)} messages in 'sending'")
        # Meta sends a status for every message it accepted, whatever became of the worker.
        with mock.lock:
            accepted = [r for r in mock.requests if r["path"].endswith("/messages")
                        and r.get("wamid")]
        statuses = [graph_mock.status_item(
            r["wamid"], "sent", recipient_id=r["json"]["to"],
            callback_data=r["json"].get("biz_opaque_callback_data")) for r in accepted]
        with odoo_env(database) as env:
            account = env["cobranza.whatsapp.account"].search([], limit=1)
            for start in range(0, len(statuses), 100):
                env["cobranza.webhook.event"]._handle_payload(
                    account, graph_mock.status_payload(statuses[start:start + 100]))
            env.cr.execute("SELECT count(*) FROM cobranza_webhook_event WHERE state = 'waiting'")
            waiting = env.cr.fetchone()[0]
            # Eleven minutes pass: the dead worker's messages are now stale, the webhook
            # cron retries the statuses that waited, then the send cron sweeps.
            env.cr.execute("UPDATE cobranza_message SET write_date = write_date - "
                           "interval '11 minutes' WHERE state = 'sending'")
            env.invalidate_all()
            env["cobranza.webhook.event"]._cron_process()
            later = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
            settled = env["cobranza.message.post"]._recover_interrupted(now=later)
        print(f"  Meta's {len(statuses)} status webhooks received ({waiting} waited for their "
              f"message); 11 minutes later the sweep: {settled}")
        _drain(database)
        with odoo_env(database) as env:
            # An hour on, a send still unconfirmed goes to a person rather than out twice.
            unconfirmed = env["cobranza.message.post"]._recover_interrupted(
                now=later + datetime.timedelta(hours=2))["unconfirmed"]
        with mock.lock:
            posts = collections.Counter(
                r["json"].get("biz_opaque_callback_data") for r in mock.requests
                if r["path"].endswith("/messages"))
        with odoo_env(database) as env:
            env.cr.execute("SELECT state, count(*) FROM cobranza_message "
                           "WHERE id = ANY(%s) GROUP BY state", (list(whatsapp_ids),))
            final = dict(env.cr.fetchall())
            env.cr.execute("SELECT count(*) FROM cobranza_message WHERE id = ANY(%s) "
                           "AND wamid IS NULL AND state IN ('sent', 'delivered', 'read')",
                           (list(whatsapp_ids),))
            without_wamid = env.cr.fetchone()[0]
            env.cr.execute("SELECT id FROM cobranza_message WHERE id = ANY(%s) "
                           "AND state = 'cancelled'", (list(whatsapp_ids),))
            cancelled = {f"cobranza:{row[0]}" for row in env.cr.fetchall()}
            env.cr.execute("SELECT id FROM cobranza_message WHERE id = ANY(%s) "
                           "AND state = 'failed' AND error_message LIKE %s",
                           (list(whatsapp_ids), "%never confirmed%"))
            for_a_person = {f"cobranza:{row[0]}" for row in env.cr.fetchall()}
        doubles = sum(count - 1 for count in posts.values() if count > 1)
        never = {f"cobranza:{i}" for i in whatsapp_ids} - set(posts) - cancelled - for_a_person
        print(f"  after recovery: {final}; POSTs {sum(posts.values())} for "
              f"{len(whatsapp_ids)} messages ({len(cancelled)} cancelled by the cadence's "
              f"rules: paid meanwhile or no consent, each with its fallback); handed to a "
              f"person unconfirmed: {unconfirmed}")
        check("no message posted twice", doubles == 0, f"{doubles} doubles")
        check("every message posted, cancelled with a reason, or (journaled as leaving but "
              "never seen by Meta) held for a person", not never, f"{len(never)} none of these")
        check("held for a person: at most the posts in flight at the kill (8)",
              len(for_a_person) <= 8 and for_a_person.isdisjoint(posts),
              f"{len(for_a_person)}")
        check("none left queued or sending",
              not {"queued", "sending"} & set(final), str(final))
        check("every sent message carries its wamid", without_wamid == 0)
    finally:
        mock.stop()


# --- one payment notification posted 100 times at once ---

SECRET = "faults-payment-secret"


def scenario_replay(database, copies):
    print(f"\n2. One payment notification posted {copies} times concurrently to Odoo "
          "(2 workers)")
    create_database(database, os.path.join(ROOT, "var", "faults-install.log"))
    with odoo_env(database) as env:
        generate_fast(env, partners=20, invoices=40, seed=11)
        move = env["account.move"].search([("move_type", "=", "out_invoice"),
                                           ("state", "=", "posted"),
                                           ("payment_state", "=", "not_paid")], limit=1)
        move.company_id.cobranza_payment_webhook_secret = SECRET
        body = {"id": "evt-replayed", "invoice": move.name, "amount": str(move.amount_residual),
                "currency": move.currency_id.name,
                "date": datetime.date.today().isoformat(), "reference": "OP-REPLAY"}
        move_id = move.id
    data = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
    port = free_port()
    server = start_server(database, port)
    codes = collections.Counter()
    try:
        barrier = threading.Barrier(copies)

        def post():
            barrier.wait()
            # A sender retries when the connection is refused (100 at once overflow the
            # listen queue of a 2-worker server), as payment providers do.
            for attempt in range(8):
                try:
                    response = requests.post(
                        f"http://127.0.0.1:{port}/cobranza_whatsapp/payment", data=data,
                        headers={"Content-Type": "application/json",
                                 "X-Cobranza-Signature": signature}, timeout=120)
                except requests.ConnectionError:
                    codes["connection refused, retried"] += 1
                    time.sleep(0.2 * (attempt + 1))
                    continue
                codes[response.status_code] += 1
                return
            codes["gave up"] += 1

        threads = [threading.Thread(target=post) for _ in range(copies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    with odoo_env(database) as env:
        move = env["account.move"].browse(move_id)
        notifications = env["cobranza.payment.notification"].search(
            [("external_id", "=", "evt-replayed")])
        payments = env["account.payment"].search([("reconciled_invoice_ids", "in", move.ids)])
        print(f"  answers: {dict(codes)}; notifications {len(notifications)}, payments "
              f"{len(payments)}, invoice {move.payment_state}")
        answered = sum(n for c, n in codes.items() if isinstance(c, int))
        check("every copy answered, none with a 5xx", answered == copies and not any(
            isinstance(c, int) and c >= 500 for c in codes), str(dict(codes)))
        check("exactly one notification stored", len(notifications) == 1)
        check("exactly one payment registered", len(payments) == 1)
        check("the invoice is paid once", move.payment_state in ("paid", "in_payment")
              and move.amount_residual == 0)


# --- PostgreSQL restarted while the cadence runs ---

PG_BIN = "/usr/lib/postgresql/15/bin"


class OwnCluster:
    """A throw-away PostgreSQL cluster (port 55432), so restarting it harms nothing else."""

    def __init__(self, port=55432):
        self.port = port
        self.data = os.path.join(ROOT, "var", "pg-faults")
        self.socket_dir = os.path.join(ROOT, "var", "pg-faults-socket")

    def _as_postgres(self, *args):
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       stdout=subprocess.DEVNULL)

    def start(self):
        if not os.path.isdir(self.data):
            os.makedirs(self.data)
            shutil.chown(self.data, "postgres", "postgres")
            self._as_postgres(f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust",
                              "--no-sync")
        os.makedirs(self.socket_dir, exist_ok=True)
        shutil.chown(self.socket_dir, "postgres", "postgres")
        self._ctl("start", "-w")
        subprocess.run(["psql", "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres",
                        "-d", "postgres", "-qc", "DO $$ BEGIN CREATE ROLE root SUPERUSER "
                        "LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"],
                       check=True, stdout=subprocess.DEVNULL)
        os.environ.update(PGHOST=self.socket_dir, PGPORT=str(self.port))
        return self

    def _ctl(self, *args):
        self._as_postgres(f"{PG_BIN}/pg_ctl", "-D", self.data, "-l",
                          os.path.join(self.data, "server.log"), "-o",
                          f"-p {self.port} -k {self.socket_dir} -c listen_addresses=''",
                          *args)

    def restart(self):
        self._ctl("restart", "-m", "fast", "-w")

    def stop(self):
        self._ctl("stop", "-m", "fast", "-w")


def _cadence(database, today):
    """The cadence as its cron runs it: batches of customers, each committed."""
    now = datetime.datetime.combine(today, datetime.time(15, 0))
    with odoo_env(database) as env:
        return env["cobranza.cadence"]._run(env.company, now=now, today=today,
                                             auto_commit=True)


def _steps_so_far(database):
    out = subprocess.run(["psql", "-d", database, "-Atc", "SELECT count(*) FROM cobranza_step"],
                         capture_output=True, text=True, check=False).stdout.strip()
    return int(out or 0)


def _cadence_counts(database):
    """(steps, the set of (invoice, level) stepped, customer-level pairs messaged twice)."""
    with odoo_env(database) as env:
        env.cr.execute("SELECT move_id, level_id FROM cobranza_step")
        steps = env.cr.fetchall()
        env.cr.execute("""SELECT count(*) FROM (
                            SELECT partner_id, level_id FROM cobranza_message
                             WHERE direction = 'out' AND level_id IS NOT NULL
                               AND fallback_of_id IS NULL
                             GROUP BY partner_id, level_id HAVING count(*) > 1) d""")
        doubled = env.cr.fetchone()[0]
    return len(steps), set(steps), doubled


def scenario_pg_restart(database, invoices):
    print(f"\n3. PostgreSQL restarted during a cadence run; {invoices} open invoices "
          "(own cluster on port 55432)")
    cluster = OwnCluster().start()
    try:
        create_database(database, os.path.join(ROOT, "var", "faults-pg-install.log"))
        with odoo_env(database) as env:
            generate_fast(env, partners=invoices // 5, invoices=invoices, seed=5)
        sql_db.close_db(database)  # a template database must have no session open
        control = f"{database}_control"
        subprocess.run(["dropdb", "--if-exists", control], check=True)
        subprocess.run(["createdb", "-T", database, control], check=True)
        today = datetime.date.today()
        while today.weekday() >= 5:
            today -= datetime.timedelta(days=1)
        # The control runs once and twice: a crashed run and its rerun are two runs, and
        # customers with invoices at several levels get the next one on the second run.
        _cadence(control, today)
        once = _cadence_counts(control)
        _cadence(control, today)
        twice = _cadence_counts(control)
        run = multiprocessing.get_context("spawn").Process(target=_cadence,
                                                           args=(database, today))
        started = time.monotonic()
        run.start()
        # Restart once the run has committed some of its batches, not all of them.
        while run.is_alive() and _steps_so_far(database) < once[0] // 4:
            time.sleep(0.05)
        alive = run.is_alive()
        cluster.restart()
        run.join()
        print(f"  restarted after {time.monotonic() - started:.1f}s (cadence still running: "
              f"{alive}); the run ended with exit code {run.exitcode}")
        check("the restart hit a running cadence", alive and run.exitcode != 0)
        partial = _cadence_counts(database)
        _cadence(database, today)
        final = _cadence_counts(database)
        print(f"  steps: control one run {once[0]}, two runs {twice[0]}; crashed run "
              f"{partial[0]} (committed batches), then its rerun {final[0]}")
        check("nothing lost: every step of one complete run is there", once[1] <= final[1],
              f"{len(once[1] - final[1])} missing")
        check("nothing extra: no step two complete runs would not make",
              final[1] <= twice[1], f"{len(final[1] - twice[1])} extra")
        check("one message per customer and level", final[2] == 0,
              f"{final[2]} customer-level pairs messaged twice")
    finally:
        cluster.stop()
        for var in ("PGHOST", "PGPORT"):
            os.environ.pop(var, None)


# --- Meta's answers lost on the way back ---

LOST_KINDS = ("hang", "drop", "no_id", "not_json")


def scenario_lost(database, messages, per_kind=10):
    print(f"\n4. Meta's answers lost (a timeout, a dropped connection, a 200 without a "
          f"message id or not JSON): {per_kind} of each; {messages} customers")
    mock = graph_mock.GraphMock(latency=0.005).start()
    try:
        bench_sender.prepare(database, messages, mock.url)
        with odoo_env(database) as env:
            env["cobranza.whatsapp.account"].search([], limit=1).timeout = 1
            env.cr.execute("SELECT id FROM cobranza_message WHERE state = 'queued' "
                           "AND channel = 'whatsapp'")
            whatsapp_ids = [row[0] for row in env.cr.fetchall()]
        for kind in LOST_KINDS:  # Meta takes these posts; their answers never arrive
            mock.fail_next(per_kind, lost_answer=kind, hang=2)
        _drain(database)
        with odoo_env(database) as env:
            env.cr.execute("SELECT id FROM cobranza_message WHERE id = ANY(%s) "
                           "AND state = 'sending'", (whatsapp_ids,))
            lost = {row[0] for row in env.cr.fetchall()}
        print(f"  first run: {len(mock.sent_messages())} POSTs, {len(lost)} messages waiting "
              "for Meta's word")
        check("each lost answer leaves its message waiting, not queued again",
              len(lost) == per_kind * len(LOST_KINDS), f"{len(lost)} waiting")
        _drain(database)  # the next cron run finds nothing of theirs to post
        # Meta sends a status for every message it accepted; eleven minutes pass, the webhook
        # cron retries the statuses that waited for their message, then the send cron sweeps.
        with mock.lock:
            accepted = [r for r in mock.requests if r["path"].endswith("/messages")
                        and r.get("wamid")]
        statuses = [graph_mock.status_item(
            r["wamid"], "delivered", recipient_id=r["json"]["to"],
            callback_data=r["json"].get("biz_opaque_callback_data")) for r in accepted]
        with odoo_env(database) as env:
            account = env["cobranza.whatsapp.account"].search([], limit=1)
            for start in range(0, len(statuses), 100):
                env["cobranza.webhook.event"]._handle_payload(
                    account, graph_mock.status_payload(statuses[start:start + 100]))
            env.cr.execute("UPDATE cobranza_message SET write_date = write_date - "
                           "interval '11 minutes' WHERE state = 'sending'")
            env.invalidate_all()
            env["cobranza.webhook.event"]._cron_process()
            settled = env["cobranza.message.post"]._recover_interrupted(
                now=datetime.datetime.now(datetime.UTC).replace(tzinfo=None))
        _drain(database)
        with mock.lock:
            posts = collections.Counter(
                r["json"].get("biz_opaque_callback_data") for r in mock.requests
                if r["path"].endswith("/messages"))
            wamids = {r["json"].get("biz_opaque_callback_data"): r["wamid"] for r in accepted}
        with odoo_env(database) as env:
            env.cr.execute("SELECT state, count(*) FROM cobranza_message WHERE id = ANY(%s) "
                           "GROUP BY state", (whatsapp_ids,))
            final = dict(env.cr.fetchall())
            env.cr.execute("SELECT id, state, wamid FROM cobranza_message WHERE id = ANY(%s)",
                           (list(lost),))
            confirmed = [(f"cobranza:{i}", state, wamid) for i, state, wamid in env.cr.fetchall()]
        doubles = sum(count - 1 for count in posts.values() if count > 1)
        by_meta = sum(1 for key, state, wamid in confirmed
                      if state == "delivered" and wamid == wamids.get(key))
        print(f"  after Meta's statuses and the sweep ({settled}): {final}; POSTs "
              f"{sum(posts.values())} for {len(whatsapp_ids)} messages")
        check("no message posted twice", doubles == 0, f"{doubles} doubles")
        check("Meta's status webhook confirmed every lost answer, with Meta's wamid",
              by_meta == len(lost), f"{by_meta} of {len(lost)}")
        check("none left queued or sending", not {"queued", "sending"} & set(final),
              str(final))
    finally:
        mock.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("kill", "replay", "pg-restart", "lost"))
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--database-prefix", default="cobranza_faults",
                        help="each scenario's database is this prefix and its name")
    args = parser.parse_args()
    prefix = args.database_prefix
    print(f"machine: {machine()}")
    if args.only in (None, "kill"):
        scenario_kill(f"{prefix}_kill", args.messages)
    if args.only in (None, "replay"):
        scenario_replay(f"{prefix}_replay", args.copies)
    if args.only in (None, "pg-restart"):
        scenario_pg_restart(f"{prefix}_pg", args.invoices)
    if args.only in (None, "lost"):
        scenario_lost(f"{prefix}_lost", min(args.messages, 1000))
    failed = RESULTS.count(False)
    print(f"\n{len(RESULTS) - failed}/{len(RESULTS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
