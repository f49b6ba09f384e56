"""The periodic sweep and the operators' view of the outbox."""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from webapp.customerio.credentials import customerio_configured_for
from webapp.deliveries.outbox import brand_filter, deliver_outbox, due_filter, setting
from webapp.extensions import db
from webapp.jobs import enqueue_after_commit, enqueue_once
from webapp.models import Brand, CustomerIoWebhookLog
from webapp.models import CustomerIoEventQueue as Outbox
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

WEBHOOK_GRACE_SECONDS = 60


def reclaim_stale_rows(now):
    """Put back `processing` rows whose heartbeat stopped (the worker died); returns how many."""
    timeout = setting("OUTBOX_PROCESSING_TIMEOUT")
    result = db.session.execute(
        update(Outbox)
        .where(
            Outbox.status == "processing",
            Outbox.last_attempt_at < now - timedelta(seconds=timeout),
        )
        .values(status="pending", next_attempt_at=None)
    )
    db.session.commit()
    return result.rowcount


def sweep_outbox():
    """Reclaim stale rows, enqueue delivery for every workspace with due rows, retry webhooks."""
    from webapp.deliveries.webhook_batches import apply_stored_webhooks

    now = utcnow()
    reclaimed = reclaim_stale_rows(now)
    brand_ids = db.session.scalars(select(Outbox.brand_id).where(due_filter(now)).distinct()).all()
    grace = now - timedelta(seconds=WEBHOOK_GRACE_SECONDS)
    webhook_ids = db.session.scalars(
        select(CustomerIoWebhookLog.id).where(
            CustomerIoWebhookLog.processed_at.is_(None),
            CustomerIoWebhookLog.created_at <= grace,
        )
    ).all()
    db.session.commit()
    for brand_id in brand_ids:
        queued = enqueue_once(deliver_outbox, brand_id, queue="high")
        if not queued and current_app.config.get("REDIS_URL"):
            deliver_outbox(brand_id)  # the queue is unreachable: deliver from here
    queued = not webhook_ids or enqueue_once(apply_stored_webhooks)
    if not queued and current_app.config.get("REDIS_URL"):
        apply_stored_webhooks()  # the queue is unreachable: apply from here
    summary = {"reclaimed": reclaimed, "workspaces": len(brand_ids), "webhooks": len(webhook_ids)}
    log.info("outbox sweep: %s", summary)
    return summary


def any_workspace_configured():
    """Whether any workspace (the environment's or a brand's) has Track credentials."""
    if customerio_configured_for(None):
        return True
    return any(
        customerio_configured_for(brand_id)
        for brand_id in db.session.scalars(
            select(Brand.id).where(Brand.customer_io_site_id.is_not(None))
        )
    )


def outbox_status():
    """Counts by status, the oldest pending row's age and whether Customer.io is configured."""
    counts = dict(
        db.session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    )
    oldest = db.session.scalar(
        select(func.min(Outbox.created_at)).where(Outbox.status == "pending")
    )
    return {
        "configured": any_workspace_configured(),
        "counts": {
            status: counts.get(status, 0) for status in ("pending", "processing", "sent", "failed")
        },
        "oldest_pending_seconds": int((utcnow() - oldest).total_seconds()) if oldest else None,
    }


EVERY_WORKSPACE = object()


def retry_failed(brand_id=EVERY_WORKSPACE):
    """Put failed rows (one brand's, or all) back to pending with a fresh retry window and ask
    for their delivery; returns how many rows."""
    now = utcnow()
    failed = Outbox.status == "failed"
    if brand_id is not EVERY_WORKSPACE:
        failed = failed & brand_filter(brand_id)
    brand_ids = db.session.scalars(select(Outbox.brand_id).where(failed).distinct()).all()
    result = db.session.execute(
        update(Outbox)
        .where(failed)
        .values(
            status="pending",
            attempt_count=0,
            next_attempt_at=None,
            processed_at=None,
            retry_until=now + timedelta(seconds=setting("OUTBOX_RETRY_WINDOW_SECONDS")),
        )
    )
    for workspace in brand_ids:
        enqueue_after_commit(deliver_outbox, workspace, queue="high", once=True)
    db.session.commit()
    return result.rowcount
