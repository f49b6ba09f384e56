"""Sent outbox rows go after their retention period, in batches; nothing else goes."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from webapp.deliveries.purge import purge_sent_outbox
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue
from webapp.scheduler import HOUR, PERIODIC_JOBS, register_default_jobs
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


def outbox_row(user, brand, status, processed_days_ago, n):
    """One outbox row of `status`, processed that many days ago (None: not processed)."""
    processed = None if processed_days_ago is None else utcnow() - timedelta(processed_days_ago)
    row = CustomerIoEventQueue(
        user_id=user.id,
        brand_id=brand.id,
        event_type="event",
        event_name="product_scanned",
        event_uid=f"uid-{status}-{processed_days_ago}-{n}",
        status=status,
        created_at=utcnow() - timedelta(days=60),
        processed_at=processed,
        event_data={},
    )
    db.session.add(row)
    return row


def remaining():
    return sorted(db.session.scalars(select(CustomerIoEventQueue.event_uid)))


def test_sent_rows_past_the_retention_are_deleted_in_batches_and_nothing_else(app, make):
    app.config["OUTBOX_RETENTION_DAYS"] = 30
    with app.app_context():
        brand = make.brand()
        user = make.user(brands=[brand])
        for n in range(5):
            outbox_row(user, brand, "sent", 31, n)
        kept = [
            outbox_row(user, brand, "sent", 29, 0),
            outbox_row(user, brand, "failed", 90, 0),
            outbox_row(user, brand, "pending", None, 0),
            outbox_row(user, brand, "processing", None, 0),
        ]
        db.session.commit()
        statements = []

        def note(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert purge_sent_outbox(batch_size=2) == 5
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE")]
        assert len(deletes) == 3  # 2 + 2 + 1: batches, never the whole table at once
        assert remaining() == sorted(row.event_uid for row in kept)
        assert purge_sent_outbox() == 0


def test_the_retention_is_a_setting(app, make):
    with app.app_context():
        brand = make.brand()
        user = make.user(brands=[brand])
        outbox_row(user, brand, "sent", 8, 0)
        db.session.commit()
        app.config["OUTBOX_RETENTION_DAYS"] = 10
        assert purge_sent_outbox() == 0
        app.config["OUTBOX_RETENTION_DAYS"] = 7
        try:
            assert purge_sent_outbox() == 1
        finally:
            app.config["OUTBOX_RETENTION_DAYS"] = 30
        assert remaining() == []


def test_the_scheduler_purges_every_hour(app):
    saved = dict(PERIODIC_JOBS)
    try:
        with app.app_context():
            register_default_jobs()
        job, seconds = PERIODIC_JOBS["purge_sent_outbox"]
    finally:
        PERIODIC_JOBS.clear()
        PERIODIC_JOBS.update(saved)
    assert job is purge_sent_outbox and seconds == HOUR
