"""Saving the brand settings page untouched changes nothing: the form renders from the model."""

from html.parser import HTMLParser

import pytest
from flask import g

from tests.admin.conftest import HOST_A
from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.models import Brand

pytestmark = pytest.mark.sqlite_ok

FULL_SETTINGS = {
    "tagline": "Fresh from the harbor.",
    "wording": {"points": "Leaves", "rank": "Tier"},
    "theme": {"primary": "#112233", "accent": "#445566", "background": "#fafafa",
              "text": "#101010", "on_primary": "#eeeeee"},
    "min_age": 19,
    "font": "lora",
    "timezone": "America/Vancouver",
    "referral": {"referrer_bonus": 250, "referee_bonus": 40, "expiry_days": 14,
                 "phone_region": "CA"},
    "rate_limits": {"bad_codes_per_user_per_hour": 7, "bad_codes_per_ip_per_hour": 70,
                    "code_lookups_per_ip_per_hour": 45},
    "scan": {"max_multiplier": "6"},
    "birthday": {"bonus_points": 150},
    "tiers": {"qualifying": "rolling_12_months", "grace_days": 45},
    "earning_caps": {"points_per_day": 5000, "scans_per_day": 40},
    "points_expiry": {"policy": "rolling", "months": 9, "reminder_days": [45, 10, 2]},
}  # fmt: skip


class FormReader(HTMLParser):
    """The fields a browser would submit from the page's settings form, as rendered."""

    def __init__(self):
        super().__init__()
        self.fields = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self._read_input(attrs)
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def _read_input(self, attrs):
        kind = attrs.get("type", "text")
        if kind == "file" or (kind == "checkbox" and "checked" not in attrs):
            return
        self.fields[attrs["name"]] = attrs.get("value", "y" if kind == "checkbox" else "")


def rendered_form(client):
    """GET the settings page and read its form back as a browser would post it."""
    g.pop("brand", None)
    response = client.get("/admin/settings", base_url=HOST_A)
    assert response.status_code == 200
    reader = FormReader()
    reader.feed(response.get_data(as_text=True))
    return reader.fields


def stored(app, brand_id):
    """The brand's stored JSON and its effective settings, read fresh."""
    with app.app_context():
        db.session.expire_all()
        brand = db.session.get(Brand, brand_id)
        return brand.settings, settings_of(brand).model_dump()


def save_untouched(app, owner, brand_id):
    """Post the settings form back exactly as rendered; (before, after) stored and effective."""
    before = stored(app, brand_id)
    fields = rendered_form(owner)
    assert {"name", "referrer_bonus", "primary", "font", "minimum_age"} <= set(fields)
    response = owner.post("/admin/settings", data=fields, base_url=HOST_A)
    assert response.status_code == 303, response.get_data(as_text=True)
    return before, stored(app, brand_id)


def set_settings(app, brand_id, settings):
    with app.app_context():
        db.session.get(Brand, brand_id).settings = settings
        db.session.commit()


def test_untouched_save_keeps_every_effective_setting_of_a_new_brand(app, owner, world):
    (_, effective_before), (_, effective_after) = save_untouched(app, owner, world.brand_a.id)
    assert effective_after == effective_before


def test_untouched_save_keeps_every_stored_setting(app, owner, world):
    set_settings(app, world.brand_a.id, FULL_SETTINGS)
    (stored_before, effective_before), after = save_untouched(app, owner, world.brand_a.id)
    assert after == (stored_before, effective_before)
    assert stored_before == FULL_SETTINGS


def test_untouched_save_keeps_the_referrer_bonus(app, owner, world):
    save_untouched(app, owner, world.brand_a.id)
    _, effective = stored(app, world.brand_a.id)
    assert effective["referral"]["referrer_bonus"] == 500
    assert rendered_form(owner)["referrer_bonus"] == "500"


def test_settings_page_shows_the_models_defaults(owner, world):
    fields = rendered_form(owner)
    defaults = settings_of(None)
    assert fields["referrer_bonus"] == str(defaults.referral.referrer_bonus)
    assert fields["minimum_age"] == str(defaults.min_age)
    assert fields["primary"] == defaults.theme.primary
    assert fields["bad_codes_per_ip_per_hour"] == str(
        defaults.rate_limits.bad_codes_per_ip_per_hour
    )
    assert fields["font"] == defaults.font


def test_stored_nonsense_renders_the_defaults_and_saves_clean(app, owner, world):
    set_settings(
        app,
        world.brand_a.id,
        {"theme": "red", "min_age": "old", "referral": {"referrer_bonus": -5}, "font": 3},
    )
    fields = rendered_form(owner)
    assert fields["referrer_bonus"] == "500" and fields["minimum_age"] == "21"
    assert owner.post("/admin/settings", data=fields, base_url=HOST_A).status_code == 303
    _, effective = stored(app, world.brand_a.id)
    assert effective == settings_of(None).model_dump()


def test_earning_caps_are_saved_and_blank_means_no_cap(app, owner, world):
    fields = rendered_form(owner)
    assert fields["points_per_day"] == "" and fields["scans_per_day"] == ""
    fields.update(points_per_day="1200", scans_per_day="")
    assert owner.post("/admin/settings", data=fields, base_url=HOST_A).status_code == 303
    _, effective = stored(app, world.brand_a.id)
    assert effective["earning_caps"] == {"points_per_day": 1200, "scans_per_day": None}
    fields.update(points_per_day="0")
    response = owner.post("/admin/settings", data=fields, base_url=HOST_A)
    assert response.status_code == 200 and "Number must be between 1" in response.get_data(True)
