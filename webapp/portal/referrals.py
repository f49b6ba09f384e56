"""Referrals: the member's link and code to share, their friends' statuses, nudges."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from webapp.extensions import db
from webapp.loyalty.referrals import ReferralError, nudge_referral, referral_summary
from webapp.portal import bp
from webapp.portal.wording import translated
from webapp.tenancy import current_brand


def _referrals_page(status=200, **context):
    """The friends list alone for htmx, the whole referrals page otherwise."""
    summary = referral_summary(current_user.id, current_brand().id)
    db.session.commit()  # a member's first visit makes their referral code
    link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for(
        "auth.referral_link", code=summary["code"]
    )
    template = "portal/_referral_list.html" if request.htmx else "portal/referrals.html"
    return render_template(template, summary=summary, link=link, **context), status


@bp.get("/referrals")
@login_required
def referrals():
    """My link and code, ways to share them, and the friends who joined with them."""
    return _referrals_page()


@bp.post("/referrals/<int:referral_id>/nudge", endpoint="nudge_referral")
@login_required
def nudge_referral_view(referral_id):
    """Remind a friend who joined but hasn't scanned yet (once a day)."""
    try:
        nudge_referral(current_user.id, referral_id)
        db.session.commit()
        problem, notice = None, gettext("Nudge sent. We'll remind your friend to scan.")
    except ReferralError as error:
        problem, notice = translated(error), None
    if request.htmx:
        return _referrals_page(422 if problem else 200, problem=problem, notice=notice)
    flash(problem or notice, "error" if problem else "success")
    return redirect(url_for("portal.referrals"), code=303)
