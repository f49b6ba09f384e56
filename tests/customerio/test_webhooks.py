"""Inbound webhooks: authentication, storage before the answer, effects, ordering, dedupe."""

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from tests.customerio.conftest import BEARER_TOKEN, SIGNING_KEY, run_jobs
from webapp.customerio.credentials import store_brand_credentials
from webapp.deliveries.sweep import sweep_outbox
from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement
from webapp.models import (
    CustomerIoEventQueue,
    CustomerIoWebhookLog,
    User,
    UserAchievement,
    UserAiProfile,
)
from webapp.timeutil import utcnow

URL = "/webhooks/customerio"


def signed_headers(body, key=SIGNING_KEY, timestamp=None):
    """Customer.io's reporting-webhook signature headers for `body`."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(key.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {
        "X-CIO-Timestamp": timestamp,
        "X-CIO-Signature": signature.hexdigest(),
        "Content-Type": "application/json",
    }


@pytest.fixture(autouse=True)
def platform_brand(make):
    """A brand on the platform's own workspace, which the tests' members belong to."""
    return make.brand()


def post_signed(client, payload, url=URL, **options):
    """POST a signed webhook; `payload` may be raw bytes."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(url, data=body, headers=signed_headers(body, **options))


def post_bearer(client, payload, token=BEARER_TOKEN, url=URL):
    """POST a workflow webhook action with a bearer token."""
    return client.post(url, json=payload, headers={"Authorization": f"Bearer {token}"})


def log_rows():
    """Every webhook log row, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(select(CustomerIoWebhookLog).order_by(CustomerIoWebhookLog.id)).all()


def profile(user):
    """The member's AI profile, fresh."""
    db.session.expire_all()
    return db.session.scalar(select(UserAiProfile).where(UserAiProfile.user_id == user.id))


def unsubscribe(user, event_id="ev-1", timestamp=None, metric="unsubscribed"):
    """A reporting webhook about the member's subscription."""
    return {
        "event_id": event_id,
        "object_type": "customer",
        "metric": metric,
        "timestamp": timestamp or int(time.time()),
        "data": {"customer_id": str(user.id), "identifiers": {"id": str(user.id)}},
    }


def prediction(user, timestamp, **data):
    """Our prediction_update payload."""
    return {
        "type": "prediction_update",
        "customer_id": str(user.id),
        "timestamp": timestamp,
        "data": data,
    }


@pytest.mark.sqlite_ok
def test_a_signed_unsubscribe_is_stored_then_clears_consent(cio, client, make):
    user = make.user(marketing_consent=True)
    response = post_signed(client, unsubscribe(user))
    assert response.status_code == 202 and response.json["status"] == "accepted"
    run_jobs()
    [row] = log_rows()
    assert row.webhook_type == "customer.unsubscribed" and row.user_id == user.id
    assert row.dedupe_key == "cio:ev-1" and row.processed_successfully is True
    db.session.expire_all()
    member = db.session.get(User, user.id)
    assert member.marketing_consent is False and member.marketing_consent_updated_at is not None
    identify = db.session.scalars(select(CustomerIoEventQueue)).all()
    assert [r.event_type for r in identify] == ["identify"]  # consent flows back out


def test_a_bad_signature_is_refused_and_not_stored(cio, client, make):
    user = make.user(marketing_consent=True)
    response = post_signed(client, unsubscribe(user), key="not-the-key")
    assert response.status_code == 401 and "does not match" in response.json["error"]
    assert log_rows() == []
    assert db.session.get(User, user.id).marketing_consent is True


def test_a_stale_timestamp_is_refused(cio, client, make):
    user = make.user()
    stale = int(time.time()) - 301
    response = post_signed(client, unsubscribe(user), timestamp=stale)
    assert response.status_code == 401 and "replay window" in response.json["error"]
    assert log_rows() == []


def test_no_credentials_at_all_is_refused(cio, client, make):
    response = client.post(URL, json=unsubscribe(make.user()))
    assert response.status_code == 401 and log_rows() == []
    assert post_bearer(client, {"type": "x"}, token="wrong").status_code == 401


