"""Databases of a test's own on the test server, and the ledger invariants checked in SQL
(fast at a million rows)."""

import time

from flask_migrate import upgrade
from sqlalchemy import text

from tests.conftest import app_config, create_mariadb_database
from webapp import create_app
from webapp.extensions import db

BOTH_LEDGERS = (
    "(SELECT id, user_id, brand_id, action_type, points_awarded, created_at FROM user_action_log"
    " UNION ALL SELECT id, user_id, brand_id, action_type, points_awarded, created_at"
    " FROM user_action_log_archive)"
)


def app_on_own_database(label):
    """An app on a new migrated database on the test server; returns (app, database name)."""
    name = f"crt_{label}_{int(time.time() * 1000) % 1000000}"
    app = create_app(app_config(create_mariadb_database(name), REDIS_URL=None))
    with app.app_context():
        upgrade()
    return app, name


def run(statement, **params):
    """Execute and commit one statement; returns its result's rows (if any)."""
    result = db.session.execute(text(statement), params)
    rows = result.all() if result.returns_rows else None
    db.session.commit()
    return rows


def ledger_fingerprint():
    """Rows, points, ids and times of the live and archived ledger together."""
    return tuple(
        int(value)
        for value in run(
            "SELECT COUNT(*), SUM(points_awarded), SUM(id), SUM(UNIX_TIMESTAMP(created_at)) "
            f"FROM {BOTH_LEDGERS} AS l"
        )[0]
    )


def invariant_breaks():
    """Wallets whose balance or lifetime is not their ledger's (archive included), negative
    balances, and people whose totals are not their wallets' sums."""
    wallets = run(
        "SELECT COUNT(*) FROM member_wallets w LEFT JOIN (SELECT user_id, brand_id, "
        "SUM(points_awarded) AS balance, SUM(IF(points_awarded > 0 AND action_type <> "
        f"'points_refunded', points_awarded, 0)) AS lifetime FROM {BOTH_LEDGERS} AS l "
        "GROUP BY user_id, brand_id) s ON s.user_id = w.user_id AND s.brand_id = w.brand_id "
        "WHERE w.points_balance <> COALESCE(s.balance, 0) "
        "OR w.lifetime_points <> COALESCE(s.lifetime, 0) OR w.points_balance < 0"
    )[0][0]
    people = run(
        "SELECT COUNT(*) FROM users u JOIN (SELECT user_id, SUM(points_balance) AS balance, "
        "SUM(lifetime_points) AS lifetime FROM member_wallets GROUP BY user_id) w "
        "ON w.user_id = u.id WHERE u.points_balance <> w.balance "
        "OR u.lifetime_points <> w.lifetime"
    )[0][0]
    return wallets, people
