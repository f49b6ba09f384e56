"""Outbox delivery to the fake Customer.io: paths, auth, ids, batching, order, identify."""

import re
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import event, select, update

from tests.customerio.conftest import API_KEY, SITE_ID, override_config, restore_config, run_jobs
from tests.loyalty.test_query_bound import statements_of
from webapp.customerio.credentials import store_brand_credentials
from webapp.deliveries.outbox import deliver_outbox
from webapp.events.outbox import record_event, record_identify
from webapp.extensions import db
from webapp.loyalty.consents import record_consent
from webapp.models import (
    CustomerIoEventQueue,
    CustomField,
    MemberWallet,
    User,
    UserCustomFieldValue,
)

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def rows():
    """Every outbox row, oldest first, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(select(CustomerIoEventQueue).order_by(CustomerIoEventQueue.id)).all()


@pytest.mark.sqlite_ok
def test_an_event_reaches_customerio_with_path_auth_name_id_and_payload(cio, make):
    brand, user = make.brand(), make.user()
    product = make.product(brand, product_line="Sunrise", tags=["citrus"])
    record_event(user, "product_scanned", brand_id=brand.id, product=product)
    db.session.commit()
    run_jobs()

    [request] = cio.requests
    assert request.method == "POST"
    assert request.path == f"/api/v1/customers/{user.id}/events"
    assert (request.site_id, request.api_key) == (SITE_ID, API_KEY)
    [row] = rows()
    assert row.status == "sent" and row.processed_at is not None and row.attempt_count == 1
    assert ULID.match(row.event_uid)
    body = request.json
    assert body["name"] == "product_scanned" and body["id"] == row.event_uid
    assert isinstance(body["timestamp"], int)
    data = body["data"]
    assert set(data) == {"user_snapshot", "product_snapshot", "event_context"}
    assert data["user_snapshot"]["identity"]["email"] == user.email
    assert data["product_snapshot"]["taxonomy"]["product_line"] == "Sunrise"
    assert data["event_context"]["brand_id"] == brand.id


@pytest.mark.sqlite_ok
def test_rows_of_one_commit_travel_in_one_batch_request(cio, make):
    brand, user = make.brand(), make.user()
    for name in ("user_registered", "goal_set", "wishlist_added"):
        record_event(user, name, brand_id=brand.id)
    db.session.commit()
    run_jobs()

    assert [r.path for r in cio.requests] == ["/api/v2/batch"]
    events = cio.events()
    assert sorted(e["name"] for e in events) == ["goal_set", "user_registered", "wishlist_added"]
    assert {e["id"] for e in events} == {row.event_uid for row in rows()}
    assert all(row.status == "sent" for row in rows())


@pytest.mark.sqlite_ok
def test_delivery_jobs_reuse_one_kept_alive_connection(cio, make):
    brand, user = make.brand(), make.user()
    for name in ("goal_set", "wishlist_added", "goal_reached"):
        record_event(user, name, brand_id=brand.id)
        db.session.commit()
        run_jobs()  # a job each (inline jobs: one at each commit)
    assert len(cio.requests) == 3 and all(r.accepted for r in cio.requests)
    assert len({r.client_address for r in cio.requests}) == 1, [
        r.client_address for r in cio.requests
    ]


def test_rows_go_out_in_priority_order(app, cio, make):
    saved = override_config(app, OUTBOX_BATCH_SIZE=1)
    try:
        brand, user = make.brand(), make.user()
        for name in ("user_session_started", "product_scanned", "password_reset_requested"):
            record_event(user, name, brand_id=brand.id)
        db.session.commit()
        deliver_outbox(brand.id)
    finally:
        restore_config(app, saved)
    assert [e["name"] for e in cio.events()] == [
        "password_reset_requested",
        "product_scanned",
        "user_session_started",
    ]


def test_a_burst_of_changes_is_one_identify_with_the_synced_attributes(cio, make):
    brand = make.brand()
    user = make.user(last_name="Lee", phone_number="5550100", referral_code="LEE42")
    field = CustomField(
        brand_id=brand.id, field_key="favourite", field_label="Favourite", field_type="text"
    )
    db.session.add(field)
    db.session.flush()
    db.session.add(
        UserCustomFieldValue(user_id=user.id, custom_field_id=field.id, field_value="Indica")
    )
    db.session.commit()
    wallet = db.session.get(MemberWallet, (user.id, brand.id))
    for points in range(1, 101):  # a hundred scans, each committing its own change
        wallet.points_balance = wallet.lifetime_points = points
        record_identify(user, brand_id=brand.id)
        db.session.commit()
    assert len(rows()) == 100  # one a change, never looked up
    run_jobs()

    [identify] = cio.identifies()
    assert cio.requests[0].method == "PUT"
    assert cio.requests[0].path == f"/api/v1/customers/{user.id}"
    attributes = identify["attributes"]
    assert attributes["email"] == user.email
    assert attributes["last_name"] == "Lee" and attributes["phone"] == "5550100"
    assert attributes["points_balance"] == 100 and attributes["lifetime_points"] == 100
    assert attributes["rank_key"] == "member" and attributes["referral_code"] == "LEE42"
    assert attributes["marketing_consent"] is False and attributes["is_guest"] is False
    assert isinstance(attributes["created_at"], int)
    assert attributes["custom_favourite"] == "Indica"
    assert {row.status for row in rows()} == {"sent"}  # the other 99 went with the first


@pytest.mark.sqlite_ok
def test_a_brands_own_credentials_are_encrypted_and_take_precedence(cio, make):
    own, plain = make.brand(), make.brand()
    store_brand_credentials(own, site_id="brand-site", api_key="brand-secret-key")
    db.session.commit()
    assert own.customer_io_api_key and "brand-secret-key" not in own.customer_io_api_key
    user = make.user()
    record_event(user, "goal_set", brand_id=own.id)
    record_event(user, "goal_reached", brand_id=plain.id)
    db.session.commit()
    run_jobs()

    by_name = {e["name"]: e for e in cio.events()}
    assert by_name["goal_set"]["site_id"] == "brand-site"
    assert by_name["goal_reached"]["site_id"] == SITE_ID
    assert {r.api_key for r in cio.requests} == {"brand-secret-key", API_KEY}


def test_a_deleted_member_fails_at_once_with_the_reason(cio, make):
    brand, user = make.brand(), make.user()
    record_identify(user, brand_id=brand.id)
    db.session.commit()
    db.session.execute(
        update(type(user)).where(type(user).id == user.id).values(deleted_at=db.func.now())
    )
    db.session.commit()
    deliver_outbox(brand.id)
    [row] = rows()
    assert row.status == "failed" and row.error_message == "the member no longer exists"
    assert cio.requests == []


def _deliver_identifies(make, brand, count):
    """Deliver an identify each for `count` new members of `brand`: every odd one granted SMS
    and then revoked it, every even one granted it; each answered the brand's custom field with
    their index. Returns (the members, the statements the delivery sent)."""
    field = CustomField(brand_id=brand.id, field_key="shop", field_label="Shop", field_type="text")
    db.session.add(field)
    db.session.flush()
    people = []
    for index in range(count):
        person = make.user(brands=[brand])
        record_consent(person.id, brand.id, "sms", True, "registration", at=datetime(2026, 1, 1))
        if index % 2:
            record_consent(person.id, brand.id, "sms", False, "profile", at=datetime(2026, 2, 1))
        answer = UserCustomFieldValue(
            user_id=person.id, custom_field_id=field.id, field_value=str(index)
        )
        db.session.add(answer)
        record_identify(person, brand_id=brand.id)
        people.append(person)
    db.session.commit()
    delivered = []
    statements = statements_of(lambda: delivered.append(deliver_outbox(brand.id)))
    assert delivered == [count]
    return people, statements


def test_a_batch_of_identifies_reads_its_members_attributes_once(cio, make):
    few, few_statements = _deliver_identifies(make, make.brand(), 2)
    many, many_statements = _deliver_identifies(make, make.brand(), 12)
    assert len(many_statements) == len(few_statements), many_statements
    identifies = {i["customer_id"]: i["attributes"] for i in cio.identifies()}
    assert len(identifies) == 14
    for people in (few, many):
        for index, person in enumerate(people):
            attributes = identifies[str(person.id)]
            assert attributes["email"] == person.email
            assert attributes["sms_consent"] is (index % 2 == 0)
            assert attributes["custom_shop"] == str(index)


def test_a_burst_committed_while_its_job_gathers_goes_in_one_request(app, cio, make):
    brand, user = make.brand(), make.user()
    saved = override_config(app, OUTBOX_GATHER_SECONDS=0.5)
    started = threading.Event()

    def scans_meanwhile():
        started.wait(5)
        with app.app_context():
            for name in ("goal_set", "wishlist_added"):
                time.sleep(0.05)
                record_event(db.session.get(User, user.id), name, brand_id=brand.id)
                db.session.commit()  # the job's mark is still set: no job of its own
            db.session.remove()

    try:
        record_event(user, "user_registered", brand_id=brand.id)
        db.session.commit()  # enqueues the job
        meanwhile = threading.Thread(target=scans_meanwhile)
        meanwhile.start()
        began = time.monotonic()
        started.set()
        run_jobs()
        meanwhile.join(10)
    finally:
        restore_config(app, saved)
    assert time.monotonic() - began >= 0.3
    assert [r.path for r in cio.requests] == ["/api/v2/batch"]
    names = sorted(e["name"] for e in cio.events())
    assert names == ["goal_set", "user_registered", "wishlist_added"]
    assert all(row.status == "sent" for row in rows())


def test_a_batch_is_marked_sent_in_one_statement_however_many_rows(cio, make):
    brand, user = make.brand(), make.user()

    def delivered(count):
        """The round trips of delivering `count` new events: PyMySQL sends an executemany
        other than an INSERT as one statement per parameter set."""
        for n in range(count):
            record_event(user, "goal_set", brand_id=brand.id, context={"n": n})
        db.session.commit()
        statements = []

        def note(_conn, _cursor, statement, parameters, _context, executemany):
            many = executemany and not statement.startswith("INSERT")
            statements.extend([statement] * (len(parameters) if many else 1))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert deliver_outbox(brand.id) == count
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return statements

    few, many = delivered(3), delivered(60)
    assert len(many) == len(few), many
    assert all(row.status == "sent" and row.processed_at is not None for row in rows())
    assert len({e["id"] for e in cio.events()}) == 63
