"""Outbox delivery: claim due rows of one workspace, send them, record each outcome.

Retryable failures (no answer, 408, 429, 5xx) are retried with capped exponential backoff for
OUTBOX_RETRY_WINDOW_SECONDS (three days) after the row was written; only permanent answers
fail a row sooner. Claimed rows carry a heartbeat (`last_attempt_at`, refreshed between
requests every third of the lease) so the sweep can put back the rows of a worker that died.
"""

import logging
import math
import random
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from webapp.customerio.client import (
    PayloadRejected,
    TrackClient,
    check_event,
    delete_operation,
    event_operation,
    identify_operation,
    shared_session,
    split_into_batches,
)
from webapp.customerio.credentials import track_credentials
from webapp.customerio.throttle import (
    held_for,
    hold_workspace,
    release_workspace,
    wait_for_request_slot,
)
from webapp.events.identify import identify_attributes_of
from webapp.extensions import db
from webapp.jobs import enqueue, job_started, seconds_queued
from webapp.models import CustomerIoEventQueue as Outbox
from webapp.models import User
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

DEFAULTS = {
    "OUTBOX_BATCH_SIZE": 100,
    "OUTBOX_PROBE_SIZE": 10,
    "OUTBOX_RETRY_WINDOW_SECONDS": 3 * 24 * 3600,
    "OUTBOX_RETRY_BASE_SECONDS": 5,
    "OUTBOX_RETRY_MAX_SECONDS": 900,
    "OUTBOX_JOB_SECONDS": 30,
    "OUTBOX_CONNECT_TIMEOUT": 3.05,
    "OUTBOX_READ_TIMEOUT": 10,
    "OUTBOX_SLOW_SPELL_SECONDS": 600,
    "OUTBOX_PROCESSING_TIMEOUT": 45,  # the heartbeat lease of claimed rows
    "OUTBOX_GATHER_SECONDS": 0.25,  # a queued job's wait for the rest of its burst
}
MEMBER_GONE = "the member no longer exists"


def setting(name):
    """An outbox setting from the app config, with its default."""
    return current_app.config.get(name, DEFAULTS[name])


def brand_filter(brand_id):
    """Rows of one workspace (brand_id None: rows without a brand, on the env credentials)."""
    return Outbox.brand_id.is_(None) if brand_id is None else Outbox.brand_id == brand_id


def due_filter(now):
    """Pending rows whose retry time has come."""
    return (Outbox.status == "pending") & or_(
        Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now
    )


def claim_due_rows(brand_id, limit):
    """Atomically move up to `limit` due rows to `processing` (locked rows are skipped)."""
    now = utcnow()
    ids = db.session.scalars(
        select(Outbox.id)
        .where(brand_filter(brand_id), due_filter(now))
        .order_by(Outbox.priority, Outbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if ids:
        db.session.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids))
            .values(
                status="processing", attempt_count=Outbox.attempt_count + 1, last_attempt_at=now
            )
        )
    db.session.commit()
    if not ids:
        return []
    return db.session.scalars(
        select(Outbox)
        .where(Outbox.id.in_(ids))
        .order_by(Outbox.priority, Outbox.id)
        .execution_options(populate_existing=True)
    ).all()


def event_timestamp(row):
    """When the event happened (unix seconds), from its context."""
    return (row.event_data.get("event_context") or {}).get("timestamp")


def operation_for(row, identified):
    """The v2 batch operation for a row (None when the member is gone); `identified` holds
    the attributes of the identify rows' members ({(user_id, brand_id): attributes or None})."""
    customer_id = str(row.user_id)
    if row.event_type == "identify":
        attributes = identified[row.user_id, row.brand_id]
        return None if attributes is None else identify_operation(customer_id, attributes)
    if row.event_type == "delete":
        return delete_operation(customer_id)
    return event_operation(
        customer_id,
        row.event_name,
        row.event_data,
        event_id=row.event_uid,
        timestamp=event_timestamp(row),
    )


def deleted_members(rows):
    """The ids of the rows' members who deleted their account (their delete goes last)."""
    ids = {row.user_id for row in rows}
    return set(
        db.session.scalars(select(User.id).where(User.id.in_(ids), User.deleted_at.is_not(None)))
    )


def send_single(client, row, operation):
    """Send one row with the v1 endpoint matching its operation."""
    customer_id = str(row.user_id)
    if row.event_type == "identify":
        return client.identify(customer_id, operation["attributes"])
    if row.event_type == "delete":
        return client.delete(customer_id)
    return client.track(
        customer_id,
        row.event_name,
        row.event_data,
        event_id=row.event_uid,
        timestamp=event_timestamp(row),
    )


