"""Customer.io screens: counts, retry, webhook log and reprocess, credentials, test event."""

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.admin.conftest import HOST_A, sign_in
from tests.admin.test_access import ROUTES
from tests.customerio.conftest import (
    API_KEY,
    SITE_ID,
    empty_queues,
    override_config,
    restore_config,
    run_jobs,
)
from webapp.customerio.credentials import decrypt_secret
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.models import (
    Brand,
    CustomerIoEventQueue,
    CustomerIoWebhookLog,
    MemberAiProfile,
    StaffAuditLog,
    User,
)
from webapp.timeutil import utcnow

SECRETS = {
    "site_id": "site-4f1c9e",
    "api_key": "track-key-8d2b71aa",
    "signing_key": "signing-key-77e0c3",
    "token": "bearer-token-3a9f5d",
}


@pytest.fixture
def workspace(app, fake_cio):
    """The app's Customer.io pointed at the fake (environment credentials); yields the fake."""
    saved = override_config(
        app,
        CUSTOMERIO_TRACK_URL=fake_cio.url,
        CUSTOMERIO_SITE_ID=SITE_ID,
        CUSTOMERIO_API_KEY=API_KEY,
    )
    with app.app_context():
        if app.config.get("REDIS_URL"):
            empty_queues()
    yield fake_cio
    restore_config(app, saved)


def deliver(app):
    """Run the queued jobs (delivery, webhook application) as a worker would."""
    with app.app_context():
        run_jobs()


def failed_event(app, user_id, brand_id, name="product_scanned"):
    """A recorded event of the member that delivery gave up on; returns its id."""
    with app.app_context():
        row = record_event(db.session.get(User, user_id), name, brand_id=brand_id)
        row.status, row.error_message, row.attempt_count = "failed", "HTTP 400: bad payload", 8
        row.next_attempt_at = utcnow()
        db.session.commit()
        return row.id


def member_id(world):
    """The id of brand A's member from the admin fixtures."""
    return world.ids["member_id"]


def audit_actions(app):
    """The staff audit log's actions and details, oldest first."""
    with app.app_context():
        return [
            (row.action, row.details)
            for row in db.session.scalars(select(StaffAuditLog).order_by(StaffAuditLog.id))
        ]


@pytest.mark.sqlite_ok
def test_support_sees_counts_failed_events_and_webhooks_but_no_controls(app, client, world):
    with app.app_context():
        for status in ("pending", "pending", "sent", "failed"):
            db.session.add(
                CustomerIoEventQueue(
                    user_id=member_id(world), brand_id=world.brand_a.id, event_name="x",
                    event_data={}, status=status, error_message="HTTP 400: bad payload",
                )
            )  # fmt: skip
        db.session.commit()
    sign_in(client, world.emails["support"])
    html = client.get("/admin/customerio", base_url=HOST_A).get_data(as_text=True)
    with app.app_context():  # signing in queues a session event of its own
        pending = db.session.scalar(
            select(func.count()).where(
                CustomerIoEventQueue.brand_id == world.brand_a.id,
                CustomerIoEventQueue.status == "pending",
            )
        )
    assert pending >= 2 and f'data-status="pending">{pending}<' in html
    assert 'data-status="sent">1<' in html
    assert 'data-status="failed">1<' in html and "HTTP 400" in html
    assert "segment_update" in html and "unknown user" in html
    assert "Retry" not in html and "Workspace credentials" not in html
    detail = client.get(f"/admin/customerio/webhooks/{world.ids['log_id']}", base_url=HOST_A)
    assert "&#34;customer_id&#34;: &#34;x&#34;" in detail.get_data(as_text=True)
    assert "Reprocess" not in detail.get_data(as_text=True)


def test_retry_puts_a_failed_event_back_and_it_reaches_customerio(app, owner, world, workspace):
    event_id = failed_event(app, member_id(world), world.brand_a.id)
    page = owner.get("/admin/customerio", base_url=HOST_A).get_data(as_text=True)
    assert f"/admin/customerio/events/{event_id}/retry" in page
    response = owner.post(f"/admin/customerio/events/{event_id}/retry", base_url=HOST_A)
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(CustomerIoEventQueue, event_id)
        assert row.status in ("pending", "sent") and row.next_attempt_at is None
    deliver(app)
    assert [e["customer_id"] for e in workspace.events() if e["name"] == "product_scanned"] == [
        str(member_id(world))
    ]
    with app.app_context():
        assert db.session.get(CustomerIoEventQueue, event_id).status == "sent"
    assert ("customerio_event_retried", {"event_name": "product_scanned"}) in audit_actions(app)


