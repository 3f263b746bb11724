"""The network half of the sender: posts prepared messages on threads, at each account's rate.

The worker's ORM half prepares a batch, commits the messages as ``sending`` and hands the
payloads here; while they are being posted it prepares the next batch. No ORM runs in these
threads: a post is plain values, and the database is reached only through short side
transactions on their own cursor, for two things:

* the account's **rate**, shared by every worker (``cobranza_whatsapp_rate``, see ``rate``);
* the **send journal** (``cobranza_message_post``): a message is journaled as started before
  its request leaves, and its wamid is journaled once Meta answered. A worker killed in the
  middle of a batch leaves its messages in ``sending``; the journal then tells which ones were
  never posted (queued again), which ones Meta took (sent), and which few were in flight.
  A post whose answer was lost (a read timeout, a reset once the request had left, a 2xx
  without a message id) is never journaled as finished: Meta may have taken it, so it is
  settled like one in flight, by Meta's status webhook or by a person, never sent again.
"""

import logging
import queue
import threading
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from odoo.tools import SQL

from . import meta_api, rate

_logger = logging.getLogger(__name__)

# `client`: the account's Graph API client (tools/graph_api.py), plain values only.
Post = namedtuple("Post", "key account_id rate client payload")
_STOP = object()


class LentCursor:
    """The caller's cursor lent to the poster's thread while the caller waits for it.

    Sending inside the caller's transaction (tests and the demo; never a request, which Odoo
    may replay), the journal and the rate reservation belong to that transaction; one poster
    writes at a time, and the caller commits (or not).
    """

    def __init__(self, cr):
        self._cr = cr
        self._lock = threading.Lock()

    def __call__(self):
        return self

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *_exc):
        self._lock.release()  # no commit: the caller's transaction is the caller's

    def execute(self, query, params=None):
        return self._cr.execute(query, params)

    def fetchone(self):
        return self._cr.fetchone()


class KeptCursor:
    """One database cursor kept for the poster's side transactions, each committed when
    its block ends (rolled back, and the connection given up, when it raises).

    A cursor per side transaction would borrow a connection from Odoo's pool every time:
    several times per batch, on the dispatcher's path of every post. Used from the
    dispatcher thread only; :meth:`close` when the poster stops.
    """

    def __init__(self, factory):
        self._factory = factory
        self._cr = None

    def __call__(self):
        return self

    def __enter__(self):
        if self._cr is None:
            self._cr = self._factory()
        return self._cr

    def __exit__(self, exc_type, *_exc):
        if exc_type is None:
            try:
                # A side transaction of its own (the send journal), never the request's:
                # what `with registry.cursor()` does when its block ends.
                self._cr.commit()  # pylint: disable=invalid-commit
            except Exception:
                self.close()
                raise
        else:
            self.close()  # rolled back; a broken connection is not kept either
        return False

    def close(self):
        cr, self._cr = self._cr, None
        if cr is not None:
            try:
                cr.close()
            except Exception:  # noqa: BLE001 - a dead connection has nothing to close
                _logger.debug("Journal cursor could not be closed", exc_info=True)


