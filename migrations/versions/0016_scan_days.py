"""Scan days: a member's scans counted per UTC day, product and brand, kept by triggers.

`member_scan_days` holds, for every member, day, brand and product, how many
`product_scanned` rows the ledger and its archive hold together. Triggers on both tables keep
it (a row inserted, updated or deleted, in any way: the application's ledger, a bulk load, the
archive's move), so the achievement aggregate reads a member's days, not every scan they ever
made; `idx_user_scans` (and the archive's twin) read the scans of the two edge days of a window
from the index alone. The table is filled from the rows already there before the triggers are
made: run the migration with the application stopped, as every migration.

Revision ID: 0016_scan_days
Revises: 0015_performance
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0016_scan_days"
down_revision = "0015_performance"
branch_labels = None
depends_on = None

TABLES = ("user_action_log", "user_action_log_archive")
INDEXES = {"user_action_log": "idx_user_scans", "user_action_log_archive": "idx_archive_user_scans"}
INDEX_COLUMNS = ["user_id", "action_type", "created_at", "brand_id", "product_id"]
KEY = "user_id, day, brand_id, product_id"
BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


def _counted(row):
    """SQL: the `row` (NEW or OLD) is a scan a day counts."""
    return (
        f"{row}.action_type = 'product_scanned' AND {row}.brand_id IS NOT NULL "
        f"AND {row}.product_id IS NOT NULL AND {row}.created_at IS NOT NULL"
    )


def _mysql_add(row):
    return (
        f"INSERT INTO member_scan_days ({KEY}, scans) VALUES ({row}.user_id, "
        f"DATE({row}.created_at), {row}.brand_id, {row}.product_id, 1) "
        "ON DUPLICATE KEY UPDATE scans = scans + 1;"
    )


def _mysql_take(row):
    return (
        "UPDATE member_scan_days SET scans = scans - 1 "
        f"WHERE user_id = {row}.user_id AND day = DATE({row}.created_at) "
        f"AND brand_id = {row}.brand_id AND product_id = {row}.product_id;"
    )


# `@scan_days_paused` (set by the archive while it copies a whole partition it then drops,
# which fires no delete trigger) leaves the days as they are.
def _mysql_triggers(table):
    moved = " OR ".join(f"NOT (OLD.{c} <=> NEW.{c})" for c in INDEX_COLUMNS)
    return [
        f"CREATE TRIGGER {table}_scan_days_insert AFTER INSERT ON {table} FOR EACH ROW "
        f"BEGIN IF @scan_days_paused IS NULL AND {_counted('NEW')} THEN {_mysql_add('NEW')} "
        "END IF; END",
        f"CREATE TRIGGER {table}_scan_days_delete AFTER DELETE ON {table} FOR EACH ROW "
        f"BEGIN IF @scan_days_paused IS NULL AND {_counted('OLD')} THEN {_mysql_take('OLD')} "
        "END IF; END",
        f"CREATE TRIGGER {table}_scan_days_update AFTER UPDATE ON {table} FOR EACH ROW "
        f"BEGIN IF @scan_days_paused IS NULL AND ({moved}) THEN "
        f"IF {_counted('OLD')} THEN {_mysql_take('OLD')} END IF; "
        f"IF {_counted('NEW')} THEN {_mysql_add('NEW')} END IF; END IF; END",
    ]


def _sqlite_add(row):
    return (
        f"INSERT INTO member_scan_days ({KEY}, scans) SELECT {row}.user_id, "
        f"date({row}.created_at), {row}.brand_id, {row}.product_id, 1 WHERE {_counted(row)} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET scans = scans + 1;"
    )


def _sqlite_take(row):
    return (
        "UPDATE member_scan_days SET scans = scans - 1 "
        f"WHERE {_counted(row)} AND user_id = {row}.user_id "
        f"AND day = date({row}.created_at) AND brand_id = {row}.brand_id "
        f"AND product_id = {row}.product_id;"
    )


def _sqlite_triggers(table):
    columns = ", ".join(INDEX_COLUMNS)
    return [
        f"CREATE TRIGGER {table}_scan_days_insert AFTER INSERT ON {table} "
        f"BEGIN {_sqlite_add('NEW')} END",
        f"CREATE TRIGGER {table}_scan_days_delete AFTER DELETE ON {table} "
        f"BEGIN {_sqlite_take('OLD')} END",
        f"CREATE TRIGGER {table}_scan_days_update AFTER UPDATE OF {columns} ON {table} "
        f"BEGIN {_sqlite_take('OLD')} {_sqlite_add('NEW')} END",
    ]


def _fill():
    scans = " UNION ALL ".join(
        f"SELECT user_id, created_at, brand_id, product_id FROM {table} WHERE {_counted(table)}"
        for table in TABLES
    )
    op.execute(
        f"INSERT INTO member_scan_days ({KEY}, scans) "
        "SELECT user_id, DATE(created_at), brand_id, product_id, COUNT(*) "
        f"FROM ({scans}) scans GROUP BY user_id, DATE(created_at), brand_id, product_id"
    )


def upgrade():
    op.create_table(
        "member_scan_days",
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=False),
        sa.Column("scans", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", "brand_id", "product_id"),
        **TABLE_OPTIONS,
    )
    for table, name in INDEXES.items():
        with op.batch_alter_table(table) as batch:
            batch.create_index(name, INDEX_COLUMNS)
    _fill()
    mysql = op.get_bind().dialect.name in ("mysql", "mariadb")
    for table in TABLES:
        for trigger in _mysql_triggers(table) if mysql else _sqlite_triggers(table):
            op.execute(trigger)


def downgrade():
    for table in TABLES:
        for kind in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_scan_days_{kind}")
    for table, name in INDEXES.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_index(name)
    op.drop_table("member_scan_days")