def mark_sent(rows):
    """The rows reached Customer.io: one UPDATE for all of them (the unit of work would send
    one per row, a hundred round trips a batch), their loaded state set to match."""
    if not rows:
        return
    values = {
        "status": "sent",
        "processed_at": utcnow(),
        "error_message": None,
        "next_attempt_at": None,
    }
    db.session.execute(
        update(Outbox)
        .where(Outbox.id.in_([row.id for row in rows]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for row in rows:
        for key, value in values.items():
            set_committed_value(row, key, value)


def mark_failed(row, reason):
    """The row will never be delivered, for `reason`."""
    row.status, row.processed_at, row.error_message = "failed", utcnow(), reason[:1000]


def retry_delay(attempt, retry_after=None):
    """Seconds until the next attempt: exponential, with jitter, at least `Retry-After`."""
    base = setting("OUTBOX_RETRY_BASE_SECONDS") * 2 ** max(0, attempt - 1)
    delay = min(setting("OUTBOX_RETRY_MAX_SECONDS"), base) * random.uniform(0.5, 1.0)
    return max(1, math.ceil(max(delay, retry_after or 0)))


def retry_deadline(row):
    """When retrying stops: the row's own `retry_until` (set by a manual retry), else its
    creation time plus the retry window."""
    if row.retry_until is not None:
        return row.retry_until
    return (row.created_at or utcnow()) + timedelta(seconds=setting("OUTBOX_RETRY_WINDOW_SECONDS"))


def mark_for_retry(row, result):
    """Schedule another attempt, or fail the row once its retry window is over; the delay."""
    if utcnow() >= retry_deadline(row):
        mark_failed(
            row, f"gave up after {row.attempt_count} attempts over the retry window: {result.error}"
        )
        return None
    delay = retry_delay(row.attempt_count, result.retry_after)
    row.status, row.error_message = "pending", result.error
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    return delay


def apply_result(rows, result):
    """Record one request's outcome on the rows it carried; returns the retry delay if any."""
    delays, sent = [], []
    for index, row in enumerate(rows):
        if result.ok and index in result.rejected:
            mark_failed(row, f"Customer.io rejected it: {result.rejected[index]}")
        elif result.ok:
            sent.append(row)
        elif result.permanent:
            mark_failed(row, result.error or f"HTTP {result.status}")
        else:
            delays.append(mark_for_retry(row, result))
    mark_sent(sent)
    return min((d for d in delays if d is not None), default=None)


def identified_members(rows):
    """The attributes of the identify rows' members, {(user_id, brand_id): attributes or
    None}, read once for the whole claim."""
    wanted = {}
    for row in rows:
        if row.event_type == "identify":
            wanted.setdefault(row.brand_id, set()).add(row.user_id)
    return {
        (user_id, brand_id): attributes
        for brand_id, user_ids in wanted.items()
        for user_id, attributes in identify_attributes_of(user_ids, brand_id).items()
    }


def prepare(rows):
    """Split claimed rows into batchable (row, operation) pairs and rows to send alone.

    A member's identify goes once per claim, with the first of their identify rows: it reads
    the attributes now, so the others (changes queued since) would send the same; they are
    marked sent with it."""
    batchable, alone, identified_once, coalesced = [], [], set(), []
    gone = deleted_members(rows)
    identified = identified_members(rows)
    for row in rows:
        if row.event_type == "identify":
            if (row.user_id, row.brand_id) in identified_once:
                coalesced.append(row)
                continue
            identified_once.add((row.user_id, row.brand_id))
        if row.event_type == "event" and row.user_id in gone:
            mark_failed(row, MEMBER_GONE)  # back from a retry after the delete: never sent
            continue
        try:
            operation = operation_for(row, identified)
        except PayloadRejected as rejected:
            if row.event_type != "event":
                mark_failed(row, rejected.reason)
                continue
            try:  # too big for a batch operation, yet within the single-event limit
                check_event(row.event_name, row.event_data)
            except PayloadRejected as too_big:
                mark_failed(row, too_big.reason)
                continue
            alone.append((row, None))
            continue
        if operation is None:
            mark_failed(row, MEMBER_GONE)
        else:
            batchable.append((row, operation))
    mark_sent(coalesced)
    return batchable, alone


def note_outcome(site_id, result, delay):
    """Hold the whole workspace after a 429 (for Retry-After) or an answer that never came."""
    if result.status == 429:
        hold_workspace(
            site_id, result.retry_after if result.retry_after is not None else delay or 1
        )
    elif result.timed_out:
        hold_workspace(site_id, delay or 1)
        hold_workspace(site_id, setting("OUTBOX_SLOW_SPELL_SECONDS"), kind="slow")
    elif result.ok:
        release_workspace(site_id, kind="slow")


def heartbeat(rows):
    """Refresh the claim of rows still waiting for their request (the sweep sees them alive)."""
    ids = [row.id for row in rows if row.status == "processing"]
    if ids:
        db.session.execute(
            update(Outbox)
            .where(Outbox.id.in_(ids), Outbox.status == "processing")
            .values(last_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def postpone(rows, seconds):
    """Give back claimed rows that were not sent (the workspace is held); no attempt counted."""
    for row in rows:
        row.status, row.attempt_count = "pending", max(0, (row.attempt_count or 1) - 1)
        row.next_attempt_at = utcnow() + timedelta(seconds=max(1, math.ceil(seconds)))


def planned_requests(client, rows):
    """The requests that carry claimed rows: v2 batches, then rows that go alone."""
    batchable, alone = prepare(rows)
    if len(batchable) == 1:
        alone, batchable = batchable + alone, []
    planned, start = [], 0
    for batch in split_into_batches([operation for _, operation in batchable]):
        carried = [row for row, _ in batchable[start : start + len(batch)]]
        planned.append((carried, lambda batch=batch: client.batch(batch)))
        start += len(batch)
    for row, operation in alone:
        planned.append(([row], lambda row=row, op=operation: send_single(client, row, op)))
    return planned


def send_rows(client, site_id, rows):
    """Send claimed rows, committing each request's outcome; stops when the workspace is held."""
    planned = planned_requests(client, rows)
    beat_every, last_beat = setting("OUTBOX_PROCESSING_TIMEOUT") / 3, time.monotonic()
    for index, (carried, send) in enumerate(planned):
        held = held_for(site_id)
        if held:
            postpone([row for later, _ in planned[index:] for row in later], held)
            break
        if index and time.monotonic() - last_beat >= beat_every:  # the claim was the first
            heartbeat([row for later, _ in planned[index:] for row in later])
            last_beat = time.monotonic()
        db.session.commit()
        wait_for_request_slot(site_id)
        result = send()
        note_outcome(site_id, result, apply_result(carried, result))
    db.session.commit()


def claim_size(site_id):
    """Rows per claim: a small probe while the workspace answers too slowly, else a batch."""
    return (
        setting("OUTBOX_PROBE_SIZE") if held_for(site_id, "slow") else setting("OUTBOX_BATCH_SIZE")
    )


def gather_burst():
    """A queued delivery job waits until OUTBOX_GATHER_SECONDS after it was enqueued, before
    it clears its queued mark: the rows its burst commits meanwhile enqueue no job of their own
    and go in its claim (under a scan load, one job and one batch request per quarter of a
    second instead of one per few scans). A job that already waited that long (a busy worker)
    or runs inline does not wait."""
    queued = seconds_queued()
    if queued is not None:
        time.sleep(max(0.0, min(setting("OUTBOX_GATHER_SECONDS") - queued, 5.0)))


def deliver_outbox(brand_id):
    """Deliver the due rows of one brand's workspace; returns how many rows it handled.

    Rows waiting for a retry are picked up by the scheduler's sweep once they are due.
    """
    credentials = track_credentials(brand_id)
    if credentials is not None:
        gather_burst()
    job_started(deliver_outbox, brand_id)
    if credentials is None:
        log.info("Customer.io is not configured for brand %s: rows stay pending", brand_id)
        return 0
    site_id, handled = credentials.site_id, 0
    timeout = (setting("OUTBOX_CONNECT_TIMEOUT"), setting("OUTBOX_READ_TIMEOUT"))
    deadline = time.monotonic() + setting("OUTBOX_JOB_SECONDS")
    with TrackClient(
        site_id,
        credentials.api_key,
        credentials.base_url,
        session=shared_session(),
        timeout=timeout,
    ) as client:
        while time.monotonic() < deadline:
            if held_for(site_id):
                break
            rows = claim_due_rows(brand_id, claim_size(site_id))
            if not rows:
                break
            send_rows(client, site_id, rows)
            handled += len(rows)
        else:
            enqueue(deliver_outbox, brand_id, queue="high")  # more left than one job's time
    return handled
