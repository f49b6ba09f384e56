"""Brand settings (owners): name, hosts, wording, theme, age, referral bonuses, rate limits.

The form shows the brand's effective settings (`settings_of`), so saving it untouched
changes nothing; it writes only the keys it owns into the stored JSON and keeps the rest.
"""

import copy

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy.orm.attributes import flag_modified

from webapp.admin.blueprint import bp
from webapp.admin.forms import SettingsForm
from webapp.admin.security import OWNERS, allow, record
from webapp.brand_settings import BrandSettings, settings_of
from webapp.extensions import db
from webapp.loyalty.brand_directory import BrandError, hosts_of, set_hosts
from webapp.media import BRAND_LOGO, MediaError, upload_from
from webapp.models import Brand
from webapp.tenancy import invalidate_brand_cache

# Form field -> where its value lives in BrandSettings (and in the stored JSON).
FORM_SETTINGS = {
    "points_word": ("wording", "points"),
    "rank_word": ("wording", "rank"),
    "primary": ("theme", "primary"),
    "accent": ("theme", "accent"),
    "background": ("theme", "background"),
    "text": ("theme", "text"),
    "minimum_age": ("min_age",),
    "font": ("font",),
    "timezone": ("timezone",),
    "referrer_bonus": ("referral", "referrer_bonus"),
    "referee_bonus": ("referral", "referee_bonus"),
    "referral_expiry_days": ("referral", "expiry_days"),
    "birthday_bonus": ("birthday", "bonus_points"),
    "bad_codes_per_user_per_hour": ("rate_limits", "bad_codes_per_user_per_hour"),
    "bad_codes_per_ip_per_hour": ("rate_limits", "bad_codes_per_ip_per_hour"),
    "code_lookups_per_ip_per_hour": ("rate_limits", "code_lookups_per_ip_per_hour"),
    "tier_qualifying": ("tiers", "qualifying"),
    "tier_grace_days": ("tiers", "grace_days"),
    "points_per_day": ("earning_caps", "points_per_day"),
    "scans_per_day": ("earning_caps", "scans_per_day"),
    "expiry_policy": ("points_expiry", "policy"),
    "expiry_months": ("points_expiry", "months"),
    "expiry_reminder_days": ("points_expiry", "reminder_days"),
}


def _read(settings, path):
    for name in path:
        settings = getattr(settings, name)
    return settings


def _write(stored, path, value):
    *sections, name = path
    node = stored
    for section in sections:
        if not isinstance(node.get(section), dict):
            node[section] = {}
        node = node[section]
    node[name] = value


def form_data(brand):
    """The settings form's initial values: the brand's effective settings."""
    settings = settings_of(brand)
    data = {name: _read(settings, path) for name, path in FORM_SETTINGS.items()}
    return {**data, "name": brand.name, "hosts": ", ".join(hosts_of(brand.id))}


def settings_with_form(stored, form):
    """The stored JSON with the form's values written in (normalised by the model)."""
    updated = copy.deepcopy(stored) if isinstance(stored, dict) else {}
    updated.pop("hosts", None)  # hosts live in brand_hosts
    for name, path in FORM_SETTINGS.items():
        value = getattr(form, name).data
        if value is not None:  # an optional field left blank keeps its value
            _write(updated, path, value)
    settings = BrandSettings.from_stored(updated)
    for path in FORM_SETTINGS.values():
        _write(updated, path, _read(settings, path))
    return updated


def apply_settings(brand, form):
    """Write the form into the brand's name, hosts and settings, keeping unrelated keys.

    BrandError when a host belongs to another brand (nothing is saved then).
    """
    set_hosts(brand, form.host_list())
    brand.name = form.name.data.strip()
    brand.settings = settings_with_form(brand.settings, form)
    flag_modified(brand, "settings")


def _take_logo(form, brand):
    """Put an uploaded logo (or its removal) in the brand's settings; False when unusable."""
    try:
        url = upload_from(form.logo, brand.id, BRAND_LOGO)
    except MediaError:
        return False
    if url or form.remove_logo.data:
        stored = brand.settings if isinstance(brand.settings, dict) else {}
        brand.settings = {**stored, "logo": url}
        flag_modified(brand, "settings")
    return True


def _settings_page(form, brand, status=200):
    return render_template(
        "admin/settings.html", form=form, logo_url=settings_of(brand).logo
    ), status


@bp.route("/settings", methods=["GET", "POST"])
@allow(*OWNERS)
def settings():
    """View and save the brand's settings; the theme previews live as colours change."""
    brand = db.session.get(Brand, g.staff.brand_id)
    form = SettingsForm(data=form_data(brand))
    if form.validate_on_submit() and _take_logo(form, brand):
        try:
            apply_settings(brand, form)
        except BrandError as problem:
            db.session.rollback()
            form.hosts.errors = [*form.hosts.errors, str(problem)]
            return _settings_page(form, brand, 422)
        record("settings_saved", brand, settings=brand.settings, hosts=hosts_of(brand.id))
        db.session.commit()
        invalidate_brand_cache()
        flash("Brand settings saved.", "success")
        return redirect(url_for("admin.settings"), code=303)
    return _settings_page(form, brand)
