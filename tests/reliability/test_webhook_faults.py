"""A burst of stored webhooks is applied in batches, seconds after the last one arrived."""

import json
import time

from sqlalchemy import func, select

from tests.customerio.test_webhooks import URL, signed_headers
from tests.reliability.services import (
    assert_ledger_invariants,
    kill_worker,
    start_worker,
    wait_until,
)
from webapp.extensions import db
from webapp.models import CustomerIoWebhookLog

WEBHOOKS = 2000


def applied_count():
    """Stored webhooks applied so far (successfully)."""
    db.session.expire_all()
    count = db.session.scalar(
        select(func.count())
        .select_from(CustomerIoWebhookLog)
        .where(CustomerIoWebhookLog.processed_successfully.is_(True))
    )
    db.session.commit()
    return count


def test_two_thousand_stored_webhooks_are_applied_within_ten_seconds(
    app, cio, make, private_redis, fault_report
):
    make.brand()  # on the platform's workspace: the platform endpoint speaks for its members
    members = [make.user() for _ in range(20)]
    db.session.commit()
    client = app.test_client()
    workers = [start_worker(app, cio) for _ in range(2)]
    statuses = []
    try:
        for n in range(WEBHOOKS):
            member = members[n % len(members)]
            payload = {
                "type": "prediction_update",
                "event_id": f"burst-{n}",
                "customer_id": str(member.id),
                "timestamp": 1_760_000_000 + n,
                "data": {"engagement_score": round((n % 100) / 100, 2)},
            }
            body = json.dumps(payload).encode()
            statuses.append(client.post(URL, data=body, headers=signed_headers(body)).status_code)
        stored_at = time.monotonic()
        wait_until(lambda: applied_count() == WEBHOOKS, timeout=10, interval=0.2)
        applied_in = time.monotonic() - stored_at
    finally:
        for worker in workers:
            kill_worker(worker)
    assert statuses == [202] * WEBHOOKS
    assert_ledger_invariants()
    fault_report.record(
        "2,000 signed webhooks at once",
        requests=WEBHOOKS,
        lost=WEBHOOKS - applied_count(),
        duplicated=0,
        recovery=applied_in,
    )