@pytest.mark.sqlite_ok
def test_a_bearer_prediction_updates_the_profile(cio, client, make):
    user = make.user()
    payload = prediction(
        user,
        1_760_000_000,
        churn_probability=0.25,
        engagement_score=0.8,
        purchase_probability=1,
        predicted_lifetime_value=310.5,
        product_affinity_scores={"Vape": 0.9, "Flower": 0.2},
        recommended_segment="vip",
        next_best_action="redeem_reward",
        insights={"note": "weekend scanner"},
    )
    assert post_bearer(client, payload).status_code == 202
    run_jobs()
    saved = profile(user)
    assert saved.churn_probability == Decimal("0.2500")
    assert saved.predicted_lifetime_value == Decimal("310.50")
    assert saved.product_affinity_scores == {"Vape": 0.9, "Flower": 0.2}
    assert saved.next_best_action == "redeem_reward" and saved.ai_insights["note"]
    assert saved.predicted_at == datetime(2025, 10, 9, 8, 53, 20)
    assert log_rows()[0].processed_successfully is True


@pytest.mark.sqlite_ok
def test_malformed_json_is_stored_as_invalid_with_400(cio, client):
    response = post_signed(client, b'{"type": "prediction_update",')
    assert response.status_code == 400 and "not valid JSON" in response.json["error"]
    [row] = log_rows()
    assert row.webhook_type == "invalid" and row.processed_successfully is False
    assert row.payload == {"raw": '{"type": "prediction_update",'}
    assert row.error_message.startswith("the body is not valid JSON")


def test_an_unknown_user_is_logged_as_a_failure(cio, client):
    response = post_bearer(
        client, {"type": "prediction_update", "customer_id": "999999", "data": {}}
    )
    assert response.status_code == 202
    run_jobs()
    [row] = log_rows()
    assert row.processed_successfully is False and row.error_message == "unknown user 999999"


def test_an_out_of_range_probability_changes_nothing(cio, client, make):
    user = make.user()
    post_bearer(
        client, prediction(user, 1_760_000_000, churn_probability=1.5, engagement_score=0.5)
    )
    run_jobs()
    [row] = log_rows()
    assert row.processed_successfully is False
    assert row.error_message == "churn_probability must be between 0 and 1, got 1.5"
    assert profile(user) is None


def test_an_older_prediction_never_overwrites_a_newer_one(cio, client, make):
    user = make.user()
    post_bearer(client, prediction(user, 1_760_000_100, churn_probability=0.9))
    post_bearer(client, prediction(user, 1_760_000_000, churn_probability=0.1))
    run_jobs()
    assert profile(user).churn_probability == Decimal("0.9000")
    newer, older = log_rows()
    assert newer.processed_successfully is True and newer.error_message is None
    assert older.processed_successfully is True
    assert older.error_message.startswith("ignored: older than the prediction")


def test_a_replayed_delivery_is_stored_and_applied_once(cio, client, make):
    user = make.user(marketing_consent=True)
    first = post_signed(client, unsubscribe(user, event_id="ev-same"))
    again = post_signed(client, unsubscribe(user, event_id="ev-same"))
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json == {"status": "duplicate"}
    run_jobs()
    assert len(log_rows()) == 1 and log_rows()[0].processed_successfully is True


def test_an_oversized_body_is_refused_and_not_stored(app, cio, client):
    body = json.dumps({"type": "segment_change", "pad": "x" * app.config["WEBHOOK_MAX_BYTES"]})
    response = post_signed(client, body.encode())
    assert response.status_code == 413 and "bytes" in response.json["error"]
    assert log_rows() == []


def test_a_subscribe_applies_only_when_newer_than_the_members_change(cio, client, make):
    changed = utcnow()
    user = make.user(marketing_consent=False, marketing_consent_updated_at=changed)
    old = int((changed - timedelta(hours=1)).timestamp())
    post_signed(client, unsubscribe(user, "ev-old", timestamp=old, metric="subscribed"))
    run_jobs()
    assert db.session.get(User, user.id).marketing_consent is False
    new = int(time.time()) + 5
    post_signed(client, unsubscribe(user, "ev-new", timestamp=new, metric="subscribed"))
    run_jobs()
    db.session.expire_all()
    assert db.session.get(User, user.id).marketing_consent is True
    assert [row.error_message is None for row in log_rows()] == [False, True]


