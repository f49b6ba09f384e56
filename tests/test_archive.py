"""Archiving moves old rows in batches and keeps every column."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.archive import run_archive
from webapp.extensions import db
from webapp.models import (
    CustomerIoWebhookLog,
    CustomerIoWebhookLogArchive,
    UserActionLog,
    UserActionLogArchive,
)
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def old_and_new_rows(make):
    brand = make.brand()
    member = make.user()
    now = utcnow()
    for days in (400, 380, 10):
        db.session.add(
            UserActionLog(
                user_id=member.id,
                action_type="product_scanned",
                points_awarded=100,
                brand_id=brand.id,
                action_data={"days": days},
                created_at=now - timedelta(days=days),
            )
        )
    for days in (200, 5):
        db.session.add(
            CustomerIoWebhookLog(
                webhook_type="prediction_update",
                payload={"days": days},
                created_at=now - timedelta(days=days),
            )
        )
    db.session.commit()
    return member


def test_dry_run_counts_without_moving(app, make):
    old_and_new_rows(make)
    result = run_archive(dry_run=True)
    assert result == {"user_action_log": 2, "customer_io_webhook_log": 1}
    assert count(UserActionLog) == 3 and count(UserActionLogArchive) == 0


def test_old_rows_move_with_their_data(app, make):
    member = old_and_new_rows(make)
    result = run_archive()
    assert result == {"user_action_log": 2, "customer_io_webhook_log": 1}
    assert count(UserActionLog) == 1 and count(UserActionLogArchive) == 2
    assert count(CustomerIoWebhookLog) == 1 and count(CustomerIoWebhookLogArchive) == 1
    archived = db.session.scalars(select(UserActionLogArchive)).all()
    assert {row.action_data["days"] for row in archived} == {400, 380}
    assert {row.user_id for row in archived} == {member.id}
    total = db.session.scalar(select(func.sum(UserActionLog.points_awarded))) + db.session.scalar(
        select(func.sum(UserActionLogArchive.points_awarded))
    )
    assert total == 300


def test_archive_command_reports_rows(app, make):
    old_and_new_rows(make)
    result = app.test_cli_runner().invoke(args=["archive", "run", "--dry-run"])
    assert result.exit_code == 0
    assert "user_action_log: would move 2 rows" in result.output
    result = app.test_cli_runner().invoke(args=["archive", "run"])
    assert "user_action_log: moved 2 rows" in result.output
    assert count(UserActionLogArchive) == 2
