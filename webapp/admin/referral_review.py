"""Referrals to review: pairs of accounts seen on one network or device."""

from flask import g, render_template

from webapp.admin.blueprint import bp
from webapp.admin.security import ALL_STAFF, allow
from webapp.loyalty.referral_review import shared_network_referrals


@bp.get("/referrals/review")
@allow(*ALL_STAFF)
def referral_review():
    """Referrals whose referrer and friend were seen on the same IP address or device."""
    rows = shared_network_referrals(g.staff.brand_id)
    return render_template("admin/referral_review.html", rows=rows)