def test_segment_changes_track_memberships(cio, client, make):
    user = make.user()
    for segment, action in (("vip", "entered"), ("lapsed", "entered"), ("lapsed", "exited")):
        payload = {"type": "segment_change", "customer_id": user.id}
        payload["data"] = {"segment": segment, "action": action}
        assert post_bearer(client, payload).status_code == 202
    run_jobs()
    assert set(profile(user).segments) == {"vip"} and profile(user).recommended_segment == "vip"


def grant(user, key):
    return {
        "type": "achievement_grant",
        "customer_id": str(user.id),
        "data": {"achievement_key": key},
    }


def test_an_unknown_achievement_grant_is_logged_as_failed(cio, client, make):
    brand = make.brand()
    user = make.user(signup_brand_id=brand.id)
    post_bearer(client, grant(user, "early_adopter"))
    run_jobs()
    [row] = log_rows()
    assert row.processed_successfully is False
    assert row.error_message == "There is no active custom achievement 'early_adopter'."


def test_an_achievement_grant_unlocks_once_with_its_points(cio, client, make):
    brand = make.brand()
    user = make.user(signup_brand_id=brand.id)
    create_achievement(
        brand_id=brand.id,
        achievement_key="vip_event",
        name="VIP Event",
        achievement_type="custom",
        criteria={"metric": "custom", "operator": ">=", "value": 1},
        rewards={"points": 300},
    )
    for _ in range(2):
        assert post_bearer(client, grant(user, "vip_event")).status_code == 202
        run_jobs()
    assert [row.processed_successfully for row in log_rows()] == [True, True]
    unlocked = db.session.scalars(
        select(UserAchievement).where(
            UserAchievement.user_id == user.id, UserAchievement.completed.is_(True)
        )
    ).all()
    assert len(unlocked) == 1
    db.session.expire_all()
    assert db.session.get(User, user.id).points_balance == 300


def test_a_brand_endpoint_uses_the_brands_own_signing_key(cio, client, make):
    brand = make.brand()
    store_brand_credentials(brand, signing_key="brand-signing-key", token="brand-token")
    db.session.commit()
    user = make.user()
    url = f"{URL}/{brand.slug}"
    assert post_signed(client, unsubscribe(user), url=url).status_code == 401
    response = post_signed(client, unsubscribe(user), url=url, key="brand-signing-key")
    assert response.status_code == 202 and log_rows()[0].brand_id == brand.id
    assert post_bearer(client, {"type": "x"}, url=f"{URL}/no-such-brand").status_code == 404


def test_the_sweep_applies_webhooks_a_lost_job_left_behind(cio, make):
    user = make.user()
    row = CustomerIoWebhookLog(
        webhook_type="prediction_update",
        user_id=user.id,
        payload=prediction(user, 1_760_000_000, engagement_score=0.4),
    )
    db.session.add(row)
    db.session.commit()
    old = utcnow() - timedelta(minutes=5)
    db.session.execute(update(CustomerIoWebhookLog).values(created_at=old))
    db.session.commit()
    assert sweep_outbox()["webhooks"] == 1
    run_jobs()
    assert profile(user).engagement_score == Decimal("0.4000")
    assert log_rows()[0].processed_at is not None


def test_absurd_ids_and_timestamps_are_stored_and_fail_cleanly(cio, client):
    payload = {"type": "prediction_update", "customer_id": "9" * 40, "timestamp": 10**20}
    response = post_bearer(client, payload | {"data": {"churn_probability": 0.1}})
    assert response.status_code == 202
    run_jobs()
    [row] = log_rows()
    assert row.user_id is None and row.event_timestamp is None
    assert row.processed_successfully is False and row.error_message.startswith("unknown user")


def test_valid_json_without_a_type_is_rejected_as_malformed(cio, client):
    response = post_bearer(client, {"customer_id": "1"})
    assert response.status_code == 400 and "neither `type`" in response.json["error"]
    assert [row.webhook_type for row in log_rows()] == ["invalid"]
