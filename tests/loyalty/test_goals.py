"""Goals: setting them, following the balance, completing once, cancelling."""

import pytest
from sqlalchemy import event, select

from webapp.extensions import db
from webapp.loyalty.goals import (
    GoalError,
    active_goals,
    cancel_goal,
    set_custom_goal,
    set_goal_from_wishlist,
    sync_goals,
)
from webapp.loyalty.ledger import lock_member
from webapp.models import CustomerIoEventQueue, UserActionLog, UserGoal, Wishlist

pytestmark = pytest.mark.sqlite_ok


def _actions(user, action_type):
    return db.session.scalars(
        select(UserActionLog).where(
            UserActionLog.user_id == user.id, UserActionLog.action_type == action_type
        )
    ).all()


def _events(user, name):
    return db.session.scalars(
        select(CustomerIoEventQueue).where(
            CustomerIoEventQueue.user_id == user.id, CustomerIoEventQueue.event_name == name
        )
    ).all()


def _wishlist(user, product):
    db.session.add(Wishlist(user_id=user.id, product_id=product.id))
    db.session.commit()


def test_custom_goal_reflects_balance_and_is_logged(make):
    brand = make.brand()
    user = make.user(points_balance=300, lifetime_points=300)
    goal = set_custom_goal(user.id, 1000, "New vape", brand.id)
    assert (goal.goal_type, goal.target_points, goal.current_points) == ("custom", 1000, 300)
    assert goal.completed_at is None
    assert len(_actions(user, "goal_set")) == 1
    assert _actions(user, "goal_set")[0].points_awarded == 0
    assert _events(user, "goal_set")[0].event_data["event_context"]["target_points"] == 1000


@pytest.mark.parametrize(
    ("target", "name", "message"),
    [
        (0, "x", "between 1 and"),
        (10_000_001, "x", "between 1 and"),
        ("lots", "x", "whole number"),
        (100, "   ", "name"),
        (100, "n" * 256, "under 255"),
    ],
)
def test_custom_goal_rejects_bad_input(make, target, name, message):
    brand = make.brand()
    user = make.user()
    with pytest.raises(GoalError, match=message):
        set_custom_goal(user.id, target, name, brand.id)
    assert db.session.scalar(select(UserGoal.id)) is None


def test_custom_goal_accepts_the_bounds(make):
    brand = make.brand()
    user = make.user()
    assert set_custom_goal(user.id, 1, "tiny", brand.id).target_points == 1
    assert set_custom_goal(user.id, 10_000_000, "huge", brand.id).target_points == 10_000_000


def test_goal_already_reached_when_set_completes_at_once(make):
    brand = make.brand()
    user = make.user(points_balance=500, lifetime_points=500)
    goal = set_custom_goal(user.id, 200, "Easy", brand.id)
    assert goal.current_points == 200
    assert goal.completed_at is not None
    assert len(_events(user, "goal_reached")) == 1


def test_wishlist_goal_targets_the_reward_cost(make):
    brand = make.brand()
    user = make.user(points_balance=100)
    reward = make.product(brand, points_cost=750)
    _wishlist(user, reward)
    goal = set_goal_from_wishlist(user.id, reward.id, brand.id)
    assert (goal.goal_type, goal.target_points, goal.product_id) == (
        "wishlist_item",
        750,
        reward.id,
    )
    assert goal.goal_name == reward.name
    assert goal.current_points == 100
    assert set_goal_from_wishlist(user.id, reward.id, brand.id).id == goal.id
    assert len(active_goals(user.id, brand.id)) == 1
    assert len(_actions(user, "goal_set")) == 1


def test_wishlist_goal_distinct_errors(make):
    brand = make.brand()
    other = make.brand()
    user = make.user()
    plain = make.product(brand)
    foreign = make.product(other, points_cost=100)
    retired = make.product(brand, points_cost=100, is_active=False)
    reward = make.product(brand, points_cost=100)
    _wishlist(user, plain)
    with pytest.raises(GoalError, match="Only rewards"):
        set_goal_from_wishlist(user.id, plain.id, brand.id)
    with pytest.raises(GoalError, match="not available"):
        set_goal_from_wishlist(user.id, foreign.id, brand.id)
    with pytest.raises(GoalError, match="not available"):
        set_goal_from_wishlist(user.id, retired.id, brand.id)
    with pytest.raises(GoalError, match="not available"):
        set_goal_from_wishlist(user.id, 999_999, brand.id)
    with pytest.raises(GoalError, match="wishlist first"):
        set_goal_from_wishlist(user.id, reward.id, brand.id)


