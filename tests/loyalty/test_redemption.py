"""Redemption: eligibility, spending through the ledger, shipping details, staff handling."""

import threading

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement, grant_custom_achievement
from webapp.loyalty.goals import active_goals, set_goal_from_wishlist
from webapp.loyalty.ledger import InsufficientPoints
from webapp.loyalty.redemption import (
    ExclusiveOnly,
    InvalidShipping,
    NotAReward,
    RankTooLow,
    RedemptionError,
    cancel_redemption,
    fulfil_redemption,
    redeem,
)
from webapp.loyalty.wishlist import toggle_wishlist
from webapp.models import Redemption, User, UserActionLog

SHIPPING = {
    "name": "Sam Rivera",
    "address1": "1 Main St",
    "city": "Denver",
    "region": "CO",
    "postal_code": "80202",
    "country": "us",
}


def _member(make, points):
    return make.user(points_balance=points, lifetime_points=points)


def _reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.mark.sqlite_ok
def test_redeem_spends_and_opens_a_pending_redemption(make, recorded):
    brand = make.brand()
    user = _member(make, 1000)
    reward = make.product(brand, points_cost=400)
    redemption = redeem(user.id, reward.id, brand.id, SHIPPING)
    assert (redemption.status, redemption.points_spent) == ("pending", 400)
    assert (redemption.shipping_city, redemption.shipping_country) == ("Denver", "US")
    fresh = _reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (600, 1000)
    log = recorded.actions(user, "reward_redeemed")
    assert [(row.points_awarded, row.product_id) for row in log] == [(-400, reward.id)]
    assert log[0].action_data == {"redemption_id": redemption.id}
    event = recorded.events(user, "reward_redeemed")[0]
    assert event.event_data["event_context"]["redemption_id"] == redemption.id


@pytest.mark.sqlite_ok
def test_redeem_needs_enough_points(make):
    brand = make.brand()
    user = _member(make, 399)
    reward = make.product(brand, points_cost=400)
    with pytest.raises(InsufficientPoints):
        redeem(user.id, reward.id, brand.id, SHIPPING)
    assert _reload(user).points_balance == 399
    assert db.session.scalar(select(func.count(Redemption.id))) == 0


@pytest.mark.sqlite_ok
@pytest.mark.parametrize("case", ["no_cost", "inactive", "other_brand", "missing"])
def test_redeem_only_active_rewards_of_the_brand(make, case):
    brand = make.brand()
    user = _member(make, 1000)
    product_id = {
        "no_cost": lambda: make.product(brand).id,
        "inactive": lambda: make.product(brand, points_cost=10, is_active=False).id,
        "other_brand": lambda: make.product(make.brand(), points_cost=10).id,
        "missing": lambda: 424_242,
    }[case]()
    with pytest.raises(NotAReward):
        redeem(user.id, product_id, brand.id, SHIPPING)
    assert _reload(user).points_balance == 1000


@pytest.mark.sqlite_ok
def test_redeem_checks_the_rank_ladder(make):
    brand = make.brand()
    make.rank(brand, "silver", 500)
    make.rank(brand, "gold", 2000)
    reward = make.product(brand, points_cost=100, required_rank_key="gold")
    silver = _member(make, 1500)
    with pytest.raises(RankTooLow):
        redeem(silver.id, reward.id, brand.id, SHIPPING)
    gold = _member(make, 2000)
    assert redeem(gold.id, reward.id, brand.id, SHIPPING).status == "pending"


@pytest.mark.sqlite_ok
def test_redeem_with_a_rank_no_longer_on_the_ladder_is_refused(make):
    brand = make.brand()
    make.rank(brand, "retired", 100, is_active=False)
    reward = make.product(brand, points_cost=100, required_rank_key="retired")
    user = _member(make, 5000)
    with pytest.raises(RankTooLow):
        redeem(user.id, reward.id, brand.id, SHIPPING)


@pytest.mark.sqlite_ok
def test_limited_rewards_need_exclusive_access(make):
    brand = make.brand()
    reward = make.product(brand, points_cost=100, is_limited=True)
    user = _member(make, 1000)
    with pytest.raises(ExclusiveOnly):
        redeem(user.id, reward.id, brand.id, SHIPPING)
    assert _reload(user).points_balance == 1000
    create_achievement(
        brand_id=brand.id,
        achievement_key="insider",
        name="Insider",
        achievement_type="custom",
        criteria={"metric": "custom"},
        rewards={"points": 0, "exclusive_access": True},
    )
    grant_custom_achievement(user.id, brand.id, "insider", "staff")
    assert redeem(user.id, reward.id, brand.id, SHIPPING).status == "pending"


