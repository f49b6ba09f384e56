"""Migration 0008 adds the compliance tables and columns and takes them away again, on
MariaDB and on SQLite, keeping the wallets it found."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0007_money"
TABLES = {"jurisdiction_rules", "consent_events"}
COLUMNS = {"region", "medical_attested_at"}


def _wallet_columns():
    return {column["name"] for column in inspect(db.engine).get_columns("member_wallets")}


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
                    "INSERT INTO member_wallets (user_id, brand_id, points_balance,"
                    " lifetime_points, marketing_consent, joined_at)"
                    " VALUES (1, 1, 40, 40, 1, CURRENT_TIMESTAMP)"
                )
            )
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        assert _wallet_columns() >= COLUMNS
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO jurisdiction_rules (brand_id, region, name)"
                    " VALUES (1, 'US-CO', 'Colorado')"
                )
            )
            flags = conn.execute(
                text("SELECT min_age, earning_allowed, medical_only FROM jurisdiction_rules")
            ).one()
            assert tuple(flags) == (21, 1, 0)  # the server defaults
            conn.execute(
                text(
                    "INSERT INTO consent_events (user_id, brand_id, channel, granted, source)"
                    " VALUES (1, 1, 'sms', 1, 'registration')"
                )
            )
        downgrade(revision=BEFORE)
        assert not TABLES & set(inspect(db.engine).get_table_names())
        assert not COLUMNS & _wallet_columns()
        with db.engine.connect() as conn:
            kept = conn.execute(
                text("SELECT points_balance, marketing_consent FROM member_wallets")
            )
            assert [tuple(row) for row in kept] == [(40, 1)]
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        db.engine.dispose()


def test_compliance_migration_up_and_down_on_mariadb():
    with fresh_mariadb("compliance") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_compliance_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'compliance.sqlite3'}")