def test_sync_follows_balance_and_completes_once(make):
    brand = make.brand()
    user = make.user(points_balance=0)
    goal = set_custom_goal(user.id, 500, "Hoodie", brand.id)
    member = lock_member(user.id, brand.id)
    member.wallet.points_balance = 499
    sync_goals(member)
    assert (goal.current_points, goal.completed_at) == (499, None)
    member.wallet.points_balance = 800
    sync_goals(member)
    assert goal.current_points == 500
    stamped = goal.completed_at
    assert stamped is not None
    member.wallet.points_balance = 100
    sync_goals(member)
    member.wallet.points_balance = 900
    sync_goals(member)
    db.session.commit()
    assert goal.current_points == 500
    assert goal.completed_at == stamped
    assert len(_events(user, "goal_reached")) == 1
    reached = _actions(user, "goal_reached")
    assert [row.points_awarded for row in reached] == [0]
    assert reached[0].brand_id == brand.id


def test_sync_leaves_cancelled_goals_alone(make):
    brand = make.brand()
    user = make.user()
    goal = set_custom_goal(user.id, 500, "Hoodie", brand.id)
    cancel_goal(user.id, goal.id)
    member = lock_member(user.id, brand.id)
    member.wallet.points_balance = 600
    sync_goals(member)
    db.session.commit()
    assert (goal.current_points, goal.completed_at, goal.is_active) == (0, None, False)
    assert active_goals(user.id, brand.id) == []


def test_sync_without_goals_runs_one_query(app, make):
    brand = make.brand()
    user = make.user(points_balance=50)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    member = lock_member(user.id, brand.id)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        sync_goals(member)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")


def test_cancel_goal_only_own_active_goal(make):
    brand = make.brand()
    owner = make.user()
    stranger = make.user()
    goal = set_custom_goal(owner.id, 100, "Mine", brand.id)
    with pytest.raises(GoalError, match="no longer active"):
        cancel_goal(stranger.id, goal.id)
    cancel_goal(owner.id, goal.id)
    with pytest.raises(GoalError, match="no longer active"):
        cancel_goal(owner.id, goal.id)


def _double_points_campaign(brand):
    from datetime import timedelta
    from decimal import Decimal

    from webapp.models import Campaign
    from webapp.timeutil import utcnow

    now = utcnow()
    db.session.add(Campaign(brand_id=brand.id, name="Double", multiplier=Decimal(2),
                            starts_at=now - timedelta(hours=1),
                            ends_at=now + timedelta(hours=1)))  # fmt: skip
    db.session.commit()


def test_a_scan_and_its_bonus_move_the_goals_once_with_one_write_of_the_totals(make):
    from webapp.loyalty.scan import scan_code

    brand = make.brand()
    product = make.product(brand, points_award=100)
    _double_points_campaign(brand)
    scan_code(make.user().id, make.scan_code(product).code, brand_id=brand.id)  # caches warm
    db.session.commit()
    user = make.user()
    # reached only with the campaign's bonus: 100 for the scan, 100 more from the campaign
    goal = set_custom_goal(user.id, 150, "Pre-roll", brand.id)
    db.session.commit()
    code = make.scan_code(product).code
    sent = []

    def note(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = scan_code(user.id, code, brand_id=brand.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    db.session.commit()
    assert (result.points, result.campaign_points) == (200, 100)
    assert sum("FROM user_goals" in s for s in sent) == 1, sent
    assert sum(s.startswith("UPDATE users SET points_balance") for s in sent) == 1, sent
    assert sum(s.startswith("UPDATE member_wallets SET points_balance") for s in sent) == 1, sent
    db.session.refresh(goal)
    assert goal.current_points == 150 and goal.completed_at is not None
    assert len(_actions(user, "goal_reached")) == 1 and len(_events(user, "goal_reached")) == 1
    scans = _actions(user, "product_scanned") + _actions(user, "campaign_bonus_awarded")
    assert [row.points_awarded for row in scans] == [100, 100]
    assert scans[0].id < scans[1].id  # the scan's row first, then its bonus


def test_a_scan_refused_at_the_points_limit_leaves_the_goals_unmoved(make):
    from webapp.loyalty.ledger import MAX_POINTS
    from webapp.loyalty.scan import scan_code

    brand = make.brand()
    product = make.product(brand, points_award=100)
    _double_points_campaign(brand)
    user = make.user()
    goal = set_custom_goal(user.id, 150, "Pre-roll", brand.id)
    wallet = lock_member(user.id, brand.id).wallet
    # the scan's own 100 fit; its 100 bonus does not
    wallet.points_balance = MAX_POINTS - 150
    user.points_balance = MAX_POINTS - 150
    goal.current_points = 0
    db.session.commit()
    result = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    db.session.commit()
    assert result.outcome == "points_limit"
    db.session.refresh(goal)
    assert goal.current_points == 0 and goal.completed_at is None
    assert _actions(user, "product_scanned") == [] and _actions(user, "goal_reached") == []
