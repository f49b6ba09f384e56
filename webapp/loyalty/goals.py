"""Savings goals: set from a wishlist reward or as a custom number, following the balance."""

from sqlalchemy import select

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.ledger import lock_member, log_action, sync_goals
from webapp.models import Product, UserGoal, Wishlist
from webapp.timeutil import utcnow
from webapp.translation_marks import N_

MAX_CUSTOM_TARGET = 10_000_000
MAX_GOAL_NAME = 255


class GoalError(Exception):
    """A goal request a member can correct; the message says how."""


def active_goals(user_id, brand_id):
    """The member's active goals at the brand, oldest first."""
    return db.session.scalars(
        select(UserGoal)
        .where(
            UserGoal.user_id == user_id,
            UserGoal.brand_id == brand_id,
            UserGoal.is_active.is_(True),
        )
        .order_by(UserGoal.id)
    ).all()


def set_goal_from_wishlist(user_id, product_id, brand_id):
    """Save towards a wishlisted reward (target = its points cost); returns the goal."""
    product = db.session.get(Product, product_id)
    if product is None or product.brand_id != brand_id or not product.is_active:
        raise GoalError(N_("That product is not available."))
    if not product.is_reward:
        raise GoalError(N_("Only rewards can be a goal: this product has no points cost."))
    on_wishlist = db.session.scalar(
        select(Wishlist.id).where(Wishlist.user_id == user_id, Wishlist.product_id == product_id)
    )
    if on_wishlist is None:
        raise GoalError(N_("Add the reward to your wishlist first."))
    return _start_goal(
        user_id,
        brand_id,
        goal_type="wishlist_item",
        target_points=product.points_cost,
        goal_name=product.name,
        product=product,
    )


def set_custom_goal(user_id, target_points, name, brand_id):
    """Save towards a number of points of the member's choosing; returns the goal."""
    try:
        target = int(target_points)
    except (TypeError, ValueError):
        raise GoalError(N_("Enter the goal as a whole number of points.")) from None
    if not 1 <= target <= MAX_CUSTOM_TARGET:
        raise GoalError(f"Choose a goal between 1 and {MAX_CUSTOM_TARGET:,} points.")
    goal_name = (name or "").strip()
    if not goal_name:
        raise GoalError(N_("Give your goal a name."))
    if len(goal_name) > MAX_GOAL_NAME:
        raise GoalError(f"Keep the goal name under {MAX_GOAL_NAME} characters.")
    return _start_goal(
        user_id, brand_id, goal_type="custom", target_points=target, goal_name=goal_name
    )


def _start_goal(user_id, brand_id, *, goal_type, target_points, goal_name, product=None):
    """Open a goal under the member's lock; a reward's goal already active is returned as is
    (checked under the lock, so two requests at once open one)."""
    member = lock_member(user_id, brand_id)
    user = member.user
    existing = _active_goal_for(user_id, product) if product is not None else None
    if existing is not None:
        return db.session.get(UserGoal, existing)
    goal = UserGoal(
        user_id=user_id,
        brand_id=brand_id,
        product_id=product.id if product else None,
        goal_type=goal_type,
        target_points=target_points,
        goal_name=goal_name,
        current_points=0,
        is_active=True,
        started_at=utcnow(),
    )
    db.session.add(goal)
    db.session.flush()
    details = {"goal_id": goal.id, "goal_name": goal_name, "target_points": target_points}
    log_action(user, "goal_set", brand_id=brand_id, product_id=goal.product_id, action_data=details)
    record_event(user, "goal_set", brand_id=brand_id, product=product, context=details)
    sync_goals(member)
    return goal


def _active_goal_for(user_id, product):
    return db.session.scalar(
        select(UserGoal.id).where(
            UserGoal.user_id == user_id,
            UserGoal.product_id == product.id,
            UserGoal.is_active.is_(True),
        )
    )


def cancel_goal(user_id, goal_id):
    """Stop tracking one of the member's goals."""
    goal = db.session.get(UserGoal, goal_id)
    if goal is None or goal.user_id != user_id or not goal.is_active:
        raise GoalError(N_("That goal is no longer active."))
    goal.is_active = False
    return goal
