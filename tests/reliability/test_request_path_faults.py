"""A hung Redis costs a scan milliseconds: short timeouts, then the circuit breaker."""

import time

from tests.customerio.conftest import override_config, restore_config, run_jobs
from tests.factories import DEFAULT_PASSWORD
from tests.portal.member_world import new_code, new_program
from tests.reliability.services import assert_every_event_reached, assert_ledger_invariants
from webapp.deliveries.sweep import sweep_outbox
from webapp.extensions import db


def test_a_hung_redis_costs_scans_milliseconds_not_seconds(
    app, cio, make, private_redis, fault_report
):
    saved = override_config(app, REDIS_BREAKER_RECOVERY_SECONDS=1)
    program = new_program(make)
    codes = [new_code(make, program) for _ in range(30)]
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": program.email, "password": DEFAULT_PASSWORD})
    statuses = []
    try:
        private_redis.pause()
        paused_at = time.monotonic()
        for code in codes[:20]:
            statuses.append(client.post("/scan", data={"code": code}).status_code)
        hung_seconds = time.monotonic() - paused_at
        private_redis.resume()
        time.sleep(1.1)  # the breaker lets a call through again
        resumed_at = time.monotonic()
        for code in codes[20:]:
            statuses.append(client.post("/scan", data={"code": code}).status_code)
        recovery = time.monotonic() - resumed_at
    finally:
        private_redis.resume()
        restore_config(app, saved)
    # Before: every scan waited out two 5 s socket timeouts (and redis-py's retries).
    assert hung_seconds < 4, f"20 scans took {hung_seconds:.1f} s with Redis hung"
    assert statuses == [303] * 30
    with app.app_context():
        sweep_outbox()
        run_jobs()
        assert_ledger_invariants()
    assert_every_event_reached(cio)
    fault_report.record(
        "Redis SIGSTOPped (20 scans)",
        requests=len(statuses),
        errors={status: statuses.count(status) for status in set(statuses) if status >= 400},
        lost=0,
        duplicated=0,
        recovery=recovery,
    )
