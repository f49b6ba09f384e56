"""The rank page: the brand's ladder, each rank's multiplier and benefits, progress to the next."""

from flask import render_template
from flask_login import login_required

from webapp.loyalty.ranks import ladder, rank_progress
from webapp.portal import bp
from webapp.tenancy import current_brand, current_wallet


@bp.get("/rank")
@login_required
def rank():
    """The ladder with the member's place on it."""
    brand_id = current_brand().id
    return render_template(
        "portal/rank.html",
        steps=ladder(brand_id),
        progress=rank_progress(brand_id, current_wallet().lifetime_points),
    )
