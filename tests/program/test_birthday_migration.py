"""Migration 0014 adds the wallet's birth month and day (with their index) and a batch's
reversal stamps, and goes back, on MariaDB and on SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0013_campaigns"
WALLET = {"birth_month", "birth_day"}
BATCH = {"points_reversal_requested_at", "points_reversed_at"}


def _columns(table):
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def _indexes(table):
    return {index["name"] for index in inspect(db.engine).get_indexes(table)}


def _up_and_down(url):
    application = create_app(app_config(url))
    with application.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO brands (id, name, slug) VALUES (1, 'A', 'a')"))
            conn.execute(
                text(
                    "INSERT INTO users (id, email, password_hash) VALUES (1, 'a@example.com', 'x')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO member_wallets (user_id, brand_id, joined_at)"
                    " VALUES (1, 1, '2026-01-01 00:00:00')"
                )
            )
        upgrade()
        assert _columns("member_wallets") >= WALLET and _columns("code_batches") >= BATCH
        assert "idx_brand_birthday" in _indexes("member_wallets")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE member_wallets SET birth_month = 2, birth_day = 29"))
            kept = conn.execute(text("SELECT birth_month, birth_day FROM member_wallets")).one()
        assert tuple(kept) == (2, 29)
        downgrade(revision=BEFORE)
        assert not WALLET & _columns("member_wallets") and not BATCH & _columns("code_batches")
        assert "idx_brand_birthday" not in _indexes("member_wallets")
        with db.engine.begin() as conn:  # the wallet itself stays
            assert conn.execute(text("SELECT COUNT(*) FROM member_wallets")).scalar() == 1
        upgrade()
        assert _columns("member_wallets") >= WALLET
        db.engine.dispose()


def test_birthday_migration_up_and_down_on_mariadb():
    with fresh_mariadb("birthday") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_birthday_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'birthday.sqlite3'}")
