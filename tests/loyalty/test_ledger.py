"""The ledger: grant, spend, adjust, log_action, and the rank they keep current."""

import pytest
from sqlalchemy import create_engine, text

from webapp.extensions import db
from webapp.loyalty.ledger import (
    InsufficientPoints,
    adjust,
    grant,
    lock_member,
    log_action,
    spend,
)
from webapp.models import MemberWallet, User, UserGoal


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.mark.sqlite_ok
def test_grant_moves_balance_and_lifetime_and_logs_the_row(make, recorded):
    brand = make.brand()
    product = make.product(brand)
    user = make.user()
    locked = lock_member(user.id, brand.id)
    entry = grant(
        locked,
        120,
        "product_scanned",
        product_id=product.id,
        action_data={"code": "X"},
        ip_address="192.0.2.1",
        user_agent="UA",
    )
    db.session.commit()
    assert entry.member is locked and entry.log.id is not None
    assert (entry.old_rank_key, entry.new_rank_key, entry.rank_changed) == (None, "member", False)
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points, fresh.current_rank_key) == (
        120,
        120,
        "member",
    )
    [row] = recorded.actions(user, "product_scanned")
    assert (row.points_awarded, row.product_id, row.brand_id, row.action_data) == (
        120,
        product.id,
        brand.id,
        {"code": "X"},
    )
    assert (row.ip_address, row.user_agent) == ("192.0.2.1", "UA")


@pytest.mark.sqlite_ok
def test_spend_takes_from_the_balance_only(make, recorded):
    brand = make.brand()
    user = make.user(points_balance=300, lifetime_points=300)
    entry = spend(lock_member(user.id, brand.id), 120, "reward_redeemed")
    db.session.commit()
    assert entry.log.points_awarded == -120
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (180, 300)


@pytest.mark.sqlite_ok
def test_spend_beyond_the_balance_is_refused_and_changes_nothing(make, recorded):
    brand = make.brand()
    user = make.user(points_balance=50, lifetime_points=50)
    with pytest.raises(InsufficientPoints) as refused:
        spend(lock_member(user.id, brand.id), 51, "reward_redeemed")
    assert (refused.value.balance, refused.value.needed) == (50, 51)
    assert str(refused.value) == "You have 50 points; this needs 51."
    db.session.rollback()
    assert reload(user).points_balance == 50
    assert recorded.actions(user, "reward_redeemed") == []


@pytest.mark.sqlite_ok
@pytest.mark.parametrize("change", [grant, spend])
def test_negative_amounts_are_a_programming_error(make, change):
    brand = make.brand()
    user = make.user(points_balance=10)
    with pytest.raises(ValueError):
        change(lock_member(user.id, brand.id), -1, "points_adjusted")


@pytest.mark.sqlite_ok
def test_crossing_a_threshold_changes_the_rank_once_and_records_it(make, recorded):
    brand = make.brand()
    make.rank(brand, "silver", 500, "1.10")
    user = make.user(points_balance=400, lifetime_points=400, current_rank_key="member")
    entry = grant(lock_member(user.id, brand.id), 100, "points_adjusted")
    db.session.commit()
    assert (entry.old_rank_key, entry.new_rank_key, entry.rank_changed) == (
        "member",
        "silver",
        True,
    )
    [event] = recorded.events(user, "rank_changed")
    context = event.event_data["event_context"]
    assert (context["old_rank_key"], context["new_rank_key"], context["new_rank_name"]) == (
        "member",
        "silver",
        "Silver",
    )
    assert event.event_data["user_snapshot"]["status"]["rank_key"] == "silver"
    assert [r.action_data for r in recorded.actions(user, "rank_changed")] == [
        {"old_rank_key": "member", "new_rank_key": "silver"}
    ]
    again = grant(lock_member(user.id, brand.id), 100, "points_adjusted")
    spent = spend(again.member, 600, "reward_redeemed")
    db.session.commit()
    assert not again.rank_changed and not spent.rank_changed  # rank follows lifetime points
    assert len(recorded.events(user, "rank_changed")) == 1


@pytest.mark.sqlite_ok
def test_lock_member_reads_the_committed_rows_not_the_session_copy(make, app):
    brand = make.brand()
    user = make.user(points_balance=10)
    wallet = db.session.get(MemberWallet, (user.id, brand.id))
    assert (user.points_balance, wallet.points_balance) == (10, 10)
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.begin() as conn:
        conn.execute(text("UPDATE users SET points_balance = 70 WHERE id = :id"), {"id": user.id})
        conn.execute(
            text("UPDATE member_wallets SET points_balance = 70 WHERE user_id = :id"),
            {"id": user.id},
        )
    other.dispose()
    locked = lock_member(user.id, brand.id)
    assert (locked.user.points_balance, locked.wallet.points_balance) == (70, 70)


@pytest.mark.sqlite_ok
def test_goals_follow_the_balance_in_the_same_transaction(make):
    brand = make.brand()
    user = make.user()
    goal = UserGoal(
        user_id=user.id, brand_id=brand.id, goal_type="custom", target_points=100, goal_name="Trip"
    )
    db.session.add(goal)
    db.session.commit()
    grant(lock_member(user.id, brand.id), 60, "points_adjusted")
    assert goal.current_points == 60  # before any commit: same transaction
    db.session.commit()


@pytest.mark.sqlite_ok
def test_adjust_logs_reason_and_staff_and_leaves_the_commit_to_the_caller(make, recorded):
    brand = make.brand()
    staff = make.user()
    user = make.user(points_balance=100, lifetime_points=100)
    db.session.commit()
    adjust(user.id, 500, brand_id=brand.id, reason="mistake", staff_user_id=staff.id)
    db.session.rollback()  # the caller did not commit: nothing of the adjustment is kept
    assert reload(user).points_balance == 100
    adjust(user.id, 25, brand_id=brand.id, reason=" goodwill ", staff_user_id=staff.id)
    adjust(user.id, -75, brand_id=brand.id, reason="duplicate scan", staff_user_id=staff.id)
    db.session.commit()
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (50, 125)
    rows = recorded.actions(user, "points_adjusted")
    assert [(r.points_awarded, r.action_data) for r in rows] == [
        (25, {"reason": "goodwill", "staff_user_id": staff.id}),
        (-75, {"reason": "duplicate scan", "staff_user_id": staff.id}),
    ]


@pytest.mark.sqlite_ok
def test_adjust_needs_a_reason_and_cannot_go_negative(make):
    brand = make.brand()
    user = make.user(points_balance=10, lifetime_points=10)
    with pytest.raises(ValueError, match="reason"):
        adjust(user.id, 5, brand_id=brand.id, reason="  ", staff_user_id=None)
    with pytest.raises(InsufficientPoints):
        adjust(user.id, -11, brand_id=brand.id, reason="typo", staff_user_id=None)
    assert reload(user).points_balance == 10


@pytest.mark.sqlite_ok
def test_log_action_writes_a_zero_point_row(make, recorded):
    brand = make.brand()
    user = make.user(points_balance=5)
    row = log_action(
        user, "user_session_started", brand_id=brand.id, action_data={"via": "password"}
    )
    db.session.commit()
    assert (row.points_awarded, row.brand_id) == (0, brand.id)
    assert reload(user).points_balance == 5
    assert len(recorded.actions(user, "user_session_started")) == 1
