"""What must hold after any request: row counts (for rejected requests) and the ledger."""

from sqlalchemy import text

from webapp.extensions import db

LEDGER_BREACHES = """
SELECT COUNT(*) FROM users u
WHERE u.points_balance < 0 OR u.lifetime_points < 0 OR u.points_balance <> (
    COALESCE((SELECT SUM(l.points_awarded) FROM user_action_log l WHERE l.user_id = u.id), 0)
  + COALESCE((SELECT SUM(a.points_awarded) FROM user_action_log_archive a
              WHERE a.user_id = u.id), 0))
"""


def table_counts():
    """{table: row count} for every table, in one statement."""
    quote = db.engine.dialect.identifier_preparer.quote
    tables = sorted(db.metadata.tables)
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(name)})" for name in tables)
    return dict(zip(tables, db.session.execute(text(f"SELECT {counts}")).one(), strict=True))


def ledger_breaches():
    """How many members' balances differ from their ledger or leave their range."""
    return db.session.execute(text(LEDGER_BREACHES)).scalar_one()


def changed_tables(before, after):
    """The tables whose row count differs between two `table_counts()`."""
    return {name: (before[name], after[name]) for name in before if before[name] != after[name]}
