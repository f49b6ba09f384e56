"""Migration 0010 teaches the ledger its new actions and adds `program_days`, and goes back
only while no ledger row uses the new actions, on MariaDB and on SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0009_locale"


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
        assert "program_days" in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO user_action_log (user_id, action_type, points_awarded, brand_id)"
                    " VALUES (1, 'birthday_bonus', 100, 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO program_days (brand_id, day, changed) VALUES (1, '2026-05-01', 3)"
                )
            )
        with pytest.raises(SystemExit):  # Flask-Migrate logs the refusal and exits
            downgrade(revision=BEFORE)
        assert "program_days" in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM user_action_log"))
        downgrade(revision=BEFORE)
        assert "program_days" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "program_days" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_program_migration_up_and_down_on_mariadb():
    with fresh_mariadb("program") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_program_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'program.sqlite3'}")
