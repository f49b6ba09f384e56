"""Item 6: a balance change while delivery sends the member's pending identify still reaches
Customer.io: the coalesced identify never drops the last state."""

import threading

from sqlalchemy import select

from tests.loyalty.test_concurrency import run_together
from webapp.deliveries.outbox import claim_due_rows
from webapp.events.identify import identify_attributes
from webapp.events.outbox import record_identify
from webapp.extensions import db
from webapp.loyalty.ledger import grant, lock_member
from webapp.models import CustomerIoEventQueue


def test_an_identify_claimed_while_the_balance_changes_leaves_one_with_the_new_balance(app, make):
    brand = make.brand()
    user = make.user()
    record_identify(user, brand_id=brand.id)
    db.session.commit()  # a pending identify, waiting for delivery
    action_flushed, delivery_read = threading.Event(), threading.Event()

    def earn_500():
        grant(lock_member(user.id, brand.id), 500, "points_adjusted")
        action_flushed.set()
        delivery_read.wait(timeout=5)
        db.session.commit()

    def deliver():
        action_flushed.wait(timeout=5)
        rows = claim_due_rows(brand.id, 100)
        sent = [identify_attributes(row.user_id, brand.id)["points_balance"] for row in rows]
        delivery_read.set()
        return sent

    _, sent = run_together(app, [earn_500, deliver])
    db.session.expire_all()
    waiting = db.session.scalars(
        select(CustomerIoEventQueue).where(
            CustomerIoEventQueue.user_id == user.id,
            CustomerIoEventQueue.event_type == "identify",
            CustomerIoEventQueue.status == "pending",
        )
    ).all()
    assert waiting or sent[-1:] == [500]  # the new balance is sent, or waits to be
    assert identify_attributes(user.id, brand.id)["points_balance"] == 500
    assert sent == []  # delivery skipped the row the action held


def test_a_transaction_looks_for_the_pending_identify_once(app, make, monkeypatch):
    """A scan's several grants (its points, a campaign bonus, achievement rewards) change one
    pending identify row: the look-up and its lock run once per transaction, and again in the
    next one; a rolled-back savepoint that queued the row makes the next change queue it anew."""
    from webapp.events import outbox

    brand = make.brand()
    user = make.user()
    looked = []
    real = outbox._hold_pending_identify
    monkeypatch.setattr(
        outbox, "_hold_pending_identify", lambda *key: looked.append(key) or real(*key)
    )
    member = lock_member(user.id, brand.id)
    for _ in range(3):
        grant(member, 10, "points_adjusted")
    assert looked == [(user.id, brand.id)]
    db.session.commit()
    member = lock_member(user.id, brand.id)
    with db.session.begin_nested():  # a savepoint kept (released), as a rank's entry reward
        grant(member, 10, "points_adjusted")
    grant(member, 10, "points_adjusted")
    assert len(looked) == 2  # a new transaction looks again, once: the savepoint held it
    db.session.commit()

    def pending_identifies():
        db.session.expire_all()
        return db.session.scalars(
            select(CustomerIoEventQueue.id).where(
                CustomerIoEventQueue.user_id == user.id,
                CustomerIoEventQueue.event_type == "identify",
                CustomerIoEventQueue.status == "pending",
            )
        ).all()

    db.session.execute(
        CustomerIoEventQueue.__table__.update()
        .where(CustomerIoEventQueue.user_id == user.id)
        .values(status="sent")
    )
    db.session.commit()
    lock_member(user.id, brand.id)
    with db.session.begin_nested() as savepoint:
        record_identify(user, brand_id=brand.id)  # queues a new row in the savepoint
        savepoint.rollback()
    record_identify(user, brand_id=brand.id)
    db.session.commit()
    assert len(pending_identifies()) == 1
