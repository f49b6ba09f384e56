"""The gate in front of member pages: a signed-in person who has not joined this brand's
program is sent to the join page first (the pages of one brand never show another's wallet)."""

from flask import redirect, request, session, url_for
from flask_login import current_user
from htmx_flask import make_response

from webapp.loyalty.compliance_settings import document_versions
from webapp.loyalty.consents import missing_documents
from webapp.loyalty.jurisdictions import asks_region
from webapp.portal.pending_scan import PENDING_SCAN_KEY
from webapp.tenancy import current_brand, current_wallet

# Pages a signed-in non-member may still open: the PWA files, the claim preview, joining.
OPEN_ENDPOINTS = (
    "portal.offline",
    "portal.manifest",
    "portal.service_worker",
    "portal.join",
    "portal.claim",
    "portal.terms",
    "portal.privacy",
    "portal.age_gate",
    "portal.confirm_age",
)


# Pages open to a member who still has to say where they live or accept new terms.
STEP_ENDPOINTS = (
    *OPEN_ENDPOINTS,
    "portal.region",
    "portal.accept_terms",
    "portal.export_data",
    "portal.delete_account",
)

# "user:brand:terms version:privacy version" the signed session last found accepted.
ACCEPTED_DOCUMENTS_KEY = "accepted_documents"


def _send_to(target):
    if request.htmx:
        return make_response("", 200, redirect=target)
    return redirect(target, code=303)


def require_membership():
    """Send a signed-in person who has not joined this brand to the join page."""
    if not current_user.is_authenticated or request.endpoint in OPEN_ENDPOINTS:
        return None
    if current_brand() is None or current_wallet() is not None:
        return None
    if request.method == "POST" and request.view_args and "code" in request.view_args:
        session[PENDING_SCAN_KEY] = request.view_args["code"]
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return _send_to(url_for("portal.join", next=back))


def require_compliance_steps():
    """Before the next member page: ask where the member lives (a brand of several regions)
    and have them accept the brand's current terms and privacy versions."""
    if not current_user.is_authenticated or request.endpoint in STEP_ENDPOINTS:
        return None
    brand, wallet = current_brand(), current_wallet()
    if brand is None or wallet is None:
        return None
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    if wallet.region is None and asks_region(brand.id):
        return _send_to(url_for("portal.region", next=back))
    versions = document_versions(brand)
    accepted = f"{current_user.id}:{brand.id}:{versions['loyalty_terms']}:{versions['privacy']}"
    if session.get(ACCEPTED_DOCUMENTS_KEY) == accepted:
        return None
    if missing_documents(current_user.id, brand.id, versions):
        return _send_to(url_for("portal.accept_terms", next=back))
    # An acceptance is never withdrawn: until the versions change, this browser's member
    # need not be looked up again (one consent read less on every member page).
    session[ACCEPTED_DOCUMENTS_KEY] = accepted
    return None
