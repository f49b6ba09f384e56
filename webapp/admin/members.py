"""Members: search, a member's page, and the support actions on it."""

from flask import flash, g, redirect, render_template, request, url_for

from webapp.admin.blueprint import bp
from webapp.admin.consent_settings import consent_overview
from webapp.admin.member_care import (
    MemberActionError,
    adjust_points,
    grant_achievement,
    send_account_link,
)
from webapp.admin.member_directory import (
    MEMBER_ORDERS,
    member_or_404,
    member_overview,
    search_members,
)
from webapp.admin.security import ALL_STAFF, allow
from webapp.replica import reads_from_replica
from webapp.urls import requested_page


@bp.get("/members")
@allow(*ALL_STAFF)
@reads_from_replica
def members():
    """Search the brand's members by email, name, phone or referral code."""
    text = request.args.get("q", "").strip()[:255]
    order = request.args.get("sort", "newest")
    order = order if order in MEMBER_ORDERS else "newest"
    page = search_members(g.staff.brand_id, text, requested_page(), order)
    return render_template("admin/members.html", text=text, page=page, order=order)


@bp.get("/members/<int:member_id>")
@allow(*ALL_STAFF)
@reads_from_replica
def member(member_id):
    """A member's profile, answers, ledger, achievements, referrals and messages."""
    user = member_or_404(member_id, g.staff.brand_id)
    ledger_page = requested_page()
    overview = member_overview(user, g.staff.brand_id, ledger_page)
    overview.update(consent_overview(user.id, g.staff.brand_id, overview["wallet"]))
    return render_template("admin/member.html", **overview)


@bp.post("/members/<int:member_id>/points")
@allow(*ALL_STAFF)
def member_adjust_points(member_id):
    """Add or take points, with a required reason."""
    user = member_or_404(member_id, g.staff.brand_id)
    return _flash_member_action(
        user, adjust_points, request.form.get("delta"), request.form.get("reason")
    )


@bp.post("/members/<int:member_id>/achievements")
@allow(*ALL_STAFF)
def member_grant_achievement(member_id):
    """Grant one of the brand's custom achievements."""
    user = member_or_404(member_id, g.staff.brand_id)
    return _flash_member_action(user, grant_achievement, request.form.get("achievement_key", ""))


@bp.post("/members/<int:member_id>/account-link")
@allow(*ALL_STAFF)
def member_send_link(member_id):
    """Resend a guest's activation link or a member's password reset link."""
    user = member_or_404(member_id, g.staff.brand_id)
    return _flash_member_action(user, send_account_link)


def _flash_member_action(user, action, *inputs):
    """Run a member action, flash its outcome, and go back to the member page."""
    try:
        flash(action(g.staff, user, *inputs), "success")
    except MemberActionError as problem:
        flash(str(problem), "error")
    return redirect(url_for("admin.member", member_id=user.id), code=303)
