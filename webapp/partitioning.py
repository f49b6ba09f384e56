"""Partitioning on MariaDB/MySQL (database-schema.md section 9.2): `user_action_log` by month,
`customer_io_event_queue` by month and, within each month, by status.

InnoDB partitioned tables have no foreign keys and every unique key must hold the partition
columns, so converting a table drops its foreign keys, makes the primary key (id, created_at
[, status]) and makes those columns NOT NULL. What the foreign keys did is kept by the
application (rows are written only for a locked, existing member, product and brand; people are
anonymised, never deleted) and checked by `orphan_counts` (`flask --app wsgi db orphans`).
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from webapp.extensions import db
from webapp.timeutil import utcnow

FUTURE = "p_future"
MONTHS_AHEAD = 3
STATUS_SUBPARTITIONS = 4  # one per outbox status: KEY(status) puts each in its own


@dataclass(frozen=True)
class Scheme:
    """How one table is partitioned."""

    table: str
    key_columns: tuple
    by_status: bool


SCHEMES = {
    "user_action_log": Scheme("user_action_log", ("id", "created_at"), by_status=False),
    "customer_io_event_queue": Scheme(
        "customer_io_event_queue", ("id", "created_at", "status"), by_status=True
    ),
}

# What each dropped foreign key pointed at: (table, column) -> referenced table.
REFERENCES = {
    ("user_action_log", "user_id"): "users",
    ("user_action_log", "product_id"): "products",
    ("user_action_log", "brand_id"): "brands",
    ("customer_io_event_queue", "user_id"): "users",
    ("customer_io_event_queue", "brand_id"): "brands",
}


class PartitionError(RuntimeError):
    """The database cannot be partitioned as asked (engine, data or keys)."""


def is_mysql():
    """Whether the app's database is MariaDB or MySQL."""
    return db.engine.dialect.name in ("mysql", "mariadb")


def _rows(statement, **params):
    return db.session.execute(text(statement), params).all()


def is_partitioned(table):
    """Whether `table` is partitioned now."""
    if not is_mysql():
        return False
    return bool(
        _rows(
            "SELECT 1 FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = :t AND PARTITION_NAME IS NOT NULL LIMIT 1",
            t=table,
        )
    )


def month_partitions(table):
    """[(name, upper bound as a UNIX time or None for MAXVALUE)] in order."""
    rows = _rows(
        "SELECT DISTINCT PARTITION_NAME, PARTITION_DESCRIPTION, PARTITION_ORDINAL_POSITION "
        "FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t "
        "AND PARTITION_NAME IS NOT NULL ORDER BY PARTITION_ORDINAL_POSITION",
        t=table,
    )
    return [(name, None if bound == "MAXVALUE" else int(bound)) for name, bound, _ in rows]


