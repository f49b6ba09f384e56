"""Item 6: a balance change while delivery sends the member's pending identify still reaches
Customer.io: the change's own identify waits for its commit, so the last state is never
dropped."""

import threading

from sqlalchemy import select

from tests.loyalty.test_concurrency import run_together
from tests.loyalty.test_query_bound import statements_of
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
    assert sent == [0]  # the waiting row went with the committed balance
    assert len(waiting) == 1  # and the change's own row, committed after, waits to send 500
    assert identify_attributes(user.id, brand.id)["points_balance"] == 500


def test_a_transaction_queues_one_identify_however_many_changes(app, make):
    """A scan's several grants (its points, a campaign bonus, achievement rewards) queue one
    identify row, and look for none; the next transaction queues its own; a rolled-back
    savepoint that queued the row makes the next change queue it anew."""
    brand = make.brand()
    user = make.user()

    def identify_rows():
        db.session.expire_all()
        return db.session.scalars(
            select(CustomerIoEventQueue.id).where(
                CustomerIoEventQueue.user_id == user.id,
                CustomerIoEventQueue.event_type == "identify",
            )
        ).all()

    before = len(identify_rows())
    member = lock_member(user.id, brand.id)

    def three_grants():
        for _ in range(3):
            grant(member, 10, "points_adjusted")
        db.session.flush()

    looked = statements_of(three_grants)
    db.session.commit()
    assert len(identify_rows()) == before + 1
    assert not [s for s in looked if s.startswith("SELECT") and "customer_io_event_queue" in s]

    member = lock_member(user.id, brand.id)
    with db.session.begin_nested():  # a savepoint kept (released), as a rank's entry reward
        grant(member, 10, "points_adjusted")
    grant(member, 10, "points_adjusted")
    db.session.commit()
    assert len(identify_rows()) == before + 2  # a new transaction queues its own, once

    lock_member(user.id, brand.id)
    with db.session.begin_nested() as savepoint:
        record_identify(user, brand_id=brand.id)  # queues a new row in the savepoint
        savepoint.rollback()
    record_identify(user, brand_id=brand.id)
    db.session.commit()
    assert len(identify_rows()) == before + 3
