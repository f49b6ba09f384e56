"""Migration 0012 adds the wallet's grace, the ranks' entry rewards and the record of entry
rewards paid, and goes back, on MariaDB and on SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0011_expiry"
WALLET_COLUMNS = {"tier_grace_started_on", "tier_grace_ends_on", "tier_dropped_on"}


def _columns(table):
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def _up_and_down(url):
    application = create_app(app_config(url))
    with application.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO brands (id, name, slug) VALUES (1, 'A', 'a')"))
            conn.execute(
                text(
                    "INSERT INTO ranks (id, brand_id, `key`, name, points_required)"
                    " VALUES (1, 1, 'gold', 'Gold', 500)"
                )
            )
        upgrade(revision="0012_tiers")
        assert _columns("member_wallets") >= WALLET_COLUMNS
        assert {"entry_points", "entry_product_id"} <= _columns("ranks")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO tier_entry_rewards (user_id, brand_id, rank_key, points)"
                    " VALUES (1, 1, 'gold', 250)"
                )
            )
            assert conn.scalar(text("SELECT name FROM ranks WHERE id = 1")) == "Gold"
        downgrade(revision=BEFORE)
        assert "tier_entry_rewards" not in inspect(db.engine).get_table_names()
        assert not WALLET_COLUMNS & _columns("member_wallets")
        assert "entry_points" not in _columns("ranks")
        with db.engine.begin() as conn:
            assert conn.scalar(text("SELECT name FROM ranks WHERE id = 1")) == "Gold"
        upgrade(revision="0012_tiers")
        assert "tier_entry_rewards" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_tiers_migration_up_and_down_on_mariadb():
    with fresh_mariadb("tiers") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_tiers_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'tiers.sqlite3'}")
