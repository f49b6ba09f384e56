"""Migration 0011 adds `points_expiry_reminders` (one reminder per member, brand, expiry date
and reminder day) and takes it away again, on MariaDB and on SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0010_program_economy"
REMINDER = (
    "INSERT INTO points_expiry_reminders (user_id, brand_id, expires_on, days_before, points)"
    " VALUES (1, 1, '2026-05-01', 30, 120)"
)


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
        upgrade()
        assert "points_expiry_reminders" in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(text(REMINDER))
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(REMINDER))  # the same reminder twice
        downgrade(revision=BEFORE)
        assert "points_expiry_reminders" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "points_expiry_reminders" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_expiry_migration_up_and_down_on_mariadb():
    with fresh_mariadb("expiry") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_expiry_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'expiry.sqlite3'}")
