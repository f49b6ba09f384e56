"""The age gate: signed-out visitors confirm their age once every 30 days."""

from flask import current_app, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.loyalty.jurisdictions import brand_min_age
from webapp.portal import bp
from webapp.portal.forms import AgeGateForm
from webapp.tenancy import current_brand
from webapp.urls import safe_next

COOKIE = "age_confirmed"
COOKIE_SECONDS = 30 * 24 * 60 * 60
OPEN_PATHS = {
    "/healthz",
    "/readyz",
    "/manifest.webmanifest",
    "/sw.js",
    "/offline",
    "/age-gate",
    "/robots.txt",
    "/language",
}
OPEN_PREFIXES = ("/static/", "/webhooks/", "/media/")


def _is_open(path):
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


@bp.before_app_request
def require_age_confirmation():
    """Send signed-out visitors who haven't confirmed their age to the gate."""
    if not current_app.config.get("AGE_GATE", True) or _is_open(request.path):
        return None
    if request.cookies.get(COOKIE) == "1" or current_user.is_authenticated:
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("portal.age_gate", next=target))


@bp.get("/age-gate", endpoint="age_gate")
def ask():
    """Ask whether the visitor is old enough for this brand."""
    form = AgeGateForm(next=safe_next(request.args.get("next")))
    return render_template(
        "portal/age_gate.html", form=form, min_age=brand_min_age(current_brand())
    )


@bp.post("/age-gate", endpoint="confirm_age")
def confirm():
    """Remember the confirmation and return to the page the visitor wanted."""
    form = AgeGateForm()
    if not form.validate_on_submit():
        return ask()
    response = redirect(safe_next(form.next.data), code=303)
    response.set_cookie(
        COOKIE,
        "1",
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response
