"""MariaDB faults on a private server: friendly pages while it is down, one retry when safe."""

import threading
import time

import pymysql
import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests import factories
from tests.conftest import app_config
from tests.reliability.services import (
    PrivateMariaDB,
    assert_every_event_reached,
    assert_ledger_invariants,
)
from webapp import create_app
from webapp.deliveries.sweep import sweep_outbox
from webapp.extensions import db
from webapp.models import ScanCode, UserActionLog


@pytest.fixture(scope="module")
def mariadb():
    """A private mariadbd with a migrated database, and an app on it (errors not propagated)."""
    server = PrivateMariaDB().install().start()
    url = server.create_database("faults")
    application = create_app(app_config(url, REDIS_URL=None, PROPAGATE_EXCEPTIONS=False))

    @application.get("/_fault/boom")
    def boom():
        raise RuntimeError("a bug")

    with application.app_context():
        upgrade()
    yield server, application
    with application.app_context():
        db.engine.dispose()
    server.close()


@pytest.fixture(scope="module")
def program(mariadb):
    """A brand, a product with codes and a signed-in member on the private server."""
    _, application = mariadb
    with application.app_context():
        brand = factories.brand()
        product = factories.product(brand, points_award=100)
        member = factories.user()
        codes = [factories.scan_code(product).code for _ in range(60)]
        email = member.email
    client = application.test_client()
    client.post("/login", data={"email": email, "password": factories.DEFAULT_PASSWORD})
    return client, codes


def test_with_the_database_down_people_get_the_friendly_pages(mariadb, program):
    server, application = mariadb
    client, codes = program
    assert client.get("/").status_code == 200
    server.kill()
    try:
        page = client.get("/")
        boom = client.get("/_fault/boom")
    finally:
        server.start()
    assert page.status_code == 503 and b"Please try again" in page.data
    assert boom.status_code == 500 and b"Something went wrong on our side" in boom.data
    for response in (page, boom):
        assert b"<!doctype html>" in response.data and b"Internal Server Error" not in response.data
    assert client.get("/").status_code == 200  # back without a restart


def ledger_rows():
    """How many ledger rows there are."""
    return db.session.scalar(select(func.count()).select_from(UserActionLog))


def deadlock():
    """The error a deadlocked statement raises."""
    return OperationalError(
        "UPDATE users", {}, pymysql.err.OperationalError(1213, "Deadlock found")
    )


def test_a_deadlocked_scan_is_run_once_more(mariadb, program, monkeypatch):
    _, application = mariadb
    client, codes = program
    from webapp.portal import scan as scan_view

    real_claim, calls = scan_view.claim_for, []

    def deadlock_first(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise deadlock()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(scan_view, "claim_for", deadlock_first)
    with application.app_context():
        before = ledger_rows()
    response = client.post("/scan", data={"code": codes[0]})
    assert response.status_code == 303 and len(calls) == 2
    with application.app_context():
        assert ledger_rows() == before + 1
        assert_ledger_invariants()


def test_mariadb_restarted_mid_load_shows_try_again_and_loses_nothing(
    mariadb, program, fault_report, fake_cio
):
    server, application = mariadb
    client, codes = program
    cookie = client.get_cookie("session")
    statuses, lock = [], threading.Lock()

    def member(my_codes):
        own = application.test_client()
        own.set_cookie("session", cookie.value)
        for code in my_codes:
            status = own.post("/scan", data={"code": code}).status_code
            with lock:
                statuses.append(status)
            time.sleep(0.05)

    threads = [threading.Thread(target=member, args=(codes[1 + i :: 4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    server.kill()
    down_at = time.monotonic()
    server.start()
    for thread in threads:
        thread.join(timeout=120)
    recovery = time.monotonic() - down_at
    assert statuses and set(statuses) <= {303, 503}, statuses
    with application.app_context():
        claimed = db.session.scalar(
            select(func.count())
            .select_from(ScanCode)
            .where(ScanCode.claimed_by_user_id.is_not(None))
        )
        ledger = db.session.scalar(
            select(func.count())
            .select_from(UserActionLog)
            .where(UserActionLog.action_type == "product_scanned")
        )
        # One ledger row per claimed code; a 503 after its commit was sent may still have won.
        assert claimed == ledger >= statuses.count(303)
        assert_ledger_invariants()
        application.config.update(
            CUSTOMERIO_TRACK_URL=fake_cio.url, CUSTOMERIO_SITE_ID="s", CUSTOMERIO_API_KEY="k"
        )
        try:
            sweep_outbox()  # without Redis the sweep delivers in this process
        finally:
            application.config.update(CUSTOMERIO_SITE_ID=None, CUSTOMERIO_API_KEY=None)
        assert_every_event_reached(fake_cio)
    fault_report.record(
        "MariaDB killed and restarted mid-load (4 members)",
        requests=len(statuses),
        errors={503: statuses.count(503)},
        lost=0,
        duplicated=0,
        recovery=recovery,
    )
