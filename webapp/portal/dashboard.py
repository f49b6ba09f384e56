"""Home: the member's dashboard (balance and the next reward first, then rank, goal, ways to
earn, activity); the landing page (hero, how it works, top rewards) for everyone else."""

from flask import render_template
from flask_login import current_user

from webapp.loyalty.achievements import achievement_board
from webapp.loyalty.expiry import next_expiry
from webapp.loyalty.goals import active_goals
from webapp.loyalty.history import recent_activity
from webapp.loyalty.personalisation import next_best_action
from webapp.loyalty.program_day import brand_today
from webapp.loyalty.qualifying import tier_standing
from webapp.loyalty.reward_catalogue import next_reward, reward_catalogue, showcase_rewards
from webapp.portal import bp
from webapp.tenancy import current_brand, current_wallet

RECENT_ROWS = 5
WAYS_TO_EARN = 3


@bp.get("/")
def index():
    """The dashboard for members, the landing page for everyone else."""
    brand = current_brand()
    if not current_user.is_authenticated:
        rewards = showcase_rewards(brand.id) if brand else []
        return render_template("portal/landing.html", rewards=rewards)
    user, brand_id = current_user, brand.id
    goals = active_goals(user.id, brand_id)
    board = achievement_board(user.id, brand_id)
    return render_template(
        "portal/dashboard.html",
        progress=tier_standing(current_wallet()).progress,
        goal=goals[0] if goals else None,
        banner=next_best_action(user.id, brand_id),
        recent=recent_activity(user.id, brand_id, RECENT_ROWS),
        reward=next_reward(reward_catalogue(user, brand_id)),
        to_earn=[entry for entry in board if not entry.unlocked][:WAYS_TO_EARN],
        expiring=next_expiry(brand, user.id, brand_today(brand)),
    )
