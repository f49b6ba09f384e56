"""Faults: nothing lost and nothing sent twice with a different id."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from tests.customerio.conftest import API_KEY, SITE_ID, override_config, restore_config, run_jobs
from webapp.customerio.throttle import release_workspace
from webapp.deliveries.outbox import deliver_outbox
from webapp.deliveries.sweep import sweep_outbox
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue as Outbox
from webapp.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]


def rows():
    """Every outbox row, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(select(Outbox).order_by(Outbox.id)).all()


def make_due_now():
    """Skip the wait before the next attempt and any workspace hold (the schedule itself is
    asserted first)."""
    db.session.execute(update(Outbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    release_workspace(SITE_ID)


def assert_each_row_sent_once_with_its_own_id(fake):
    """Every row sent; Customer.io saw exactly the rows' ids, and accepted each one."""
    all_rows = rows()
    uids = {row.event_uid for row in all_rows}
    assert all(row.status == "sent" for row in all_rows)
    assert {event["id"] for event in fake.events(include_rejected=True)} == uids
    assert {event["id"] for event in fake.events()} == uids


def test_a_server_error_spell_is_retried_with_growing_backoff(cio, make):
    cio.fail(count=3)
    brand, user = make.brand(), make.user()
    record_event(user, "reward_redeemed", brand_id=brand.id)
    db.session.commit()
    delays = []
    for attempt in (1, 2, 3):
        before = utcnow()
        deliver_outbox(brand.id)
        [row] = rows()
        assert row.status == "pending" and row.attempt_count == attempt
        assert row.last_attempt_at >= before and row.error_message.startswith("HTTP 500")
        delays.append((row.next_attempt_at - row.last_attempt_at).total_seconds())
        make_due_now()
    deliver_outbox(brand.id)
    assert delays[0] >= 2 and delays[2] >= delays[0]  # base 5 s, doubled, half jitter at most
    assert rows()[0].status == "sent" and rows()[0].processed_at is not None
    assert_each_row_sent_once_with_its_own_id(cio)


def test_429_storms_wait_at_least_retry_after(cio, make):
    cio.throttle(count=4, retry_after="40")
    brand, user = make.brand(), make.user()
    for name in ("goal_set", "goal_reached"):
        record_event(user, name, brand_id=brand.id)
    db.session.commit()
    for _ in range(4):
        deliver_outbox(brand.id)
        for row in rows():
            assert row.status == "pending"
            assert (row.next_attempt_at - row.last_attempt_at).total_seconds() >= 40
        make_due_now()
    deliver_outbox(brand.id)
    assert len(cio.requests) == 5
    assert_each_row_sent_once_with_its_own_id(cio)


def test_retryable_failures_are_retried_for_the_whole_window_then_fail(cio, make):
    cio.fail()
    brand, user = make.brand(), make.user()
    record_event(user, "referral_nudge", brand_id=brand.id)
    db.session.commit()
    for _ in range(12):  # more than any fixed attempt count used to allow
        deliver_outbox(brand.id)
        [row] = rows()
        assert row.status == "pending"
        assert (row.next_attempt_at - row.last_attempt_at).total_seconds() <= 900  # capped
        make_due_now()
    db.session.execute(update(Outbox).values(created_at=utcnow() - timedelta(days=3, minutes=1)))
    db.session.commit()
    deliver_outbox(brand.id)
    [row] = rows()
    assert row.status == "failed" and row.attempt_count == 13
    assert row.error_message.startswith("gave up after 13 attempts over the retry window: HTTP 500")


def test_a_4xx_that_cannot_succeed_fails_at_once(cio, make):
    cio.respond(400, {"meta": {"error": "malformed attribute"}}, count=1)
    brand, user = make.brand(), make.user()
    record_event(user, "rank_changed", brand_id=brand.id)
    db.session.commit()
    deliver_outbox(brand.id)
    [row] = rows()
    assert row.status == "failed" and row.attempt_count == 1
    assert "HTTP 400" in row.error_message and "malformed attribute" in row.error_message


def test_many_workers_claim_each_row_once(app, cio, make):
    saved = override_config(app, OUTBOX_BATCH_SIZE=7)
    brand, user = make.brand(), make.user()
    for _ in range(210):
        record_event(user, "product_scanned", brand_id=brand.id)
    db.session.commit()

    def worker():
        with app.app_context():
            deliver_outbox(brand.id)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        restore_config(app, saved)
    ids = [event["id"] for event in cio.events(include_rejected=True)]
    assert len(ids) == 210 and len(set(ids)) == 210
    assert_each_row_sent_once_with_its_own_id(cio)


def test_requests_per_second_stay_within_the_workspace_budget(app, cio, make):
    saved = override_config(app, OUTBOX_BATCH_SIZE=1, OUTBOX_REQUESTS_PER_SECOND=10)
    brand, user = make.brand(), make.user()
    for _ in range(25):
        record_event(user, "product_scanned", brand_id=brand.id)
    db.session.commit()
    started = time.monotonic()
    try:
        deliver_outbox(brand.id)
    finally:
        restore_config(app, saved)
    assert time.monotonic() - started > 1.0  # 25 requests at 10 a second span 3 windows
    assert len(cio.requests) == 25


def free_port():
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port):
    """A throwaway redis-server on `port`, ready to answer."""
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def stop_redis(process):
    """Kill a throwaway redis-server and wait for it."""
    process.kill()
    process.wait(timeout=10)


def test_a_redis_outage_during_a_burst_of_500_events_loses_nothing(app, cio, make):
    port = free_port()
    redis_process = start_redis(port)
    saved = override_config(app, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    try:
        brand, user = make.brand(), make.user()
        for burst in range(50):
            if burst == 15:
                stop_redis(redis_process)
            for _ in range(10):
                record_event(user, "product_scanned", brand_id=brand.id)
            db.session.commit()  # from burst 15 on, enqueueing fails and is only logged
        assert db.session.scalar(select(func.count()).select_from(Outbox)) == 500
        redis_process = start_redis(port)  # empty: the jobs queued before the outage are gone
        run_jobs()
        assert all(row.status == "pending" for row in rows())
        sweep_outbox()
        run_jobs()
    finally:
        restore_config(app, saved)
        stop_redis(redis_process)
    assert len(rows()) == 500
    assert_each_row_sent_once_with_its_own_id(cio)


def start_worker(app, fake):
    """`worker.py` as a subprocess against the test database, Redis and the fake."""
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        QUEUE_PREFIX=app.config["QUEUE_PREFIX"],
        CUSTOMERIO_TRACK_URL=fake.url,
        CUSTOMERIO_SITE_ID=SITE_ID,
        CUSTOMERIO_API_KEY=API_KEY,
        SECRET_KEY="worker-test-secret",
        ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"],
    )
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_worker(process):
    """SIGKILL the worker and its work horse."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def wait_until(predicate, timeout):
    """Poll `predicate` until true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_worker_killed_mid_delivery_loses_nothing(app, cio, make):
    cio.slow(3.0, count=1)
    brand, user = make.brand(), make.user()
    for _ in range(20):
        record_event(user, "achievement_unlocked", brand_id=brand.id)
    db.session.commit()  # enqueues the delivery job on the test run's queue
    worker = start_worker(app, cio)
    try:
        wait_until(lambda: any(row.status == "processing" for row in rows()), timeout=30)
        kill_worker(worker)
        assert all(row.status == "processing" for row in rows())
        saved = override_config(app, OUTBOX_PROCESSING_TIMEOUT=0)
        try:
            time.sleep(1.1)  # timestamps have one-second precision
            assert sweep_outbox()["reclaimed"] == 20
        finally:
            restore_config(app, saved)
        worker = start_worker(app, cio)
        wait_until(lambda: all(row.status == "sent" for row in rows()), timeout=30)
    finally:
        if worker.poll() is None:
            kill_worker(worker)
    cio.wait_for(lambda: len(cio.requests) == 2, timeout=5)  # the slow answer lands late
    assert_each_row_sent_once_with_its_own_id(cio)
