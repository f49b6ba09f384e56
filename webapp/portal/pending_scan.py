"""A code opened at /s/<code> while signed out, claimed as soon as the visitor signs in.

The landing page remembers an available code in the session; signing in or registering (from
the landing's buttons or any other way) sends Flask-Login's `user_logged_in`, on which
`claim_pending_scan` claims it (in the sign-in's transaction) and flashes what it did, so the
member arrives back on /s/<code> with the points in the balance.
"""

from flask import abort, flash, has_request_context, request, session
from flask_login import user_logged_in

from webapp.auth import PENDING_SCAN_KEY
from webapp.loyalty.membership import is_member
from webapp.loyalty.scan import scan_code
from webapp.portal.wording import scan_message
from webapp.tenancy import current_brand

MAX_CODE_LENGTH = 64


def brand_id_or_404():
    """The id of this request's brand (404 when there is none)."""
    brand = current_brand()
    if brand is None:
        abort(404)
    return brand.id


# The views whose POST is a scan that is the whole of its request's transaction.
CLAIM_ENDPOINTS = ("portal.scan", "portal.claim_now")


def is_claim_request():
    """True for a scan view's POST: its claim is the whole of its transaction (`scan_code`'s
    `alone`), and its member is loaded locked."""
    return (
        has_request_context() and request.method == "POST" and request.endpoint in CLAIM_ENDPOINTS
    )


def claim_for(user_id, code):
    """Claim `code` for the member in this request's brand, from this request's IP and browser
    (alone in the transaction when the request is a scan view's, `is_claim_request`)."""
    return scan_code(
        user_id,
        code[:MAX_CODE_LENGTH],
        brand_id=brand_id_or_404(),
        ip_address=request.remote_addr,
        user_agent=request.user_agent.string,
        alone=is_claim_request(),
    )


def claim_pending_scan(user):
    """Claim the code a visitor opened at /s/<code> before signing in; flash what it did.

    A person who has not joined this brand yet keeps the code until they join.
    """
    brand = current_brand()
    if brand is None or not is_member(user.id, brand.id):
        return None
    code = session.pop(PENDING_SCAN_KEY, None)
    if not code:
        return None
    result = claim_for(user.id, code)
    flash(scan_message(result), "success" if result.outcome == "awarded" else "error")
    return result


@user_logged_in.connect
def claim_after_sign_in(app, user):
    """Signing in (or registering, or activating) claims the code that was waiting."""
    claim_pending_scan(user)
