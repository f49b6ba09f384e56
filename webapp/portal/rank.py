"""The rank page: the brand's ladder, each rank's multiplier and benefits, progress to the next,
and in a program whose ranks requalify the period's points and what keeps the rank."""

from flask import render_template
from flask_login import current_user, login_required

from webapp.loyalty.expiry import next_expiry
from webapp.loyalty.program_day import brand_today
from webapp.loyalty.qualifying import tier_standing
from webapp.loyalty.ranks import ladder
from webapp.portal import bp
from webapp.tenancy import current_brand, current_wallet


@bp.get("/rank")
@login_required
def rank():
    """The ladder with the member's place on it."""
    brand = current_brand()
    standing = tier_standing(current_wallet())
    return render_template(
        "portal/rank.html",
        steps=ladder(brand.id),
        progress=standing.progress,
        standing=standing,
        expiring=next_expiry(brand, current_user.id, brand_today(brand)),
    )
