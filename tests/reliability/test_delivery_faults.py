"""Customer.io faults: a 429 holds the workspace, slow answers get probes, long outages wait."""

import threading
import time
from datetime import timedelta

from sqlalchemy import update

from tests.customerio.conftest import SITE_ID, override_config, restore_config, run_jobs
from tests.reliability.services import (
    assert_every_event_reached,
    assert_ledger_invariants,
    copies_by_id,
    outbox_rows,
)
from webapp.customerio.throttle import release_workspace
from webapp.deliveries.outbox import deliver_outbox
from webapp.deliveries.sweep import sweep_outbox
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue as Outbox
from webapp.timeutil import utcnow


def record_events(user, brand, count):
    """`count` committed event rows (delivered only by the threads of the test)."""
    for _ in range(count):
        record_event(user, "product_scanned", brand_id=brand.id)
    db.session.commit()


def all_sent():
    """Whether every outbox row is sent."""
    return all(row.status == "sent" for row in outbox_rows())


def deliver_from_threads(app, brand_id, threads, seconds):
    """`threads` workers delivering the brand's due rows until all are sent or time is up."""

    def work():
        deadline = time.monotonic() + seconds
        with app.app_context():
            while time.monotonic() < deadline and not all_sent():
                deliver_outbox(brand_id)
                db.session.remove()
                time.sleep(0.05)

    running = [threading.Thread(target=work) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(timeout=seconds + 30)


def test_a_429_holds_the_whole_workspace_until_retry_after(app, cio, make, fault_report):
    saved = override_config(app, OUTBOX_BATCH_SIZE=10, OUTBOX_RETRY_BASE_SECONDS=1)
    brand, user = make.brand(), make.user()
    record_events(user, brand, 300)
    started = time.monotonic()
    cio.throttle(seconds=4, retry_after="2")
    try:
        deliver_from_threads(app, brand.id, threads=3, seconds=30)
    finally:
        restore_config(app, saved)
    throttled = [r for r in cio.requests if r.received_at - started < 4]
    # Retry-After 2 over 4 s allows about 2 requests; three workers may each send one at once.
    assert len(throttled) <= 8, f"{len(throttled)} requests while the workspace was throttled"
    assert_every_event_reached(cio)
    assert_ledger_invariants()
    statuses = [r.status for r in cio.requests]
    fault_report.record(
        "429 Retry-After 2 for 4 s (3 workers)",
        requests=len(statuses),
        errors={429: statuses.count(429)},
        lost=300 - len(copies_by_id(cio)),
        duplicated=sum(copies_by_id(cio).values()) - len(copies_by_id(cio)),
        recovery=max(r.received_at for r in cio.requests) - started - 4,
    )


def test_answers_slower_than_the_read_timeout_get_small_probes_not_whole_batches(
    app, cio, make, fault_report
):
    saved = override_config(app, OUTBOX_RETRY_BASE_SECONDS=1)
    brand, user = make.brand(), make.user()
    record_events(user, brand, 200)
    started = time.monotonic()
    cio.slow(10.3, seconds=12)  # just over the 10 s read timeout
    try:
        deliver_from_threads(app, brand.id, threads=2, seconds=60)
    finally:
        restore_config(app, saved)
    assert_every_event_reached(cio)
    assert_ledger_invariants()
    copies = copies_by_id(cio)
    duplicated = sum(copies.values()) - len(copies)
    # The batches in flight when the answers slowed are sent again (Customer.io drops the
    # repeated ids); after that only probes go until an answer comes back in time.
    assert duplicated <= 260, f"{duplicated} copies sent again"
    fault_report.record(
        "Customer.io answers after the read timeout for 12 s",
        requests=len(cio.requests),
        errors={"timed out": sum(1 for r in cio.requests if r.received_at - started < 12)},
        lost=200 - len(copies),
        duplicated=duplicated,
        recovery=max(r.received_at for r in cio.requests) - started - 12,
    )


def test_an_outage_of_days_is_retried_and_the_sweep_sends_what_is_due(app, cio, make, fault_report):
    brand, user = make.brand(), make.user()
    record_events(user, brand, 67)
    cio.fail()
    deliver_outbox(brand.id)
    for _ in range(30):  # a long outage: many more attempts than a fixed count allowed
        db.session.execute(update(Outbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        release_workspace(SITE_ID)
        deliver_outbox(brand.id)
    assert all(row.status == "pending" for row in outbox_rows())
    failed_requests = len(cio.requests)
    cio.clear()  # Customer.io is back
    db.session.execute(update(Outbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    summary = sweep_outbox()  # enqueues (or runs) delivery of everything due
    run_jobs()
    assert summary["workspaces"] == 1
    assert_every_event_reached(cio)
    assert_ledger_invariants()
    copies = copies_by_id(cio)
    fault_report.record(
        "Customer.io 500s for 31 attempts (days)",
        requests=failed_requests + len(cio.requests),
        errors={500: failed_requests},
        lost=67 - len(copies),
        duplicated=sum(copies.values()) - len(copies),
    )