def _month_starts(first, last):
    """The first day of every month from `first`'s month to `last`'s, inclusive."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield datetime(year, month, 1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _next_month(day):
    return datetime(day.year + 1, 1, 1) if day.month == 12 else datetime(day.year, day.month + 1, 1)


def _partition(month_start):
    bound = calendar.timegm(_next_month(month_start).timetuple())
    name = f"p{month_start:%Y_%m}"
    return (
        f"PARTITION {name} VALUES LESS THAN ({bound}) /* < {_next_month(month_start):%Y-%m-%d} */"
    )


def _column_type(table, column):
    return _rows(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_NAME = :t AND COLUMN_NAME = :c",
        t=table,
        c=column,
    )[0][0]


def _foreign_keys(table):
    """Names of the foreign keys on `table` and of those pointing at it (as (table, name))."""
    return _rows(
        "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND (TABLE_NAME = :t OR REFERENCED_TABLE_NAME = :t) "
        "ORDER BY TABLE_NAME, CONSTRAINT_NAME",
        t=table,
    )


def _other_unique_keys(table):
    return [
        name
        for (name,) in _rows(
            "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :t AND NON_UNIQUE = 0 "
            "AND INDEX_NAME <> 'PRIMARY'",
            t=table,
        )
    ]


def conversion_ddl(scheme, now=None, months_ahead=MONTHS_AHEAD):
    """The statements that partition `scheme.table` (foreign keys first, then the rebuild)."""
    table = scheme.table
    unique = _other_unique_keys(table)
    if unique:
        raise PartitionError(f"{table} has unique keys without created_at: {', '.join(unique)}")
    statements = [
        f"ALTER TABLE `{owner}` DROP FOREIGN KEY `{name}`" for owner, name in _foreign_keys(table)
    ]
    oldest = db.session.scalar(text(f"SELECT MIN(created_at) FROM `{table}`"))
    now = now or utcnow()
    first = min(oldest or now, now)
    months = [_partition(m) for m in _month_starts(first, _add_months(now, months_ahead))]
    months.append(f"PARTITION {FUTURE} VALUES LESS THAN MAXVALUE")
    changes = [
        f"MODIFY `created_at` {_column_type(table, 'created_at')} NOT NULL "
        "DEFAULT CURRENT_TIMESTAMP"
    ]
    if scheme.by_status:
        changes.append(
            f"MODIFY `status` {_column_type(table, 'status')} NOT NULL DEFAULT 'pending'"
        )
    changes += ["DROP PRIMARY KEY", f"ADD PRIMARY KEY ({', '.join(scheme.key_columns)})"]
    layout = "PARTITION BY RANGE (UNIX_TIMESTAMP(created_at))"
    if scheme.by_status:
        layout += f" SUBPARTITION BY KEY (status) SUBPARTITIONS {STATUS_SUBPARTITIONS}"
    statements.append(
        f"ALTER TABLE `{table}` "
        + ", ".join(changes)
        + f" {layout} (\n  "
        + ",\n  ".join(months)
        + "\n)"
    )
    return statements


def _add_months(day, months):
    for _ in range(months):
        day = _next_month(day)
    return day


def future_partitions_ddl(table, now=None, months_ahead=MONTHS_AHEAD):
    """The statement that splits p_future so months up to `months_ahead` have their own."""
    bounds = [bound for _, bound in month_partitions(table) if bound is not None]
    last_bound = datetime.fromtimestamp(max(bounds), UTC).replace(tzinfo=None) if bounds else None
    wanted = _add_months(now or utcnow(), months_ahead)
    if last_bound is None or last_bound > wanted:
        return None
    months = [_partition(m) for m in _month_starts(last_bound, wanted)]
    months.append(f"PARTITION {FUTURE} VALUES LESS THAN MAXVALUE")
    return (
        f"ALTER TABLE `{table}` REORGANIZE PARTITION {FUTURE} INTO (\n  "
        + ",\n  ".join(months)
        + "\n)"
    )


def _refuse_nulls(scheme):
    for column in scheme.key_columns[1:]:
        nulls = db.session.scalar(
            text(f"SELECT COUNT(*) FROM `{scheme.table}` WHERE `{column}` IS NULL")
        )
        if nulls:
            raise PartitionError(
                f"{scheme.table} has {nulls} rows with no {column}; fix them first"
            )


def plan(tables=None, now=None, months_ahead=MONTHS_AHEAD):
    """{table: [statements]} to partition (or extend the partitions of) each table."""
    if not is_mysql():
        raise PartitionError("Partitioning needs MariaDB or MySQL; SQLite has none.")
    result = {}
    for name in tables or SCHEMES:
        scheme = SCHEMES[name]
        if is_partitioned(name):
            extend = future_partitions_ddl(name, now, months_ahead)
            result[name] = [extend] if extend else []
        else:
            _refuse_nulls(scheme)
            result[name] = conversion_ddl(scheme, now, months_ahead)
    db.session.rollback()
    return result


def apply(statements_by_table):
    """Run the planned statements (each DDL statement commits by itself)."""
    with db.engine.connect() as connection:
        for statements in statements_by_table.values():
            for statement in statements:
                connection.exec_driver_sql(statement)


def ensure_future_partitions(now=None):
    """Give every partitioned table its own partitions for the coming months (the archive
    job calls this daily; splitting the empty p_future is instant)."""
    for name in SCHEMES:
        if is_partitioned(name):
            statement = future_partitions_ddl(name, now)
            db.session.commit()  # hold no metadata lock while the DDL runs
            if statement:
                apply({name: [statement]})


def orphan_counts():
    """{"table.column": rows pointing at nothing}: the check that replaces foreign keys."""
    counts = {}
    for (table, column), target in REFERENCES.items():
        counts[f"{table}.{column}"] = db.session.scalar(
            text(
                f"SELECT COUNT(*) FROM `{table}` AS t WHERE t.`{column}` IS NOT NULL AND NOT "
                f"EXISTS (SELECT 1 FROM `{target}` AS r WHERE r.id = t.`{column}`)"
            )
        )
    db.session.rollback()
    return counts
