"""Migration 0015 adds the outbox's identify look-up and purge indexes and takes them away
again, on MariaDB and on SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import app_config, fresh_mariadb
from webapp import create_app
from webapp.extensions import db

BEFORE = "0014_birthdays"
ADDED = {"idx_user_brand_waiting", "idx_status_processed"}


def _outbox_indexes():
    return {index["name"] for index in inspect(db.engine).get_indexes("customer_io_event_queue")}


def _up_and_down(url):
    application = create_app(app_config(url))
    with application.app_context():
        upgrade(revision=BEFORE)
        assert not ADDED & _outbox_indexes()
        upgrade()
        assert _outbox_indexes() >= ADDED
        downgrade(revision=BEFORE)
        assert not ADDED & _outbox_indexes()
        # the contract's own stay (SQLite names them after their table)
        assert any(name.endswith("idx_user_id") for name in _outbox_indexes())
        upgrade()
        assert _outbox_indexes() >= ADDED
        db.engine.dispose()


def test_performance_migration_up_and_down_on_mariadb():
    with fresh_mariadb("perf") as url:
        _up_and_down(url)


@pytest.mark.sqlite_ok
def test_performance_migration_up_and_down_on_sqlite(tmp_path):
    _up_and_down(f"sqlite:///{tmp_path / 'migration.sqlite3'}")
