"""Liveness without I/O, readiness with its reasons."""

import pytest
import redis
from sqlalchemy import event

from tests.conftest import app_config
from tests.customerio.conftest import override_config, restore_config
from webapp import create_app
from webapp.extensions import db
from webapp.jobs import queue_name

SECTION_9_KEYS = {"status", "database", "redis", "queue_backlog"}


def _statements_during(app, action):
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return response, len(seen)


@pytest.mark.sqlite_ok
def test_healthz_is_alive_without_touching_the_database(app, client):
    response, statements = _statements_during(app, lambda: client.get("/healthz"))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == SECTION_9_KEYS
    assert body["status"] == "ok"
    assert statements == 0


@pytest.mark.sqlite_ok
def test_healthz_reports_what_readyz_last_found(app, client):
    ready = client.get("/readyz").get_json()
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if app.config["REDIS_URL"] else "not configured")
    assert body["queue_backlog"] == ready["queue_depth"]
    if not app.config["REDIS_URL"]:
        assert body["queue_backlog"] is None


@pytest.mark.sqlite_ok
def test_readyz_is_ready_on_a_migrated_database(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    assert body["reasons"] == []


@pytest.mark.sqlite_ok
def test_readyz_answers_on_any_host(client):
    assert client.get("/readyz", base_url="http://nobody.test").status_code == 200


@pytest.mark.sqlite_ok
def test_readyz_is_not_ready_while_migrations_are_behind(app, client):
    app.extensions["migration_heads"] = frozenset({"9999_future"})
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("migration_heads")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "behind"
    assert body["reasons"] == ["database migrations are not at head (run flask db upgrade)"]


@pytest.mark.sqlite_ok
def test_readyz_is_not_ready_when_the_database_is_unreachable(app, tmp_path):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite3'}"
    else:
        url = "mysql+pymysql://root@127.0.0.1:1/nothing"
    down = create_app(app_config(url, REDIS_URL=None))
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "error"
    assert body["reasons"] == ["database unreachable"]
    assert down.test_client().get("/healthz").status_code == 200


def test_readyz_reports_redis_loss_but_stays_ready(app, client):
    saved = override_config(app, REDIS_URL="redis://127.0.0.1:1/0")
    try:
        response = client.get("/readyz")
    finally:
        restore_config(app, saved)
    assert response.status_code == 200
    assert response.get_json()["redis"] == "error"


def test_readyz_is_not_ready_past_the_queue_depth_limit(app, client):
    with app.app_context():
        key = f"rq:queue:{queue_name('low')}"
    before = client.get("/readyz").get_json()["queue_depth"]  # earlier tests' jobs wait too
    server = redis.Redis.from_url(app.config["REDIS_URL"])
    server.rpush(key, "a", "b", "c")
    limit = before + 2
    saved = override_config(app, READY_MAX_QUEUE_DEPTH=limit)
    try:
        response = client.get("/readyz")
    finally:
        restore_config(app, saved)
        server.lrem(key, 0, "a")
        server.lrem(key, 0, "b")
        server.lrem(key, 0, "c")
    assert response.status_code == 503
    body = response.get_json()
    assert body["queue_depth"] == before + 3
    assert body["reasons"] == [f"queue depth {before + 3} over {limit}"]
