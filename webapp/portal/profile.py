"""The member's profile: edit details, download their data, delete the account."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user

from webapp.auth.forms import (
    DeleteAccountForm,
    ProfileForm,
    attach_errors,
    custom_values,
    offer_sms_consent,
    with_custom_fields,
)
from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.loyalty import profiles
from webapp.loyalty.accounts import AccountError
from webapp.loyalty.birthdays import BirthdayError, set_birthday
from webapp.loyalty.compliance_settings import sms_disclosure
from webapp.loyalty.consents import consent_history, has_consent
from webapp.loyalty.custom_answers import active_fields, answers_by_key, form_key
from webapp.loyalty.jurisdictions import implied_region, operating_regions
from webapp.loyalty.phones import can_receive_texts
from webapp.portal import bp
from webapp.portal.forms import BirthdayForm
from webapp.tenancy import current_brand, current_wallet

DELETE_WORD = "DELETE"


def _profile_form(fields, **form_options):
    """The profile form, filled from the member's details and answers on a GET."""
    user = current_user
    answers = answers_by_key(user.id, current_brand().id)
    initial = {form_key(field): answers.get(field.field_key) for field in fields}
    wallet = current_wallet()
    initial["marketing_consent"] = bool(wallet and wallet.marketing_consent)
    initial["sms_consent"] = has_consent(user.id, current_brand().id, "sms")
    for field in fields:
        if field.field_type == "checkbox":
            initial[form_key(field)] = answers.get(field.field_key) == "yes"
    form = with_custom_fields(ProfileForm, fields)(obj=user, **initial, **form_options)
    offer_sms_consent(form, sms_disclosure(current_brand(), gettext)[0])
    return form


def _region_shown(brand, wallet):
    """The member's region as the profile shows it, or None when the brand has no regions."""
    regions = dict(operating_regions(brand.id))
    if not regions:
        return None
    code = wallet.region if wallet and wallet.region else implied_region(brand.id)
    return f"{regions.get(code, code)} ({code})" if code else gettext("Not set")


@bp.route("/profile", methods=["GET", "POST"], endpoint="profile")
@login_required
def show():
    """View and edit the profile."""
    fields = active_fields(current_brand().id)
    form = _profile_form(fields)
    if form.validate_on_submit():
        try:
            profiles.update_profile(
                current_user.id,
                current_brand().id,
                **{name: form[name].data for name in profiles.PROFILE_FIELDS},
                custom_values=custom_values(form, fields),
                ip_address=request.remote_addr,
            )
        except AccountError as error:
            attach_errors(form, error.errors)
        else:
            db.session.commit()
            flash(gettext("Your profile is saved."), "success")
            return redirect(url_for("portal.profile"), code=303)
    return _profile_page(form, fields, _birthday_form())


def _birthday_form(formdata=None):
    """The birthday form, filled from the wallet on a GET (None when not a member here)."""
    wallet = current_wallet()
    if wallet is None:
        return None
    initial = {}
    if wallet.birth_month is not None:
        initial = {
            "birth_month": str(wallet.birth_month),
            "birth_day": str(wallet.birth_day),
            "birthday_consent": True,
        }
    if formdata is None:
        return BirthdayForm(current_brand().name, formdata=None, **initial)
    return BirthdayForm(current_brand().name)


def _profile_page(form, fields, birthday_form, status=200):
    brand = current_brand()
    wallet = current_wallet()
    birthday_offered = birthday_form is not None and (
        settings_of(brand).birthday.bonus_points > 0 or wallet.birth_month is not None
    )
    page = render_template(
        "portal/profile.html",
        form=form,
        fields=fields,
        brand=brand,
        birthday_form=birthday_form if birthday_offered else None,
        birthday_kept=wallet is not None and wallet.birth_month is not None,
        region_shown=_region_shown(brand, wallet),
        sms_offered=can_receive_texts(current_user.phone_number),
        consents=consent_history(current_user.id, brand.id),
    )
    return page, status


@bp.post("/profile/birthday", endpoint="birthday")
@login_required
def birthday():
    """Keep or remove the member's birth month and day at this brand."""
    form = _birthday_form(formdata=True)
    if form is None:
        return redirect(url_for("portal.profile"), code=303)
    if form.validate_on_submit():
        removing = request.form.get("remove") == "1"
        month, day = (None, None) if removing else (form.birth_month.data, form.birth_day.data)
        if not removing and (month or day) and not form.birthday_consent.data:
            form.birthday_consent.errors = [
                gettext("Tick the box to let us keep your birthday, or leave it empty.")
            ]
        else:
            try:
                set_birthday(current_user.id, current_brand().id, month or None, day or None)
            except BirthdayError as error:
                form.birth_day.errors = [gettext(error.message)]
            else:
                db.session.commit()
                kept = month and day
                flash(
                    gettext("Your birthday is saved.")
                    if kept
                    else gettext("Your birthday is removed."),
                    "success",
                )
                return redirect(url_for("portal.profile"), code=303)
    fields = active_fields(current_brand().id)
    return _profile_page(_profile_form(fields, formdata=None), fields, form, 422)


@bp.get("/profile/export", endpoint="export_data")
@login_required
def export():
    """Everything we hold about the member, as a JSON download."""
    body = json.dumps(profiles.export_member_data(current_user.id), indent=2, default=str)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile/delete", methods=["GET", "POST"], endpoint="delete_account")
@login_required
def delete():
    """Confirm by typing DELETE, then anonymise the account and sign out."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if form.confirm.data.strip() == DELETE_WORD:
            profiles.delete_account(current_user.id)
            db.session.commit()
            logout_user()
            flash(gettext("Your account is deleted. Thanks for being a member."), "success")
            return redirect(url_for("portal.index"), code=303)
        attach_errors(
            form,
            {"confirm": gettext("Please type %(word)s in capitals to confirm.", word=DELETE_WORD)},
        )
    return render_template("portal/delete_account.html", form=form)
