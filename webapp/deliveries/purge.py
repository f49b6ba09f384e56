"""Sent outbox rows go after their retention period (OUTBOX_RETENTION_DAYS), in batches.

A sent row is kept for support ("did Customer.io get it?") and for the delivery-health
figures, which look back days, not months; past the retention it only makes the queue's
indexes and the member's look-ups bigger. Failed rows stay: someone may still retry them.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import CustomerIoEventQueue
from webapp.timeutil import utcnow

DEFAULT_RETENTION_DAYS = 30
BATCH_SIZE = 1000


def retention():
    """How long a sent row is kept."""
    return timedelta(days=current_app.config.get("OUTBOX_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


def purge_sent_outbox(now=None, batch_size=BATCH_SIZE):
    """Delete sent rows processed before `now` minus the retention, `batch_size` at a time,
    each batch its own short transaction (no long lock on the queue); returns rows deleted."""
    cutoff = (now or utcnow()) - retention()
    queue = CustomerIoEventQueue.__table__
    deleted = 0
    while True:
        ids = list(
            db.session.scalars(
                select(queue.c.id)
                .where(queue.c.status == "sent", queue.c.processed_at < cutoff)
                .order_by(queue.c.processed_at)
                .limit(batch_size)
            )
        )
        if not ids:
            db.session.commit()
            return deleted
        db.session.execute(delete(queue).where(queue.c.id.in_(ids), queue.c.status == "sent"))
        db.session.commit()
        deleted += len(ids)