class Poster:
    """Posts `Post` items in the order received, several in flight, each account at its rate.

    Each post is sent with its own client (``post.client.send_message``), which returns
    Meta's answer or raises ``MetaError``; `cursor_factory()` opens a database cursor for the
    side transactions.
    """

    def __init__(self, cursor_factory, parallel=8, chunk=8):
        self._cursor_factory = cursor_factory
        self._chunk = chunk
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="cobranza-post")
        self._slots = threading.BoundedSemaphore(parallel)
        self._inbox = queue.Queue()
        self._done = queue.Queue()
        self._lock = threading.Lock()
        self._finished = []  # (key, wamid, wa_id) to journal
        self._lost = []  # keys of posts whose answer was lost, to journal
        self._stopped = {}  # account id -> the error that stops it (token, blocked)
        self._pending = 0
        self._dispatcher = threading.Thread(target=self._dispatch, name="cobranza-dispatch",
                                            daemon=True)
        self._dispatcher.start()

    # --- the worker's side ---

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    @property
    def pending(self):
        """Posts submitted whose answer has not been collected yet."""
        return self._pending

    def submit(self, posts):
        for post in posts:
            self._pending += 1
            self._inbox.put(post)

    def results(self, wait=False, at_least=0):
        """Answers received so far, as (key, answer or MetaError).

        `wait`: block until every submitted post has answered; `at_least`: block until the
        backlog is down to `at_least` posts (the worker's look-ahead).
        """
        answers = []
        target = 0 if wait else at_least
        while self._pending:
            block = self._pending > target
            try:
                answers.append(self._done.get(block=block))
            except queue.Empty:
                break
            self._pending -= 1
        return answers

    def close(self):
        """Finish what is in flight, journal it, stop the threads."""
        self._inbox.put(_STOP)
        self._dispatcher.join()

    # --- the dispatcher thread ---

    def _dispatch(self):
        stopping = False
        while not stopping:
            item = self._inbox.get()
            if item is _STOP:
                break
            chunk = [item]
            while len(chunk) < self._chunk:
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                chunk.append(item)
            self._post_chunk(chunk)
        self._pool.shutdown(wait=True)
        try:
            self._journal()
        except Exception:  # noqa: BLE001 - the sweep resolves what is not journaled
            _logger.exception("Send journal could not be written")
        finally:
            close = getattr(self._cursor_factory, "close", None)
            if close:
                close()

    def _without_stopped(self, posts, holding_slots=False):
        """`posts` but those of an account stopped meanwhile, each answered with the error
        that stopped it (and its slot given back, when it holds one)."""
        live = []
        for post in posts:
            if post.account_id in self._stopped:
                if holding_slots:
                    self._slots.release()
                self._done.put((post.key, self._stopped[post.account_id]))
            else:
                live.append(post)
        return live

    def _post_chunk(self, chunk):
        live = self._without_stopped(chunk)
        if not live:
            return
        try:
            starts = self._starts_from(live, self._journal(needed=self._reservations(live)))
        except Exception as error:  # noqa: BLE001 - not posted: retried like a timeout
            _logger.exception("Sending slots could not be reserved")
            for post in live:
                self._done.put((post.key, meta_api.MetaTransportError(type(error).__name__)))
            return
        ready = []  # posts holding a slot, journaled together right before they leave
        for post, start in zip(live, starts, strict=True):
            if post.account_id in self._stopped:
                self._done.put((post.key, self._stopped[post.account_id]))
                continue
            if start > time.monotonic():
                self._leave(ready)  # what is due goes before the wait for the next slot
                delay = start - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if not self._slots.acquire(blocking=False):
                self._leave(ready)
                self._slots.acquire()
            ready.append(post)
            if post.rate and post.rate > 0:
                self._leave(ready)  # at its slot: a paced post never waits for another
        self._leave(ready)

    def _leave(self, ready):
        """Journal the posts of `ready` (each holds a slot) as started in one side
        transaction, then post them; `ready` is emptied.

        Journaled right before they leave: a worker killed now leaves at most the posts
        holding a slot (in flight) undecided, and Meta's status webhooks decide those.
        """
        posts, ready[:] = list(ready), []
        live = self._without_stopped(posts, holding_slots=True)  # stopped meanwhile
        if not live:
            return
        try:
            self._journal(started=live)
        except Exception as error:  # noqa: BLE001 - never posted unjournaled
            _logger.exception("Send journal could not be written")
            for post in live:
                self._slots.release()
                self._done.put((post.key, meta_api.MetaTransportError(type(error).__name__)))
            return
        for post in live:
            self._pool.submit(self._post_one, post)

    def _reservations(self, posts):
        """How many slots each rate-limited account needs in this chunk."""
        needed = {}
        for post in posts:
            if post.rate and post.rate > 0:
                needed[post.account_id] = (post.rate, needed.get(post.account_id, (0, 0))[1] + 1)
        return needed

    def _journal(self, started=(), needed=None):
        """One side transaction: reserve slots, journal `started`, journal finished posts.

        Returns the first reserved slot of each account (``time.monotonic()`` scale).
        """
        needed = needed or {}
        with self._lock:
            finished, self._finished = self._finished, []
            lost, self._lost = self._lost, []
        firsts = {}
        with self._cursor_factory() as cr:
            for account_id, (account_rate, count) in needed.items():
                cr.execute(SQL("INSERT INTO cobranza_whatsapp_rate (account_id) VALUES (%s) "
                               "ON CONFLICT (account_id) DO NOTHING", account_id))
                cr.execute(SQL("SELECT next_slot, extract(epoch FROM clock_timestamp()) "
                               "FROM cobranza_whatsapp_rate WHERE account_id = %s FOR UPDATE",
                               account_id))
                next_free, db_now = cr.fetchone()
                local_now = time.monotonic()
                first, new_next = rate.reserve(next_free, float(db_now), account_rate, count)
                cr.execute(SQL("UPDATE cobranza_whatsapp_rate SET next_slot = %s "
                               "WHERE account_id = %s", new_next, account_id))
                firsts[account_id] = local_now + (first - float(db_now))
            if started:
                cr.execute(SQL(
                    "INSERT INTO cobranza_message_post (message_id, started_at) "
                    "SELECT unnest(%s::int[]), now() at time zone 'UTC' "
                    "ON CONFLICT (message_id) DO UPDATE SET started_at = EXCLUDED.started_at, "
                    "finished_at = NULL, wamid = NULL, wa_id = NULL, answer_lost = NULL",
                    [post.key for post in started]))
            if finished:
                cr.execute(SQL(
                    "UPDATE cobranza_message_post j SET finished_at = now() at time zone 'UTC', "
                    "wamid = v.wamid, wa_id = v.wa_id "
                    "FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::varchar[]) AS wamid, "
                    "unnest(%s::varchar[]) AS wa_id) v WHERE j.message_id = v.id",
                    [f[0] for f in finished], [f[1] for f in finished],
                    [f[2] for f in finished]))
            if lost:
                # Started and never finished: the sweeper waits for Meta's confirmation.
                cr.execute(SQL("UPDATE cobranza_message_post SET answer_lost = TRUE "
                               "WHERE message_id = ANY(%s)", lost))
            # Leaving the block commits an own cursor; a lent one is the caller's to commit.
        return firsts

    @staticmethod
    def _starts_from(started, firsts):
        now = time.monotonic()
        index = {}
        starts = []
        for post in started:
            if post.account_id not in firsts:
                starts.append(now)
                continue
            position = index.get(post.account_id, 0)
            index[post.account_id] = position + 1
            starts.append(firsts[post.account_id] + position / post.rate)
        return starts

    # --- the HTTP threads ---

    def _post_one(self, post):
        """Post one message; its answer (or error) goes to the worker and to the journal."""
        try:
            answer = post.client.send_message(post.payload)
            sent = meta_api.parse_send_response(answer)
        except meta_api.MetaError as error:
            answer, sent = error, None
        except Exception as error:  # noqa: BLE001 - an answer for every post, always
            # Whatever broke, the request may have left: never sent again blindly.
            answer = meta_api.MetaTransportError(type(error).__name__, maybe_sent=True)
            sent = None
        finally:
            self._slots.release()
        if sent:
            self._mark_finished(post.key, sent["wamid"], sent.get("wa_id"))
        elif answer.maybe_sent:
            self._mark_lost(post.key)
        else:  # Meta refused it, or it never left: the retry rules decide
            if answer.kind == meta_api.ACCOUNT:
                self._stopped.setdefault(post.account_id, answer)
            self._mark_finished(post.key, None, None)
        self._done.put((post.key, answer))

    def _mark_finished(self, key, wamid, wa_id):
        with self._lock:
            self._finished.append((key, wamid, wa_id))

    def _mark_lost(self, key):
        with self._lock:
            self._lost.append(key)
