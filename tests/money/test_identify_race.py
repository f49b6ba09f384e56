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
