"""The queue seam: enqueue(fn, *ids) goes to RQ when REDIS_URL is set, else runs inline."""

import logging
import threading
from datetime import UTC, datetime

import redis
from flask import current_app
from rq import Queue, get_current_job
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.utils import import_string

from webapp.extensions import db
from webapp.logs import current_request_id
from webapp.redis_guard import with_fast_redis

log = logging.getLogger(__name__)

QUEUE_NAMES = ("high", "default", "low")
_connections = {}
_connections_lock = threading.Lock()


def redis_connection(url=None):
    """A process-wide Redis client for REDIS_URL (clients are thread-safe pools)."""
    url = url or current_app.config["REDIS_URL"]
    with _connections_lock:
        if url not in _connections:
            _connections[url] = redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
            )
        return _connections[url]


def queue_name(name):
    """The RQ queue name, prefixed so deployments (and test runs) sharing Redis never mix."""
    return f"{current_app.config['QUEUE_PREFIX']}-{name}"


def get_queue(name="default"):
    """The RQ queue `name` (high, default or low)."""
    return Queue(queue_name(name), connection=redis_connection())


def job_name(fn):
    """The job's function name (`fn` is a function or its import path)."""
    return fn.rsplit(".", 1)[-1] if isinstance(fn, str) else fn.__name__


def enqueue(fn, *ids, queue="default", **options):
    """Run `fn(*ids)` in a worker, or right now when no Redis is configured (`fn` may be the
    function's import path, so a lower module can ask for a job of a higher one).

    Returns True when the job was queued or ran; False when Redis could not be reached
    (the periodic sweep picks the work up later, so nothing is lost).
    """
    if not current_app.config.get("REDIS_URL"):
        return _run_inline(fn, ids)
    name = queue_name(queue)
    options = with_request_id(options)
    try:
        with_fast_redis(lambda client: Queue(name, connection=client).enqueue(fn, *ids, **options))
        return True
    except redis.RedisError as error:
        log.warning("queue unavailable, %s left for the sweep: %s", job_name(fn), error)
        return False


def with_request_id(options):
    """RQ enqueue options whose job meta carries the current request id (the worker logs
    the job under it, so one id joins a request's lines to its jobs' lines)."""
    request_id = current_request_id()
    if request_id is None:
        return options
    return dict(options, meta=dict(options.get("meta") or {}, request_id=request_id))


COALESCE_SECONDS = 60


def _coalesce_key(fn, ids):
    prefix = current_app.config["QUEUE_PREFIX"]
    return f"{prefix}-queued:{job_name(fn)}:{':'.join(map(str, ids))}"


def enqueue_once(fn, *ids, queue="default"):
    """Like `enqueue`, but skipped while the same call is already waiting in the queue.

    The job calls `job_started(fn, *ids)` before it looks for work, so anything committed
    after that asks for (and gets) a new job. A lost job only delays the next one by
    COALESCE_SECONDS; the periodic sweep enqueues regardless.
    """
    if not current_app.config.get("REDIS_URL"):
        return _run_inline(fn, ids)
    key = _coalesce_key(fn, ids)
    try:
        if not with_fast_redis(lambda client: client.set(key, 1, nx=True, ex=COALESCE_SECONDS)):
            return True
    except redis.RedisError as error:
        log.warning("queue unavailable, %s left for the sweep: %s", job_name(fn), error)
        return False
    return enqueue(fn, *ids, queue=queue)


def job_started(fn, *ids):
    """Mark a coalesced job as running, so new work enqueues a fresh one."""
    if current_app.config.get("REDIS_URL"):
        try:
            key = _coalesce_key(fn, ids)
            with_fast_redis(lambda client: client.delete(key))
        except redis.RedisError as error:
            log.warning("could not clear the queued mark of %s: %s", job_name(fn), error)


def seconds_queued():
    """How long ago the running RQ job was enqueued (None: not inside an RQ job, e.g. inline)."""
    job = get_current_job()
    if job is None or job.enqueued_at is None:
        return None
    enqueued = job.enqueued_at
    if enqueued.tzinfo is None:
        enqueued = enqueued.replace(tzinfo=UTC)
    return (datetime.now(UTC) - enqueued).total_seconds()


def _run_inline(fn, ids):
    try:
        (import_string(fn) if isinstance(fn, str) else fn)(*ids)
    except Exception:
        # Inline jobs run inside a person's request: their work is already committed and a
        # failed job is retried by the sweep, so the person must not see an error page.
        log.exception("inline job %s%r failed", job_name(fn), ids)
        return False
    return True


def enqueue_after_commit(fn, *ids, queue="default", once=False):
    """Enqueue `fn(*ids)` once the current transaction commits (any `db.session.commit()`);
    with `once`, through `enqueue_once` (no second copy while one is waiting).

    A rollback drops the job: of the whole transaction, or of the savepoint it was asked in.
    """
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback (which drops the job) is seen
    job = (fn, ids, queue, once)
    pending = session.info.setdefault(PENDING, [])
    if all(queued[0] != job for queued in pending):
        pending.append((job, session.get_nested_transaction() or session.get_transaction()))


PENDING = "after_commit_jobs"
COMMITTED = "committed_jobs"


@event.listens_for(Session, "after_commit")
def _hold_committed_jobs(session):
    """The transaction committed: its jobs go out once it has ended (no SQL runs in here)."""
    pending = session.info.pop(PENDING, [])
    session.info.setdefault(COMMITTED, []).extend(job for job, _ in pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back_jobs(session, previous_transaction):
    """Forget the jobs asked for inside the transaction or savepoint that was rolled back."""
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [
            (job, asked_in)
            for job, asked_in in pending
            if not inside_transaction(asked_in, previous_transaction)
        ]


def inside_transaction(transaction, outer):
    """True when `transaction` is `outer` or began inside it (a savepoint of it)."""
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_transaction_end")
def _dispatch_committed_jobs(session, transaction):
    """After the outermost transaction ends: queue what it committed, drop what it did not."""
    if transaction.parent is not None:
        return
    session.info.pop(PENDING, None)
    for fn, ids, queue, once in session.info.pop(COMMITTED, []):
        (enqueue_once if once else enqueue)(fn, *ids, queue=queue)
