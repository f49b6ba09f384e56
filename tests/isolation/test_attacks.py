"""The four attacks found with two brands, each a test that succeeded before brands were walls."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.isolation.conftest import (
    HOST_A,
    HOST_B,
    deliver,
    sign_in,
    signed_webhook,
    wallet,
)
from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.brand_directory import hosts_of
from webapp.loyalty.ledger import InsufficientPoints
from webapp.loyalty.personalisation import ai_profile_for
from webapp.loyalty.redemption import redeem
from webapp.models import (
    CustomerIoEventQueue,
    CustomerIoWebhookLog,
    MemberWallet,
    UserActionLog,
)
from webapp.tenancy import resolve_brand

pytestmark = pytest.mark.sqlite_ok

SHIPPING = {
    "name": "Pat Doe",
    "address1": "1 Main St",
    "city": "Portland",
    "region": "OR",
    "postal_code": "97201",
    "country": "US",
}


def link_events(name="password_reset_requested"):
    """(brand_id, user_id) of the outbox rows that carry a secret link."""
    return [
        (row.brand_id, row.user_id)
        for row in db.session.scalars(
            select(CustomerIoEventQueue).where(CustomerIoEventQueue.event_name == name)
        )
    ]


def test_attack_reset_link_for_a_brands_owner_never_goes_through_another_brand(walls, client):
    answer = client.post("/password/forgot", data={"email": walls.owner_a.email}, base_url=HOST_B)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"}, base_url=HOST_B)
    assert answer.status_code == unknown.status_code == 303  # the same answer either way
    assert link_events() == [(walls.brand_a.id, walls.owner_a.id)]
    deliver()
    sent = [e for e in walls.cio.events() if e["name"] == "password_reset_requested"]
    assert [e["site_id"] for e in sent] == ["site-a"]


def test_a_members_reset_link_goes_through_a_brand_they_belong_to(walls, client):
    client.post("/password/forgot", data={"email": walls.alice.email}, base_url=HOST_B)
    client.post("/password/forgot", data={"email": walls.pat.email}, base_url=HOST_B)
    assert sorted(link_events()) == sorted(
        [(walls.brand_a.id, walls.alice.id), (walls.brand_b.id, walls.pat.id)]
    )


def test_attack_brand_b_webhooks_change_nothing_of_brand_as_members(walls, client):
    create_achievement(
        brand_id=walls.brand_b.id,
        achievement_key="vip_event",
        name="VIP event",
        achievement_type="custom",
        criteria={"metric": "custom", "operator": ">=", "value": 1},
        rewards={"points": 250},
    )
    a_wallet_before = wallet(walls.alice, walls.brand_a)
    balance_before, consent_before = a_wallet_before.points_balance, True
    a_wallet_before.marketing_consent = True
    db.session.commit()
    alice = str(walls.alice.id)
    payloads = [
        {"event_id": "u1", "object_type": "customer", "metric": "unsubscribed",
         "timestamp": 1_900_000_000, "data": {"customer_id": alice}},
        {"type": "prediction_update", "customer_id": alice, "timestamp": 1_900_000_000,
         "data": {"churn_probability": 0.99, "next_best_action": "refer_friend"}},
        {"type": "segment_change", "customer_id": alice,
         "data": {"segment": "x", "action": "entered"}},
        {"type": "achievement_grant", "customer_id": alice,
         "data": {"achievement_key": "vip_event"}},
        {"event_id": "s1", "object_type": "email", "metric": "subscribed",
         "timestamp": 1_900_000_100, "data": {"customer_id": alice}},
        {"event_id": "o1", "object_type": "email", "metric": "opened",
         "timestamp": 1_900_000_100, "data": {"customer_id": alice}},
    ]  # fmt: skip
    for payload in payloads:
        assert signed_webhook(client, walls.brand_b, payload, "signing-b").status_code == 202
    deliver()
    rows = db.session.scalars(select(CustomerIoWebhookLog)).all()
    assert len(rows) == 6 and {row.processed_successfully for row in rows} == {False}
    assert {row.error_message for row in rows} == {
        f"user {walls.alice.id} is not a member of this brand"
    }
    after = wallet(walls.alice, walls.brand_a)
    assert (after.points_balance, after.marketing_consent) == (balance_before, consent_before)
    assert wallet(walls.alice, walls.brand_b) is None
    assert ai_profile_for(walls.alice.id, walls.brand_a.id) is None
    assert (
        db.session.scalar(
            select(func.count()).where(
                UserActionLog.user_id == walls.alice.id, UserActionLog.brand_id == walls.brand_b.id
            )
        )
        == 0
    )
    assert not [
        i for i in walls.cio.identifies() if i["customer_id"] == alice and i["site_id"] == "site-b"
    ]


def test_a_guests_activation_link_goes_only_through_the_brand_they_claimed_at(walls, client):
    from webapp.loyalty.accounts import claim_as_guest

    guest = claim_as_guest("gail@example.com", walls.brand_a.id, "http://a.test")
    client.post("/password/forgot", data={"email": "gail@example.com"}, base_url=HOST_B)
    assert link_events("guest_activation_requested") == [(walls.brand_a.id, guest.id)] * 2


def test_attack_brand_b_staff_cannot_open_or_adjust_brand_as_member(walls, client):
    sign_in(client, walls.owner_b.email, HOST_B)
    member_url = f"/admin/members/{walls.alice.id}"
    assert client.get(member_url, base_url=HOST_B).status_code == 404
    adjust = client.post(
        f"{member_url}/points", data={"delta": "-700", "reason": "take"}, base_url=HOST_B
    )
    assert adjust.status_code == 404
    assert wallet(walls.alice, walls.brand_a).points_balance == 700


def test_brand_b_webhooks_reach_only_the_b_membership_of_a_member_of_both(walls, client):
    pat = str(walls.pat.id)
    for brand in (walls.brand_a, walls.brand_b):
        db.session.get(MemberWallet, (walls.pat.id, brand.id)).marketing_consent = True
    db.session.commit()
    before = db.session.scalar(select(func.max(CustomerIoEventQueue.id)))
    unsubscribe = {"event_id": "u2", "object_type": "email", "metric": "unsubscribed",
                   "timestamp": 1_900_000_000, "data": {"customer_id": pat}}  # fmt: skip
    prediction = {"type": "prediction_update", "customer_id": pat, "timestamp": 1_900_000_000,
                  "data": {"engagement_score": 0.7}}  # fmt: skip
    for payload in (unsubscribe, prediction):
        assert signed_webhook(client, walls.brand_b, payload, "signing-b").status_code == 202
    deliver()
    assert wallet(walls.pat, walls.brand_b).marketing_consent is False
    assert wallet(walls.pat, walls.brand_a).marketing_consent is True
    assert ai_profile_for(walls.pat.id, walls.brand_b.id).engagement_score == Decimal("0.7")
    assert ai_profile_for(walls.pat.id, walls.brand_a.id) is None
    asked = db.session.scalars(
        select(CustomerIoEventQueue.brand_id).where(CustomerIoEventQueue.id > before)
    ).all()
    assert asked and set(asked) == {walls.brand_b.id}
    to_b = [
        i for i in walls.cio.identifies() if i["customer_id"] == pat and i["site_id"] == "site-b"
    ]
    assert to_b and {i["attributes"]["points_balance"] for i in to_b} == {300}
    assert {i["attributes"]["marketing_consent"] for i in to_b[-1:]} == {False}


def test_attack_host_hijack_is_refused(walls, client):
    sign_in(client, walls.owner_b.email, HOST_B)
    page = client.get("/admin/settings", base_url=HOST_B)
    assert page.status_code == 200
    form = {
        "name": "Blue Ridge", "hosts": "a.test", "points_word": "Points", "rank_word": "Rank",
        "primary": "#112233", "accent": "#445566", "background": "#ffffff", "text": "#000000",
        "minimum_age": "21", "referrer_bonus": "500", "referee_bonus": "0",
        "referral_expiry_days": "30", "bad_codes_per_user_per_hour": "10",
        "bad_codes_per_ip_per_hour": "30", "birthday_bonus": "0",
    }  # fmt: skip
    refused = client.post("/admin/settings", data=form, base_url=HOST_B)
    assert refused.status_code == 422
    assert "a.test is already used by another brand." in refused.get_data(as_text=True)
    assert hosts_of(walls.brand_a.id) == ["a.test"] and hosts_of(walls.brand_b.id) == ["b.test"]
    assert resolve_brand("a.test").id == walls.brand_a.id
    client.post("/logout", base_url=HOST_B)
    sign_in(client, walls.owner_a.email, HOST_A)
    assert client.get("/admin/", base_url=HOST_A).status_code == 200


def test_attack_one_wallet_cannot_pay_another_brands_rewards(walls, make, client):
    reward_b = make.product(walls.brand_b, name="Ridge hoodie", points_cost=500)
    with pytest.raises(InsufficientPoints):
        redeem(walls.pat.id, reward_b.id, walls.brand_b.id, SHIPPING)
    db.session.rollback()
    assert wallet(walls.pat, walls.brand_a).points_balance == 1000
    assert wallet(walls.pat, walls.brand_b).points_balance == 300
    sign_in(client, walls.pat.email, HOST_B)
    header = client.get("/", base_url=HOST_B).get_data(as_text=True)
    assert 'id="points-balance" data-value="300"' in header
    header_a = client.get("/", base_url=HOST_A).get_data(as_text=True)
    assert 'id="points-balance" data-value="1000"' in header_a


def test_scans_fill_only_the_wallet_of_the_scanned_brand(walls, make):
    from webapp.loyalty.scan import scan_code

    code = make.scan_code(walls.product_b).code
    result = scan_code(walls.pat.id, code, brand_id=walls.brand_b.id)
    assert (result.outcome, result.points, result.balance) == ("awarded", 100, 400)
    assert wallet(walls.pat, walls.brand_a).points_balance == 1000
    db.session.expire_all()
    assert walls.pat.points_balance == 1400  # the person's total over both wallets
