"""Retry all failed: staff of the program on the admin page, operators from the command line."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.admin import test_customerio_screens as screens
from tests.admin.conftest import HOST_A, sign_in
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, StaffAuditLog, User
from webapp.timeutil import utcnow

deliver, failed_event = screens.deliver, screens.failed_event
workspace = screens.workspace  # the fixture: Customer.io is the fake


@pytest.fixture(autouse=True)
def member_of_both(app, world):
    """The world's member joins brand B too, so each brand has events about them."""
    with app.app_context():
        factories.member(db.session.get(User, world.ids["member_id"]), world.brand_b)


def statuses(app, brand_id):
    """The statuses of a brand's outbox rows."""
    with app.app_context():
        return db.session.scalars(
            select(CustomerIoEventQueue.status).where(CustomerIoEventQueue.brand_id == brand_id)
        ).all()


def test_a_manager_retries_every_failed_event_of_the_brand_only(app, client, world, workspace):
    member = world.ids["member_id"]
    mine = [failed_event(app, member, world.brand_a.id) for _ in range(3)]
    theirs = failed_event(app, member, world.brand_b.id)
    sign_in(client, world.emails["manager"])
    assert "Retry all failed events" in client.get("/admin/customerio", base_url=HOST_A).text
    response = client.post("/admin/customerio/events/retry-failed", base_url=HOST_A)
    assert response.status_code == 303
    page = client.get("/admin/customerio", base_url=HOST_A).text
    assert "3 failed events will be sent again." in page
    deliver(app)
    with app.app_context():
        rows = {row.id: row for row in db.session.scalars(select(CustomerIoEventQueue))}
        assert all(rows[i].status == "sent" for i in mine)
        assert rows[theirs].status == "failed"  # another brand's rows are left alone
        assert all(rows[i].retry_until > utcnow() for i in mine)
        actions = db.session.scalars(select(StaffAuditLog.action)).all()
        assert "customerio_failed_events_retried" in actions
    delivered = {event["id"] for event in workspace.events()}
    assert {rows[i].event_uid for i in mine} <= delivered


def test_support_cannot_retry_failed_events(app, client, world, workspace):
    failed_event(app, world.ids["member_id"], world.brand_a.id)
    sign_in(client, world.emails["support"])
    response = client.post("/admin/customerio/events/retry-failed", base_url=HOST_A)
    assert response.status_code == 403
    assert statuses(app, world.brand_a.id).count("failed") == 1


def test_operators_retry_failed_rows_for_one_brand_or_all(app, world, workspace):
    member = world.ids["member_id"]
    for brand in (world.brand_a, world.brand_a, world.brand_b):
        failed_event(app, member, brand.id)
    runner = app.test_cli_runner()
    one = runner.invoke(args=["outbox", "retry-failed", "--brand", world.brand_b.slug])
    assert one.exit_code == 0 and "1 failed rows will be sent again." in one.output
    assert "failed" not in statuses(app, world.brand_b.id)
    every = runner.invoke(args=["outbox", "retry-failed"])
    assert every.exit_code == 0 and "2 failed rows will be sent again." in every.output
    assert "failed" not in statuses(app, world.brand_a.id)
    unknown = runner.invoke(args=["outbox", "retry-failed", "--brand", "nope"])
    assert unknown.exit_code != 0 and "No brand with slug 'nope'" in unknown.output
