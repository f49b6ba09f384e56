"""Brand settings (owners): name, hosts, wording, theme, age, referral bonuses, rate limits."""

import copy

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy.orm.attributes import flag_modified

from webapp.admin.blueprint import bp
from webapp.admin.forms import SettingsForm
from webapp.admin.security import OWNERS, allow, record
from webapp.extensions import db
from webapp.fonts import DEFAULT_FONT
from webapp.loyalty.brand_directory import BrandError, hosts_of, set_hosts
from webapp.loyalty.referrals import (
    DEFAULT_EXPIRY_DAYS,
    DEFAULT_REFEREE_BONUS,
    DEFAULT_REFERRER_BONUS,
)
from webapp.media import BRAND_LOGO, MediaError, upload_from
from webapp.models import Brand
from webapp.tenancy import invalidate_brand_cache

DEFAULT_THEME = {
    "primary": "#1f5f3f",
    "accent": "#c8a13a",
    "background": "#f7f5ef",
    "text": "#1b1b1b",
}
DEFAULT_LIMITS = {"bad_codes_per_user_per_hour": 10, "bad_codes_per_ip_per_hour": 30}


def form_data(brand):
    """The settings form's initial values, read from the brand."""
    setting = brand.setting
    data = {
        "name": brand.name,
        "hosts": ", ".join(hosts_of(brand.id)),
        "points_word": setting("wording", "points", default="Points"),
        "rank_word": setting("wording", "rank", default="Rank"),
        "minimum_age": setting("min_age", default=21),
        "referrer_bonus": setting("referral", "referrer_bonus", default=DEFAULT_REFERRER_BONUS),
        "referee_bonus": setting("referral", "referee_bonus", default=DEFAULT_REFEREE_BONUS),
        "referral_expiry_days": setting("referral", "expiry_days", default=DEFAULT_EXPIRY_DAYS),
        "font": setting("font", default=DEFAULT_FONT),
    }
    for key, default in DEFAULT_THEME.items():
        data[key] = setting("theme", key, default=default)
    for key, default in DEFAULT_LIMITS.items():
        data[key] = setting("rate_limits", key, default=default)
    return data


def apply_settings(brand, form):
    """Write the form into the brand's name, hosts and settings, keeping unrelated keys.

    BrandError when a host belongs to another brand (nothing is saved then).
    """
    set_hosts(brand, form.host_list())
    settings = copy.deepcopy(brand.settings or {})
    settings.pop("hosts", None)
    settings["wording"] = {"points": form.points_word.data, "rank": form.rank_word.data}
    settings["theme"] = {
        **(settings.get("theme") or {}),
        **{key: getattr(form, key).data.lower() for key in DEFAULT_THEME},
    }
    settings["min_age"] = form.minimum_age.data
    settings["font"] = form.font.data
    settings["referral"] = {
        "referrer_bonus": form.referrer_bonus.data or 0,
        "referee_bonus": form.referee_bonus.data or 0,
        "expiry_days": form.referral_expiry_days.data or 30,
    }
    settings["rate_limits"] = {key: getattr(form, key).data for key in DEFAULT_LIMITS}
    brand.name = form.name.data.strip()
    brand.settings = settings
    flag_modified(brand, "settings")


def _take_logo(form, brand):
    """Put an uploaded logo (or its removal) in the brand's settings; False when unusable."""
    try:
        url = upload_from(form.logo, brand.id, BRAND_LOGO)
    except MediaError:
        return False
    if url or form.remove_logo.data:
        brand.settings = {**(brand.settings or {}), "logo": url}
        flag_modified(brand, "settings")
    return True


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
            return render_template(
                "admin/settings.html", form=form, logo_url=brand.setting("logo")
            ), 422
        record("settings_saved", brand, settings=brand.settings, hosts=hosts_of(brand.id))
        db.session.commit()
        invalidate_brand_cache()
        flash("Brand settings saved.", "success")
        return redirect(url_for("admin.settings"), code=303)
    return render_template("admin/settings.html", form=form, logo_url=brand.setting("logo"))
