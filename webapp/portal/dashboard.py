"""Home: the member's dashboard (balance, rank, goal, next step, activity); the landing page
for everyone else."""

from flask import render_template
from flask_login import current_user

from webapp.customerio.personalisation import next_best_action
from webapp.loyalty.goals import active_goals
from webapp.loyalty.history import recent_activity
from webapp.loyalty.ranks import rank_progress
from webapp.portal.views import bp
from webapp.tenancy import current_brand, current_wallet

RECENT_ROWS = 5


@bp.get("/")
def index():
    """The dashboard for members, the landing page for everyone else."""
    if not current_user.is_authenticated:
        return render_template("portal/landing.html")
    user, brand_id = current_user, current_brand().id
    goals = active_goals(user.id, brand_id)
    return render_template(
        "portal/dashboard.html",
        progress=rank_progress(brand_id, current_wallet().lifetime_points),
        goal=goals[0] if goals else None,
        banner=next_best_action(user.id, brand_id),
        recent=recent_activity(user.id, brand_id, RECENT_ROWS),
    )
