"""The rank page: the brand's ladder, each rank's multiplier and benefits, progress to the next."""

from flask import render_template
from flask_login import current_user, login_required

from webapp.loyalty.expiry import next_expiry
from webapp.loyalty.program_day import brand_today
from webapp.loyalty.ranks import ladder, rank_progress
from webapp.portal import bp
from webapp.tenancy import current_brand, current_wallet


@bp.get("/rank")
@login_required
def rank():
    """The ladder with the member's place on it."""
    brand = current_brand()
    return render_template(
        "portal/rank.html",
        steps=ladder(brand.id),
        progress=rank_progress(brand.id, current_wallet().lifetime_points),
        expiring=next_expiry(brand, current_user.id, brand_today(brand)),
    )