def test_retry_from_htmx_answers_with_the_row(app, owner, world, workspace):
    event_id = failed_event(app, member_id(world), world.brand_a.id)
    response = owner.post(
        f"/admin/customerio/events/{event_id}/retry",
        headers={"HX-Request": "true"},
        base_url=HOST_A,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(
        f'<tr id="cio-event-{event_id}"'
    )
    again = owner.post(f"/admin/customerio/events/{event_id}/retry", base_url=HOST_A)
    assert again.status_code == 303
    follow = owner.get("/admin/customerio", base_url=HOST_A).get_data(as_text=True)
    assert "only failed events are retried" in follow


def test_reprocess_applies_a_previously_failed_webhook(app, owner, world, workspace):
    with app.app_context():
        webhook = CustomerIoWebhookLog(
            brand_id=world.brand_a.id, webhook_type="segment_change", user_id=member_id(world),
            payload={"customer_id": str(member_id(world)),
                     "data": {"segment": "vip", "action": "entered"}},
            processed_successfully=False, processed_at=utcnow(),
            error_message="unknown user (not yet synced)",
        )  # fmt: skip
        db.session.add(webhook)
        db.session.commit()
        log_id = webhook.id
    detail = owner.get(f"/admin/customerio/webhooks/{log_id}", base_url=HOST_A)
    assert "Reprocess" in detail.get_data(as_text=True)
    response = owner.post(f"/admin/customerio/webhooks/{log_id}/reprocess", base_url=HOST_A)
    assert response.status_code == 303
    deliver(app)
    with app.app_context():
        row = db.session.get(CustomerIoWebhookLog, log_id)
        assert row.processed_successfully is True and row.processed_at is not None
        profile = db.session.scalar(
            select(MemberAiProfile).where(
                MemberAiProfile.user_id == member_id(world),
                MemberAiProfile.brand_id == world.brand_a.id,
            )
        )
        assert profile.recommended_segment == "vip"
    assert "customerio_webhook_reprocessed" in [action for action, _ in audit_actions(app)]


def test_credentials_are_write_only_encrypted_and_never_shown(app, owner, world):
    response = owner.post(
        "/admin/customerio/credentials", data={**SECRETS, "region": "eu"}, base_url=HOST_A
    )
    assert response.status_code == 303
    with app.app_context():
        brand = db.session.get(Brand, world.brand_a.id)
        assert brand.customer_io_api_key != SECRETS["api_key"]
        assert decrypt_secret(brand.customer_io_api_key) == SECRETS["api_key"]
        assert decrypt_secret(brand.customer_io_webhook_signing_key) == SECRETS["signing_key"]
        assert decrypt_secret(brand.customer_io_webhook_token) == SECRETS["token"]
        assert (brand.customer_io_site_id, brand.customer_io_region) == (SECRETS["site_id"], "eu")
        stored_key = brand.customer_io_api_key
    page = owner.get("/admin/customerio", base_url=HOST_A).get_data(as_text=True)
    assert page.count('">Set</p>') == 4
    for path in {rule for _, rule, method in ROUTES if method == "GET"}:
        for name, value in world.ids.items():
            path = path.replace(f"<int:{name}>", str(value))
        html = owner.get(path, base_url=HOST_A).get_data(as_text=True)
        assert not any(secret in html for secret in SECRETS.values()), path
    owner.post("/admin/customerio/credentials", data={"region": "eu"}, base_url=HOST_A)
    with app.app_context():
        assert db.session.get(Brand, world.brand_a.id).customer_io_api_key == stored_key
    owner.post(
        "/admin/customerio/credentials",
        data={"region": "eu", "clear_token": "y"},
        base_url=HOST_A,
    )
    with app.app_context():
        brand = db.session.get(Brand, world.brand_a.id)
        assert brand.customer_io_webhook_token is None and brand.customer_io_api_key == stored_key
    audit = audit_actions(app)
    assert ("customerio_credentials_changed", {"changed": ["token"]}) in audit
    assert not any(secret in str(audit) for secret in SECRETS.values())


@pytest.mark.parametrize("role", ["support", "manager"])
def test_only_owners_change_credentials_or_retry(app, client, world, role):
    sign_in(client, world.emails[role])
    response = client.post("/admin/customerio/credentials", data=SECRETS, base_url=HOST_A)
    assert response.status_code == 403
    retry = client.post(f"/admin/customerio/events/{world.ids['event_id']}/retry", base_url=HOST_A)
    assert retry.status_code == 403
    with app.app_context():
        assert db.session.get(Brand, world.brand_a.id).customer_io_api_key is None


def test_another_brands_event_and_webhook_are_not_found(app, owner, world):
    with app.app_context():
        outsider = factories.user(signup_brand_id=world.brand_b.id)
        event = CustomerIoEventQueue(
            user_id=outsider.id, brand_id=world.brand_b.id, event_name="x", event_data={},
            status="failed",
        )  # fmt: skip
        webhook = CustomerIoWebhookLog(
            brand_id=world.brand_b.id, webhook_type="segment_change", payload={},
            processed_successfully=False,
        )  # fmt: skip
        db.session.add_all([event, webhook])
        db.session.commit()
        event_id, log_id = event.id, webhook.id
    assert (
        owner.post(f"/admin/customerio/events/{event_id}/retry", base_url=HOST_A).status_code == 404
    )
    assert owner.get(f"/admin/customerio/webhooks/{log_id}", base_url=HOST_A).status_code == 404
    reprocess = owner.post(f"/admin/customerio/webhooks/{log_id}/reprocess", base_url=HOST_A)
    assert reprocess.status_code == 404
    with app.app_context():
        assert db.session.get(CustomerIoEventQueue, event_id).status == "failed"


def test_test_event_is_recorded_for_the_staff_member_and_delivered(app, owner, world, workspace):
    response = owner.post("/admin/customerio/test-event", base_url=HOST_A)
    assert response.status_code == 303
    deliver(app)
    with app.app_context():
        owner_id = db.session.scalar(select(User.id).where(User.email == world.emails["owner"]))
    assert [e["customer_id"] for e in workspace.events() if e["name"] == "test_event"] == [
        str(owner_id)
    ]
    page = owner.get("/admin/customerio", base_url=HOST_A).get_data(as_text=True)
    assert f"find customer ID {owner_id}" in page and "Activity" in page
