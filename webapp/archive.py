"""Data lifecycle: move old action-log and webhook-log rows into their archive tables.

On a partitioned table, every month wholly older than the cutoff is copied into the archive
in one statement and its partition dropped; the rows of the month the cutoff falls in move
in batches as on an unpartitioned table.
"""

import calendar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, insert, select

from webapp import partitioning
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
    if partitioning.is_partitioned(live.name):
        moved += archive_whole_partitions(live.name, archive.name, names, cutoff)
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


def archive_whole_partitions(live, archive, names, cutoff):
    """Copy every partition of `live` entirely older than `cutoff` into `archive`, then drop
    it (instant, where deleting its rows one by one would take minutes); returns rows moved.
    A run cut short between copy and drop copies nothing twice next time (INSERT IGNORE on
    the archive's primary key)."""
    columns = ", ".join(f"`{name}`" for name in names)
    limit = calendar.timegm(cutoff.timetuple())
    months = partitioning.month_partitions(live)
    db.session.commit()  # the session holds no metadata lock while the DDL runs
    moved = 0
    for name, bound in months:
        if bound is None or bound > limit:
            break
        moved += _copy_partition(
            f"INSERT IGNORE INTO `{archive}` ({columns}) "
            f"SELECT {columns} FROM `{live}` PARTITION ({name})"
        )
        with db.engine.connect() as connection:
            connection.exec_driver_sql(f"ALTER TABLE `{live}` DROP PARTITION {name}")
    return moved


def _copy_partition(statement):
    """Run the copy of a partition about to be dropped; rows copied.

    The drop fires no delete trigger, so the copy must not count the rows in
    `member_scan_days` a second time: `@scan_days_paused` stops its triggers for this one
    connection, which is then closed for good (never back in the pool with them stopped).
    """
    connection = db.engine.connect()
    try:
        connection.exec_driver_sql("SET @scan_days_paused = 1")
        copied = connection.exec_driver_sql(statement).rowcount
        connection.commit()
        return copied
    finally:
        connection.invalidate()
        connection.close()


def run_archive(dry_run=False, now=None):
    """Archive every table; with dry_run only count. Returns {table name: rows}."""
    if dry_run:
        return {plan.live.__tablename__: count_due(plan, now) for plan in PLANS}
    partitioning.ensure_future_partitions(now)
    return {plan.live.__tablename__: archive_table(plan, now) for plan in PLANS}
