"""Item 7: after an account is deleted, the delete is the last thing any workspace hears of
the member: an event waiting for a retry never goes out after it, and no waiting row keeps
their email."""

from datetime import timedelta

from sqlalchemy import insert, select, update

from tests.customerio.conftest import cio, run_jobs  # noqa: F401  (fixture)
from webapp.deliveries.outbox import deliver_outbox
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.profiles import delete_account
from webapp.models import CustomerIoEventQueue, UserActionLogArchive
from webapp.timeutil import utcnow


def test_an_event_waiting_for_a_retry_never_follows_the_delete(cio, make):  # noqa: F811
    brand, archived_brand = make.brand(), make.brand()
    user = make.user(email="gone@example.com", brands=[brand])
    db.session.execute(
        insert(UserActionLogArchive),
        [{"id": 1, "user_id": user.id, "action_type": "product_scanned", "points_awarded": 0,
          "brand_id": archived_brand.id, "created_at": utcnow() - timedelta(days=400)}],
    )  # fmt: skip
    record_event(user, "goal_set", brand_id=brand.id)
    db.session.commit()
    retry_later = update(CustomerIoEventQueue).values(
        attempt_count=1, next_attempt_at=utcnow() + timedelta(minutes=5)
    )
    db.session.execute(retry_later.where(CustomerIoEventQueue.event_type == "event"))
    db.session.commit()
    delete_account(user.id)
    deliver_outbox(brand.id)
    assert [path.rsplit("/", 1)[-1] for path in cio.deletes()] == [str(user.id)]
    db.session.execute(update(CustomerIoEventQueue).values(next_attempt_at=utcnow()))
    db.session.commit()
    deliver_outbox(brand.id)  # the retry comes due after the delete
    assert cio.events() == []
    rows = db.session.scalars(select(CustomerIoEventQueue)).all()
    assert not any("gone@example.com" in str(row.event_data) for row in rows)
    assert {row.brand_id for row in rows if row.event_type == "delete"} == {
        brand.id,
        archived_brand.id,
    }
