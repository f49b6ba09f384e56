"""Workers and the periodic jobs go on through Redis loss; a dead worker's rows come back."""

import time

import redis
from rq import Worker

from tests.reliability.services import (
    assert_every_event_reached,
    assert_ledger_invariants,
    copies_by_id,
    kill_worker,
    outbox_rows,
    start_worker,
    wait_until,
)
from webapp.config import load_config
from webapp.events.outbox import record_event
from webapp.extensions import db


def record_events(user, brand, count, name="achievement_unlocked"):
    """`count` events for `user`, committed (delivery is enqueued after the commit)."""
    for _ in range(count):
        record_event(user, name, brand_id=brand.id)
    db.session.commit()


def test_a_worker_survives_redis_loss_mid_job_and_delivery_goes_on(
    app, cio, make, private_redis, fault_report
):
    cio.slow(3.0, count=1)  # the first delivery is still running when Redis goes
    brand, user = make.brand(), make.user()
    record_events(user, brand, 20)
    worker = start_worker(app, cio)
    try:
        wait_until(lambda: any(row.status == "processing" for row in outbox_rows()), timeout=30)
        private_redis.kill()
        lost_at = time.monotonic()
        record_events(user, brand, 10)  # enqueueing fails; the scheduler must deliver them
        wait_until(lambda: all(row.status == "sent" for row in outbox_rows()), timeout=30)
        assert worker.poll() is None, "the worker process exited with Redis"
        recovered = time.monotonic() - lost_at
        private_redis.start()  # empty: the worker's loop must come back to it by itself
        back = redis.Redis.from_url(private_redis.url)
        wait_until(lambda: Worker.all(connection=back), timeout=30)  # registered again
        record_events(user, brand, 5)
        wait_until(lambda: all(row.status == "sent" for row in outbox_rows()), timeout=30)
        assert worker.poll() is None
    finally:
        kill_worker(worker)
    assert len(outbox_rows()) == 35
    assert_every_event_reached(cio)
    assert_ledger_invariants()
    copies = copies_by_id(cio)
    fault_report.record(
        "Redis killed mid-job (worker + scheduler)",
        requests=len(cio.requests),
        errors={"dropped": sum(1 for r in cio.requests if r.status is None)},
        lost=35 - len(copies),
        duplicated=sum(copies.values()) - len(copies),
        recovery=recovered,
    )


def big_event_data(n):
    """Event data too big for a batch operation, so each such row travels alone."""
    return {"note": f"{n}-" + "x" * 40_000}


def test_a_killed_workers_rows_come_back_within_a_minute_and_live_ones_are_left_alone(
    app, cio, make, private_redis, fault_report, tmp_path
):
    defaults = load_config(str(tmp_path), environ={})
    assert defaults["OUTBOX_PROCESSING_TIMEOUT"] + defaults["SWEEP_SECONDS"] <= 60  # + a sweep
    cio.slow(1.5, count=4)  # four single requests in one claim outlast a 4 s lease
    brand, user = make.brand(), make.user()
    for n in range(4):
        record_event(user, "achievement_unlocked", brand_id=brand.id, context=big_event_data(n))
    db.session.commit()
    worker = start_worker(app, cio, OUTBOX_PROCESSING_TIMEOUT=4)
    try:
        wait_until(lambda: all(row.status == "sent" for row in outbox_rows()), timeout=30)
        assert max(copies_by_id(cio).values()) == 1, "a live delivery's rows were reclaimed"
        cio.slow(30.0, count=1)  # the next delivery hangs; its worker is then killed
        record_event(user, "achievement_unlocked", brand_id=brand.id)
        db.session.commit()
        wait_until(lambda: any(row.status == "processing" for row in outbox_rows()), timeout=30)
        kill_worker(worker)
        killed_at = time.monotonic()
        worker = start_worker(app, cio, OUTBOX_PROCESSING_TIMEOUT=4)
        wait_until(lambda: all(row.status == "sent" for row in outbox_rows()), timeout=30)
        recovered = time.monotonic() - killed_at
    finally:
        kill_worker(worker)
    assert recovered < 4 + 1 + 5  # lease, one sweep, and time for the new worker to start
    assert_every_event_reached(cio)
    assert_ledger_invariants()
    fault_report.record(
        "worker SIGKILLed mid-delivery",
        requests=len(cio.requests),
        lost=0,
        duplicated=0,
        recovery=recovered,
    )
