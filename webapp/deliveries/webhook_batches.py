"""Stored webhooks applied in batches: a job walks many stored rows and applies each with
`apply_webhook`, in a transaction of its own under a row lock (parallel jobs skip each
other's rows). A backlog is split by id into SHARES threads of the job (applying is mostly
waiting for the database)."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from sqlalchemy import select

from webapp.customerio.webhook_apply import apply_webhook
from webapp.extensions import db
from webapp.jobs import enqueue_once, job_started
from webapp.models import CustomerIoWebhookLog

log = logging.getLogger(__name__)

BATCH_SIZE = 500
JOB_SECONDS = 30
SHARES = 4


def stored_webhook_ids(after_id, share=0, shares=1, limit=BATCH_SIZE):
    """Ids of stored webhooks not yet applied, after `after_id`, in the job's share (ids
    congruent to `share` modulo `shares`), oldest first."""
    waiting = CustomerIoWebhookLog.processed_at.is_(None) & (CustomerIoWebhookLog.id > after_id)
    if shares > 1:
        waiting &= CustomerIoWebhookLog.id % shares == share
    ids = db.session.scalars(
        select(CustomerIoWebhookLog.id)
        .where(waiting)
        .order_by(CustomerIoWebhookLog.id)
        .limit(limit)
    ).all()
    db.session.commit()
    return ids


def apply_locked(log_id):
    """Lock one stored webhook (skipped when another job holds it) and apply it; its commit
    releases the lock. Returns whether this job applied it."""
    row = db.session.scalar(
        select(CustomerIoWebhookLog)
        .where(CustomerIoWebhookLog.id == log_id, CustomerIoWebhookLog.processed_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    if row is None:
        db.session.rollback()
        return False
    apply_webhook(log_id)
    db.session.commit()
    return True


def apply_stored_webhook(log_id):
    """The job staff queue to apply one stored webhook again."""
    apply_webhook(log_id)
    db.session.commit()


def apply_share(share, shares, deadline):
    """Apply the waiting webhooks of one share until none is left or the deadline passes."""
    applied, after_id = 0, 0
    while time.monotonic() < deadline:
        ids = stored_webhook_ids(after_id, share, shares)
        if not ids:
            break
        for log_id in ids:
            after_id = log_id
            try:
                applied += apply_locked(log_id)
            except Exception:
                # One broken row must not hold up the rest; the sweep tries it again later.
                db.session.rollback()
                log.exception("webhook %s could not be applied", log_id)
            if time.monotonic() >= deadline:
                break
    return applied


def apply_share_in_thread(app, share, shares, deadline):
    """`apply_share` in a thread with its own app context (and so its own session)."""
    with app.app_context():
        try:
            return apply_share(share, shares, deadline)
        finally:
            db.session.remove()


def apply_stored_webhooks():
    """Apply every stored webhook waiting, for up to JOB_SECONDS; returns how many."""
    job_started(apply_stored_webhooks)
    deadline = time.monotonic() + JOB_SECONDS
    backlog = len(stored_webhook_ids(0)) == BATCH_SIZE
    if backlog and current_app.config.get("REDIS_URL"):
        app = current_app._get_current_object()
        with ThreadPoolExecutor(SHARES) as pool:
            counts = pool.map(
                lambda share: apply_share_in_thread(app, share, SHARES, deadline), range(SHARES)
            )
            applied = sum(counts)
    else:
        applied = apply_share(0, 1, deadline)
    if time.monotonic() >= deadline:
        enqueue_once(apply_stored_webhooks)  # more left than one job's time
    return applied
