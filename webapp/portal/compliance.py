"""The compliance steps of the portal: where the member lives, accepting new terms, and the
brand's terms and privacy pages."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from webapp.auth.forms import AcceptTermsForm, RegionForm, attach_errors, offer_regions
from webapp.extensions import db
from webapp.loyalty.compliance_settings import compliance_settings, document_versions
from webapp.loyalty.consents import accept_documents, missing_documents
from webapp.loyalty.jurisdictions import brand_rules, operating_regions
from webapp.loyalty.member_compliance import RegionChangeError, change_region
from webapp.portal import bp
from webapp.portal.gate import require_compliance_steps
from webapp.tenancy import current_brand, current_wallet
from webapp.urls import safe_next

bp.before_request(require_compliance_steps)


def _brand_or_404():
    brand = current_brand()
    if brand is None:
        abort(404)
    return brand


@bp.route("/region", methods=["GET", "POST"])
@login_required
def region():
    """Say (or change) where you live; the change is logged."""
    brand, wallet = _brand_or_404(), current_wallet()
    if wallet is None or not brand_rules(brand.id):
        return redirect(url_for("portal.profile"), code=303)
    form = RegionForm(region=wallet.region)
    offer_regions(form, operating_regions(brand.id))
    if form.validate_on_submit():
        try:
            change_region(
                current_user.id,
                brand.id,
                form.region.data,
                date_of_birth=form.date_of_birth.data,
                medical_attested=form.medical_attested.data,
            )
        except RegionChangeError as error:
            attach_errors(form, error.errors)
        else:
            db.session.commit()
            flash(gettext("Thanks: your region is saved."), "success")
            return redirect(safe_next(request.args.get("next"), "portal.profile"), code=303)
    asks_medical = any(rule.medical_only for rule in brand_rules(brand.id))
    return render_template(
        "portal/region.html", form=form, asks_medical=asks_medical, first=wallet.region is None
    )


@bp.route("/terms/accept", methods=["GET", "POST"])
@login_required
def accept_terms():
    """The brand's terms or privacy policy changed: accept them before going on."""
    brand = _brand_or_404()
    versions = document_versions(brand)
    missing = missing_documents(current_user.id, brand.id, versions)
    if not missing or current_wallet() is None:
        return redirect(safe_next(request.args.get("next")), code=303)
    form = AcceptTermsForm()
    if form.validate_on_submit():
        accept_documents(
            current_user.id, brand.id, versions, "profile", ip_address=request.remote_addr
        )
        db.session.commit()
        flash(gettext("Thanks for accepting the updated terms."), "success")
        return redirect(safe_next(request.args.get("next")), code=303)
    return render_template("portal/accept_terms.html", form=form, missing=missing)


def _document_page(kind):
    brand = _brand_or_404()
    settings = compliance_settings(brand)
    texts = settings.for_brand(brand.name, gettext)
    return render_template(
        "portal/document.html",
        kind=kind,
        title=gettext("Program terms") if kind == "terms" else gettext("Privacy policy"),
        version=getattr(settings, f"{kind}_version"),
        url=getattr(settings, f"{kind}_url"),
        text=texts[f"{kind}_text"],
    )


@bp.get("/terms")
def terms():
    """The brand's program terms (a link to its own page, or the text)."""
    return _document_page("terms")


@bp.get("/privacy")
def privacy():
    """The brand's privacy policy (a link to its own page, or the text)."""
    return _document_page("privacy")
