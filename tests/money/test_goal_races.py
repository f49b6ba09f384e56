"""Item 10: setting the same reward as a goal twice at once opens one active goal."""

import time

import pytest
from sqlalchemy import func, select

from tests.loyalty.test_concurrency import run_together
from webapp.extensions import db
from webapp.loyalty import goals
from webapp.loyalty.goals import set_goal_from_wishlist
from webapp.loyalty.wishlist import toggle_wishlist
from webapp.models import UserGoal

pytestmark = pytest.mark.sqlite_ok


def test_concurrent_goal_sets_for_one_reward_leave_one_active_goal(app, make, monkeypatch):
    real_lock = goals.lock_member

    def lock_a_moment_later(*args):
        time.sleep(0.2)  # every request has read the member's goals by now
        return real_lock(*args)

    monkeypatch.setattr(goals, "lock_member", lock_a_moment_later)
    brand = make.brand()
    reward = make.product(brand, points_cost=1000)
    user = make.user()
    toggle_wishlist(user.id, reward.id, brand.id)
    goal_ids = run_together(
        app, [lambda: set_goal_from_wishlist(user.id, reward.id, brand.id).id for _ in range(4)]
    )
    assert len(set(goal_ids)) == 1
    db.session.expire_all()
    active = db.session.scalar(
        select(func.count(UserGoal.id)).where(
            UserGoal.user_id == user.id, UserGoal.product_id == reward.id, UserGoal.is_active
        )
    )
    assert active == 1