@pytest.mark.sqlite_ok
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Name is required."),
        ({"address1": None}, "address1", "Address is required."),
        ({"city": ""}, "city", "City is required."),
        ({"region": ""}, "region", "State or region is required."),
        ({"postal_code": "1" * 21}, "postal_code", "Postal code is too long"),
        ({"country": "USA"}, "country", "two-letter code"),
        ({"country": "1A"}, "country", "two-letter code"),
    ],
)
def test_shipping_details_are_validated_per_field(make, changes, field, message):
    brand = make.brand()
    user = _member(make, 1000)
    reward = make.product(brand, points_cost=100)
    shipping = {**SHIPPING, **changes}
    if changes.get(field) is None:
        shipping.pop(field)
    with pytest.raises(InvalidShipping) as raised:
        redeem(user.id, reward.id, brand.id, shipping)
    assert list(raised.value.errors) == [field]
    assert message in raised.value.errors[field]
    assert _reload(user).points_balance == 1000


@pytest.mark.sqlite_ok
def test_redeeming_closes_the_goal_for_that_reward(make):
    brand = make.brand()
    user = _member(make, 1000)
    reward = make.product(brand, points_cost=300)
    toggle_wishlist(user.id, reward.id, brand.id)
    set_goal_from_wishlist(user.id, reward.id, brand.id)
    redeem(user.id, reward.id, brand.id, SHIPPING)
    assert active_goals(user.id, brand.id) == []


@pytest.mark.sqlite_ok
def test_cancel_refunds_without_raising_lifetime(make, recorded):
    brand = make.brand()
    staff = make.user()
    user = _member(make, 1000)
    reward = make.product(brand, points_cost=400)
    redemption = redeem(user.id, reward.id, brand.id, SHIPPING)
    cancelled = cancel_redemption(redemption.id, staff_user_id=staff.id, reason="Out of stock")
    assert (cancelled.status, cancelled.staff_note) == ("cancelled", "Out of stock")
    assert cancelled.handled_by_user_id == staff.id
    assert cancelled.cancelled_at is not None
    fresh = _reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (1000, 1000)
    refund = recorded.actions(user, "points_refunded")
    assert [row.points_awarded for row in refund] == [400]
    cancelled_events = recorded.events(user, "redemption_cancelled")
    assert [e.event_data["event_context"]["reason"] for e in cancelled_events] == ["Out of stock"]
    total = db.session.scalar(
        select(func.sum(UserActionLog.points_awarded)).where(UserActionLog.user_id == user.id)
    )
    assert total == 0  # the factory's starting balance has no log row: only the delta counts


@pytest.mark.sqlite_ok
def test_only_pending_redemptions_change(make):
    brand = make.brand()
    staff = make.user()
    user = _member(make, 1000)
    reward = make.product(brand, points_cost=100)
    redemption = redeem(user.id, reward.id, brand.id, SHIPPING)
    fulfilled = fulfil_redemption(redemption.id, staff.id, "Shipped, tracking 1Z999")
    assert (fulfilled.status, fulfilled.staff_note) == ("fulfilled", "Shipped, tracking 1Z999")
    assert fulfilled.fulfilled_at is not None
    with pytest.raises(RedemptionError, match="Only pending"):
        cancel_redemption(redemption.id, staff_user_id=staff.id, reason="too late")
    with pytest.raises(RedemptionError, match="Only pending"):
        fulfil_redemption(redemption.id, staff.id, "again")
    assert _reload(user).points_balance == 900


def test_concurrent_redemptions_spend_the_balance_once(app, make):
    brand = make.brand()
    user = _member(make, 500)
    reward = make.product(brand, points_cost=400)
    outcomes = []
    start = threading.Barrier(20)

    def attempt():
        with app.app_context():
            start.wait()
            try:
                redeem(user.id, reward.id, brand.id, SHIPPING)
                db.session.commit()
                outcomes.append("redeemed")
            except InsufficientPoints:
                outcomes.append("short")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["redeemed"] + ["short"] * 19
    assert _reload(user).points_balance == 100
    assert db.session.scalar(select(func.count(Redemption.id))) == 1


@pytest.mark.sqlite_ok
def test_cancelling_needs_a_reason(make):
    brand = make.brand()
    user = _member(make, 1000)
    reward = make.product(brand, points_cost=100)
    redemption = redeem(user.id, reward.id, brand.id, SHIPPING)
    with pytest.raises(RedemptionError, match="Say why"):
        cancel_redemption(redemption.id, reason="   ")
    db.session.expire_all()
    assert db.session.get(Redemption, redemption.id).status == "pending"
    assert _reload(user).points_balance == 900
