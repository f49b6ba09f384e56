"""Consent and terms (owners): the SMS disclosure and the terms and privacy documents; and a
consent change staff record for a member who asked for it."""

import copy

from flask import flash, g, redirect, render_template, url_for
from pydantic import ValidationError
from sqlalchemy.orm.attributes import flag_modified

from webapp.admin.blueprint import bp
from webapp.admin.compliance_forms import ConsentTextsForm, StaffConsentForm
from webapp.admin.member_directory import member_or_404
from webapp.admin.security import ALL_STAFF, OWNERS, allow, record
from webapp.brand_settings import Compliance
from webapp.events.outbox import record_identify
from webapp.extensions import db
from webapp.loyalty.compliance_settings import compliance_settings
from webapp.loyalty.consents import (
    change_email_consent,
    change_sms_consent,
    consent_history,
    has_consent,
)
from webapp.loyalty.jurisdictions import implied_region, operating_regions
from webapp.loyalty.ledger import lock_member
from webapp.models import Brand
from webapp.tenancy import invalidate_brand_cache

SETTINGS_KEY = "compliance"  # the BrandSettings field these texts are stored under
TEXT_FIELDS = tuple(Compliance.model_fields)


def consent_overview(user_id, brand_id, wallet):
    """What the member page shows of compliance: region, current consents, the history."""
    regions = dict(operating_regions(brand_id))
    code = wallet.region or implied_region(brand_id)
    return {
        "region_shown": f"{regions.get(code, code)} ({code})" if code else None,
        "asks_region": bool(regions),
        "sms_consent": has_consent(user_id, brand_id, "sms"),
        "consents": list(reversed(consent_history(user_id, brand_id))),
        "consent_form": StaffConsentForm(),
    }


def _store(brand, form):
    """Save the form into the brand's settings; False with the error on the form when not."""
    values = {name: getattr(form, name).data for name in TEXT_FIELDS}
    try:
        checked = Compliance(**values)
    except ValidationError as error:
        for item in error.errors():
            getattr(form, item["loc"][0]).errors.append(item["msg"])
        return False
    settings = copy.deepcopy(brand.settings or {})
    settings[SETTINGS_KEY] = checked.model_dump()
    brand.settings = settings
    flag_modified(brand, "settings")
    return True


@bp.route("/consent-texts", methods=["GET", "POST"])
@allow(*OWNERS)
def consent_texts():
    """Edit the SMS disclosure and the terms and privacy documents and their versions."""
    brand = db.session.get(Brand, g.staff.brand_id)
    form = ConsentTextsForm(data=compliance_settings(brand).model_dump())
    if form.validate_on_submit() and _store(brand, form):
        record("consent_texts_saved", brand, **brand.settings[SETTINGS_KEY])
        db.session.commit()
        invalidate_brand_cache()
        flash("Consent texts saved. A new terms or privacy version is asked again.", "success")
        return redirect(url_for("admin.consent_texts"), code=303)
    return render_template("admin/consent_texts.html", form=form)


@bp.post("/members/<int:member_id>/consent")
@allow(*ALL_STAFF)
def member_consent(member_id):
    """Record a consent change the member asked staff to make."""
    user = member_or_404(member_id, g.staff.brand_id)
    form = StaffConsentForm()
    if not form.validate_on_submit():
        flash("Choose the channel and decision, and say how the member asked.", "error")
        return redirect(url_for("admin.member", member_id=user.id), code=303)
    brand = db.session.get(Brand, g.staff.brand_id)
    member = lock_member(user.id, brand.id)
    granted = form.granted.data == "1"
    who = {"staff_user_id": g.staff.user_id}
    if form.channel.data == "email":
        changed = change_email_consent(member.user, brand.id, granted, "staff", **who)
    else:
        version = compliance_settings(brand).sms_disclosure_version
        changed = change_sms_consent(
            member.user, brand.id, granted, "staff", version=version, **who
        )
    if changed:
        record_identify(member.user, brand_id=brand.id)
        record(
            "member_consent_recorded",
            member.user,
            channel=form.channel.data,
            granted=granted,
            note=form.note.data,
        )
    db.session.commit()
    flash("Consent recorded." if changed else "The consent already was so.", "success")
    return redirect(url_for("admin.member", member_id=user.id), code=303)
