"""Scanning: the camera and manual-entry page, the /s/<code> claim landing, guest claims."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from htmx_flask import make_response

from webapp.extensions import db
from webapp.loyalty import accounts
from webapp.loyalty.accounts import AccountError
from webapp.loyalty.jurisdictions import asks_region
from webapp.loyalty.reward_catalogue import closest_reward
from webapp.loyalty.scan import ScanResult, preview_code
from webapp.loyalty.wishlist import wishlist_product_ids
from webapp.portal import bp
from webapp.portal.htmx import points_changed_trigger
from webapp.portal.pending_scan import (
    MAX_CODE_LENGTH,
    PENDING_SCAN_KEY,
    brand_id_or_404,
    claim_for,
)
from webapp.portal.wording import scan_message, translated
from webapp.translation_marks import N_

GUEST_SAVED = N_(
    "Sign in with that email to spend them. New here? We've emailed a link to set a password."
)

GUEST_NEEDS_REGION = N_("Please join to claim: what a scan earns here depends on where you live.")

# htmx swaps 422 (the message replaces the result area); 429 tells the browser to back off.
FAILURE_STATUS = {"rate_limited": 429}


def _scan_answer(result, page_url, render_page, claim_form_id=None):
    """htmx: the result partial (+ pointsChanged; an awarded claim also empties the element
    `claim_form_id`, the claim button); a form: flash and 303 (429 renders)."""
    awarded = result.outcome == "awarded"
    claimed = awarded or result.outcome == "no_earning"
    status = 200 if claimed else FAILURE_STATUS.get(result.outcome, 422)
    if request.htmx:
        partial = render_template(
            "portal/_scan_result.html",
            result=result,
            with_toasts=True,
            claim_form_id=claim_form_id if claimed else None,
            closer=_brought_closer() if awarded else None,
        )
        trigger = points_changed_trigger(current_user) if awarded else None
        return make_response(partial, status, trigger=trigger)
    if status == 429:
        return render_page(result), 429
    flash(scan_message(result), "success" if awarded else "info" if claimed else "error")
    return redirect(page_url, code=303)


def _brought_closer():
    """The reward the new balance brings closer (or within reach), for the scan result."""
    return closest_reward(current_user, brand_id_or_404())


@bp.route("/scan", methods=["GET", "POST"])
@login_required
def scan():
    """The camera scanner with manual entry; POST `code` claims it."""
    if request.method == "GET":
        return render_template("portal/scan.html", result=None)
    code = request.form.get("code", "").strip()
    result = claim_for(current_user.id, code) if code else _missing_code()
    _end_transaction(result)
    return _scan_answer(
        result,
        url_for("portal.scan"),
        lambda result: render_template("portal/scan.html", result=result),
    )


def _end_transaction(result):
    """Commit the scan, or roll it back when it must keep nothing (`ScanResult.discard`)."""
    if result.discard:
        db.session.rollback()
    else:
        db.session.commit()


def _missing_code():
    return ScanResult("missing", message=N_("Please enter the code printed under the QR code."))


def _preview(code):
    """The product and points behind `code`, as this visitor may claim them."""
    return preview_code(
        code[:MAX_CODE_LENGTH],
        brand_id_or_404(),
        user_id=current_user.id if current_user.is_authenticated else None,
        ip_address=request.remote_addr,
    )


def _claim_page(code, preview, result=None, guest_error=None):
    wished = (
        current_user.is_authenticated
        and preview.product is not None
        and preview.product.id in wishlist_product_ids(current_user.id)
    )
    return render_template(
        "portal/claim.html",
        code=code,
        preview=preview,
        product=preview.product,
        wished=wished,
        result=result,
        guest_error=guest_error,
        guest_claims=not asks_region(brand_id_or_404()),
    )


@bp.get("/s/<code>")
def claim(code):
    """The page a package's QR code opens: the product, its points and how to claim them."""
    preview = _preview(code)
    if not current_user.is_authenticated and preview.outcome == "available":
        session[PENDING_SCAN_KEY] = code
    status = 429 if preview.outcome == "rate_limited" else 200
    return _claim_page(code, preview), status


@bp.post("/s/<code>")
@login_required
def claim_now(code):
    """One tap: claim the code for the signed-in member."""
    result = claim_for(current_user.id, code)
    _end_transaction(result)
    page_url = (
        url_for("portal.index")
        if result.outcome == "awarded"
        else url_for("portal.claim", code=code)
    )
    return _scan_answer(
        result,
        page_url,
        lambda result: _claim_page(code, _preview(code), result),
        claim_form_id="claim-action",
    )


@bp.post("/s/<code>/guest")
def claim_as_guest(code):
    """Claim with an email only: the points wait in that email's account; no one is signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("portal.claim", code=code), code=303)
    preview = _preview(code)
    if preview.outcome != "available":
        return _claim_page(code, preview), FAILURE_STATUS.get(preview.outcome, 422)
    if asks_region(brand_id_or_404()):  # what a scan earns depends on where the member lives
        return _claim_page(code, preview, guest_error=translated(GUEST_NEEDS_REGION)), 422
    try:
        user = accounts.claim_as_guest(
            request.form.get("email", ""), brand_id_or_404(), current_app.config["PUBLIC_URL"]
        )
    except AccountError as error:
        return _claim_page(code, preview, guest_error=translated(error.errors["email"])), 422
    return _guest_claimed(user, code)


def _guest_claimed(user, code):
    """Claim for the email's account; the answer is the same whoever owns the email."""
    session.pop(PENDING_SCAN_KEY, None)
    result = claim_for(user.id, code)
    db.session.commit()  # the account stays even when the code went meanwhile
    if result.outcome != "awarded":
        flash(scan_message(result), "error")
        return redirect(url_for("portal.claim", code=code), code=303)
    # Nothing about the account (its rank, its unlocks) reaches the person who typed the email.
    flash(
        gettext(
            "The points for %(product)s are saved to %(email)s.",
            product=result.product.name,
            email=user.email,
        ),
        "success",
    )
    flash(gettext(GUEST_SAVED), "info")
    return redirect(url_for("portal.claim", code=code), code=303)
