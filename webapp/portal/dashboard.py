"""Home: the member's dashboard (balance and the next reward first, then rank, goal, ways to
earn, activity); the landing page (hero, how it works, top rewards) for everyone else."""

from datetime import timedelta

from flask import render_template
from flask_login import current_user

from webapp.loyalty.achievements import achievement_board
from webapp.loyalty.campaigns import campaigns_for_member
from webapp.loyalty.expiry import next_expiry
from webapp.loyalty.goals import active_goals
from webapp.loyalty.history import recent_activity
from webapp.loyalty.personalisation import next_best_action
from webapp.loyalty.program_day import brand_today, local_time
from webapp.loyalty.qualifying import tier_standing
from webapp.loyalty.ranks import MEMBER_RANK_KEY
from webapp.loyalty.reward_catalogue import closest_reward, showcase_rewards
from webapp.portal import bp
from webapp.tenancy import current_brand, current_wallet
from webapp.timeutil import utcnow

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
        reward=closest_reward(user, brand_id),
        to_earn=[entry for entry in board if not entry.unlocked][:WAYS_TO_EARN],
        expiring=next_expiry(brand, user.id, brand_today(brand)),
        campaigns=_campaigns_for(brand, user),
    )


def _campaigns_for(brand, user):
    """The campaigns the member's scans earn now, each with its last day on the brand's clock."""
    rank_key = current_wallet().current_rank_key or MEMBER_RANK_KEY
    rules = campaigns_for_member(brand.id, rank_key, user.id, utcnow())
    return [(rule, local_time(brand, rule.ends_at - timedelta(seconds=1)).date()) for rule in rules]
