"""Migration 0003 makes wallets from a ledger written before it (MariaDB, and SQLite)."""

import json

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0002_dashboard_index"


def _old_world(conn):
    """Two brands, a ladder, three people and their ledger as the pre-wallet schema held it."""
    hosts = json.dumps({"hosts": ["A.test", "shared.test"], "min_age": 21})
    other = json.dumps({"hosts": ["shared.test", "b.test"]})
    conn.execute(
        text(
            "INSERT INTO brands (id, name, slug, settings) VALUES"
            " (1, 'A', 'a', :a), (2, 'B', 'b', :b)"
        ),
        {"a": hosts, "b": other},
    )
    conn.execute(
        text(
            "INSERT INTO ranks (brand_id, `key`, name, points_required, point_multiplier)"
            " VALUES (1, 'silver', 'Silver', 500, 1.25), (2, 'gold', 'Gold', 100, 1.5)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO users (id, email, password_hash, points_balance, lifetime_points,"
            " signup_brand_id, marketing_consent) VALUES"
            " (1, 'ann@example.com', 'x', 650, 800, 1, 1),"
            " (2, 'ben@example.com', 'x', 0, 0, 2, 0),"
            " (3, 'cy@example.com', 'x', 120, 120, NULL, 0)"
        )
    )
    ledger = [  # user, brand, action, points, table
        (1, 1, "product_scanned", 600, "user_action_log_archive"),
        (1, 1, "reward_redeemed", -300, "user_action_log"),
        (1, 1, "points_refunded", 150, "user_action_log"),
        (1, None, "points_adjusted", 0, "user_action_log"),
        (1, 2, "product_scanned", 200, "user_action_log"),
        (3, 2, "product_scanned", 120, "user_action_log"),
    ]
    for number, (user, brand, action, points, table) in enumerate(ledger, start=1):
        conn.execute(
            text(
                f"INSERT INTO {table} (id, user_id, brand_id, action_type, points_awarded)"
                " VALUES (:id, :u, :b, :a, :p)"
            ),
            {"id": number, "u": user, "b": brand, "a": action, "p": points},
        )
    conn.execute(
        text(
            "INSERT INTO products (id, brand_id, sku, name, msrp, points_award, points_cost)"
            " VALUES (1, 2, 'HOOD', 'Hoodie', 40, 0, 300)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO user_goals (user_id, product_id, goal_type, target_points) VALUES"
            " (1, 1, 'wishlist_item', 300), (1, NULL, 'custom', 50)"
        )
    )


def _migrate_with_old_data(url):
    application = create_app(app_config(url))
    with application.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _old_world(conn)
        upgrade()
        with db.engine.connect() as conn:
            wallets = conn.execute(
                text(
                    "SELECT user_id, brand_id, points_balance, lifetime_points,"
                    " current_rank_key, marketing_consent FROM member_wallets"
                    " ORDER BY user_id, brand_id"
                )
            ).all()
            users = conn.execute(
                text("SELECT id, points_balance, lifetime_points FROM users ORDER BY id")
            ).all()
            hosts = conn.execute(text("SELECT brand_id, host FROM brand_hosts ORDER BY id")).all()
            settings = conn.execute(text("SELECT settings FROM brands ORDER BY id")).scalars()
            goals = conn.execute(text("SELECT brand_id FROM user_goals ORDER BY id")).scalars()
            result = wallets, users, hosts, [json.loads(s) for s in settings], list(goals)
        db.engine.dispose()
    return result


def _check(result):
    wallets, users, hosts, settings, goals = result
    assert [tuple(row) for row in wallets] == [
        (1, 1, 450, 600, "silver", 1),  # archive included; refunds don't raise lifetime
        (1, 2, 200, 200, "gold", 0),  # consent was given at the sign-up brand only
        (2, 2, 0, 0, "member", 0),  # signed up, never scanned: still a member
        (3, 2, 120, 120, "gold", 0),
    ]
    assert [tuple(row) for row in users] == [(1, 650, 800), (2, 0, 0), (3, 120, 120)]
    assert [tuple(row) for row in hosts] == [(1, "a.test"), (1, "shared.test"), (2, "b.test")]
    assert settings == [{"min_age": 21}, {}]
    assert goals == [2, 1]


def test_wallets_are_made_from_the_ledger_on_mariadb():
    with fresh_mariadb("wallets") as url:
        _check(_migrate_with_old_data(url))


@pytest.mark.sqlite_ok
def test_wallets_are_made_from_the_ledger_on_sqlite(tmp_path):
    _check(_migrate_with_old_data(f"sqlite:///{tmp_path / 'wallets.sqlite3'}"))
