"""Migration 0013 adds `campaigns` and `member_earning_counts` and goes back, on MariaDB and on
SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0012_tiers"
TABLES = {"campaigns", "member_earning_counts"}


def _up_and_down(url):
    application = create_app(app_config(url))
    with application.app_context():
        upgrade(revision=BEFORE)
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade(revision="0013_campaigns")
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO brands (id, name, slug) VALUES (1, 'A', 'a')"))
            conn.execute(
                text(
                    "INSERT INTO campaigns (brand_id, name, starts_at, ends_at, multiplier)"
                    " VALUES (1, 'Double', '2030-09-14 07:00:00', '2030-09-16 07:00:00', 2)"
                )
            )
            spent = conn.execute(text("SELECT spent_points FROM campaigns")).scalar()
        assert spent == 0
        downgrade(revision=BEFORE)
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade(revision="0013_campaigns")
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        db.engine.dispose()


def test_campaign_migration_up_and_down_on_mariadb():
    with fresh_mariadb("campaigns") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_campaign_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'campaigns.sqlite3'}")
