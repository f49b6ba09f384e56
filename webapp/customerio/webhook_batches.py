"""Stored webhooks applied in batches: one job walks many stored rows and applies each with
`apply_webhook`, in a transaction of its own under a row lock (parallel jobs skip each
other's rows)."""

import logging
import time

from sqlalchemy import select

from webapp.customerio.webhook_apply import apply_webhook
from webapp.extensions import db
from webapp.jobs import enqueue_once, job_started
from webapp.models import CustomerIoWebhookLog

log = logging.getLogger(__name__)

BATCH_SIZE = 500
JOB_SECONDS = 30


def stored_webhook_ids(after_id, limit=BATCH_SIZE):
    """Ids of stored webhooks not yet applied, after `after_id`, oldest first."""
    ids = db.session.scalars(
        select(CustomerIoWebhookLog.id)
        .where(CustomerIoWebhookLog.processed_at.is_(None), CustomerIoWebhookLog.id > after_id)
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
    return True


def apply_stored_webhooks():
    """Apply every stored webhook waiting, for up to JOB_SECONDS; returns how many."""
    job_started(apply_stored_webhooks)
    applied, after_id = 0, 0
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        ids = stored_webhook_ids(after_id)
        if not ids:
            return applied
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
    enqueue_once(apply_stored_webhooks)  # more left than one job's time
    return applied
