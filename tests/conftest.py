"""Test base: a fresh database (MariaDB, or SQLite for the embedded set) per run, a Redis key
prefix per run, a clean slate per test, factories and an auth helper."""

import contextlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from tests import factories
from tests.fake_customerio import fake_cio  # noqa: F401  (fixture)
from webapp import create_app
from webapp.extensions import db

ENGINE = os.environ.get("TEST_ENGINE", "mariadb")
MARIADB_SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_TOKEN = f"{os.getpid()}_{secrets.token_hex(3)}"


def create_mariadb_database(name):
    """Create an empty utf8mb4 database on the test server; returns its URL."""
    server = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        )
    server.dispose()
    return f"{MARIADB_SERVER_URL}/{name}?charset=utf8mb4"


def drop_mariadb_database(name):
    """Drop a database created by `create_mariadb_database`."""
    server = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    server.dispose()


@contextlib.contextmanager
def fresh_mariadb(label):
    """A MariaDB database of its own for one test (yields its URL), dropped afterwards."""
    name = f"crt_{label}_{RUN_TOKEN}"
    url = create_mariadb_database(name)
    try:
        yield url
    finally:
        drop_mariadb_database(name)


def app_config(database_url, **overrides):
    """The settings every test app shares."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": REDIS_URL if ENGINE == "mariadb" else None,
        "QUEUE_PREFIX": f"crt-{RUN_TOKEN}",
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PUBLIC_URL": "http://rewards.test",
        "WTF_CSRF_ENABLED": False,
        "AGE_GATE": False,  # tests of the gate turn it on (tests/auth/conftest.py)
        "CUSTOMERIO_TRACK_URL": "http://127.0.0.1:9",
        # Jobs run as soon as the test asks; tests/customerio/test_delivery.py sets a gather.
        "OUTBOX_GATHER_SECONDS": 0,
        "MEDIA_FOLDER": str(Path(tempfile.gettempdir()) / f"crt-media-{RUN_TOKEN}"),
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this run's own, migrated lazily by the `app` fixture."""
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    name = f"crt_{RUN_TOKEN}"
    url = create_mariadb_database(name)
    yield url
    drop_mariadb_database(name)


class RequestsAfterTheTestsReads(FlaskClient):
    """A test client whose requests start after the test's own session commits: on SQLite a
    transaction reads one snapshot until it ends, and the test reads what requests wrote."""

    def open(self, *args, **kwargs):
        """Commit the test's session (when there is one), then run the request."""
        if has_app_context():
            db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    """One app per test session, on its own migrated database."""
    from flask_migrate import upgrade

    application = create_app(app_config(database_url))
    application.test_client_class = RequestsAfterTheTestsReads
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()
        if application.config["REDIS_URL"]:
            forget_redis_state(application)
    shutil.rmtree(application.config["MEDIA_FOLDER"], ignore_errors=True)


def forget_redis_state(application):
    """Drop this run's queued jobs (their keys do not carry the prefix) and prefixed keys."""
    from webapp.jobs import QUEUE_NAMES, get_queue

    for name in QUEUE_NAMES:
        get_queue(name).empty()
    client = redis.Redis.from_url(application.config["REDIS_URL"])
    for key in client.scan_iter(f"*{application.config['QUEUE_PREFIX']}*", count=1000):
        client.delete(key)


def wipe_tables():
    """Empty every table (foreign key checks off while doing it)."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        for table in tables:
            conn.exec_driver_sql(
                f"DELETE FROM `{table}`"
                if conn.dialect.name != "sqlite"
                else f'DELETE FROM "{table}"'
            )
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")


@pytest.fixture(autouse=True)
def _clean_slate(request):
    """Every test that uses the app ends with empty tables, a fresh session, no cached
    configuration and no rate-limit counters (SQLite reuses ids)."""
    yield
    if "app" not in request.fixturenames:
        return
    from tests.shared_state import forget_queued_marks, reset_scan_limits
    from webapp.loyalty.config_cache import invalidate_all
    from webapp.tenancy import invalidate_brand_cache

    application = request.getfixturevalue("app")
    if has_app_context():
        db.session.rollback()  # what the test itself left uncommitted ends with it
    with application.app_context():
        db.session.rollback()
        db.session.remove()
        wipe_tables()
        reset_scan_limits()
        if application.config["REDIS_URL"]:
            forget_queued_marks()
    invalidate_all()
    invalidate_brand_cache()


@pytest.fixture
def make(app):
    """Factories bound to the test database: make.brand(), make.user(), ..."""
    return factories


class AuthActions:
    """Sign a test client in and out."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=factories.DEFAULT_PASSWORD):
        """POST the login form; returns the response."""
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        """POST /logout."""
        return self._client.post("/logout")

    def register(self, data, **options):
        """Send the sign-up form, then follow the emailed confirmation link (which signs the
        new member in); returns the confirmation's response."""
        sent = self._client.post("/register", data=data, **options)
        assert sent.status_code == 303, sent.get_data(as_text=True)
        path = factories.confirmation_path(data["email"])
        assert path, "no confirmation link was sent"
        return self._client.post(path, **options)


@pytest.fixture
def auth(client):
    """The auth helper for the `client` fixture."""
    return AuthActions(client)
