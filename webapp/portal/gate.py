"""The gate in front of member pages: a signed-in person who has not joined this brand's
program is sent to the join page first (the pages of one brand never show another's wallet)."""

from flask import redirect, request, session, url_for
from flask_login import current_user

from webapp.portal.pending_scan import PENDING_SCAN_KEY
from webapp.tenancy import current_brand, current_wallet

# Pages a signed-in non-member may still open: the PWA files, the claim preview, joining.
OPEN_ENDPOINTS = (
    "portal.offline",
    "portal.manifest",
    "portal.service_worker",
    "portal.join",
    "portal.claim",
    "portal.age_gate",
    "portal.confirm_age",
)


def require_membership():
    """Send a signed-in person who has not joined this brand to the join page."""
    if not current_user.is_authenticated or request.endpoint in OPEN_ENDPOINTS:
        return None
    if current_brand() is None or current_wallet() is not None:
        return None
    if request.method == "POST" and request.view_args and "code" in request.view_args:
        session[PENDING_SCAN_KEY] = request.view_args["code"]
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for("portal.join", next=back)
    if request.headers.get("HX-Request") == "true":
        return "", 200, {"HX-Redirect": target}
    return redirect(target, code=303)
