"""Data lifecycle: move old action-log and webhook-log rows into their archive tables."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from webapp.extensions import db
from webapp.models import (
    CustomerIoWebhookLog,
    CustomerIoWebhookLogArchive,
    UserActionLog,
    UserActionLogArchive,
)
from webapp.timeutil import utcnow

BATCH_SIZE = 1000
ACTION_LOG_AGE = timedelta(days=365)
WEBHOOK_LOG_AGE = timedelta(days=183)


@dataclass(frozen=True)
class ArchivePlan:
    """One live table, its archive twin and how old a row must be to move."""

    live: type
    archive: type
    max_age: timedelta


PLANS = (
    ArchivePlan(UserActionLog, UserActionLogArchive, ACTION_LOG_AGE),
    ArchivePlan(CustomerIoWebhookLog, CustomerIoWebhookLogArchive, WEBHOOK_LOG_AGE),
)


def _columns(model):
    return [column.name for column in model.__table__.columns]


def count_due(plan, now=None):
    """How many rows of `plan.live` are old enough to move."""
    cutoff = (now or utcnow()) - plan.max_age
    return db.session.scalar(
        select(func.count()).select_from(plan.live).where(plan.live.created_at < cutoff)
    )


def archive_table(plan, now=None, batch_size=BATCH_SIZE):
    """Move due rows in id-ordered batches, one short transaction each; returns rows moved."""
    cutoff = (now or utcnow()) - plan.max_age
    live, archive = plan.live.__table__, plan.archive.__table__
    names = _columns(plan.live)
    moved = 0
    while True:
        ids = list(
            db.session.scalars(
                select(live.c.id)
                .where(live.c.created_at < cutoff)
                .order_by(live.c.id)
                .limit(batch_size)
            )
        )
        if not ids:
            return moved
        source = select(*[live.c[name] for name in names]).where(live.c.id.in_(ids))
        db.session.execute(insert(archive).from_select(names, source))
        db.session.execute(delete(live).where(live.c.id.in_(ids)))
        db.session.commit()
        moved += len(ids)


def run_archive(dry_run=False, now=None):
    """Archive every table; with dry_run only count. Returns {table name: rows}."""
    if dry_run:
        return {plan.live.__tablename__: count_due(plan, now) for plan in PLANS}
    return {plan.live.__tablename__: archive_table(plan, now) for plan in PLANS}
