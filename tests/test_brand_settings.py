"""BrandSettings: every brand setting and its default in one typed model, read leniently."""

import logging
from decimal import Decimal

import pytest
from wtforms import IntegerField

from webapp.admin.forms import SettingsForm
from webapp.admin.settings import FORM_SETTINGS
from webapp.brand_settings import DEFAULTS, BrandSettings, settings_of
from webapp.loyalty.jurisdictions import brand_min_age
from webapp.loyalty.referral_review import phone_region

pytestmark = pytest.mark.sqlite_ok

JUNK = {
    "tagline": 7,
    "wording": {"points": "", "rank": "Tier"},
    "theme": {"primary": "red; background: url(x)", "accent": "#ABC"},
    "min_age": "eighteen",
    "font": "comic",
    "referral": {"referrer_bonus": -1, "referee_bonus": "25", "phone_region": "Canada"},
    "rate_limits": "lots",
    "scan": {"max_multiplier": "Infinity"},
    "hosts": ["legacy.example.com"],
    "future_setting": {"kept": True},
}


def test_no_brand_and_empty_settings_read_the_defaults():
    assert settings_of(None) == DEFAULTS == BrandSettings.from_stored({})
    assert BrandSettings.from_stored(None) == DEFAULTS == BrandSettings.from_stored([1, 2])
    assert (DEFAULTS.referral.referrer_bonus, DEFAULTS.min_age, DEFAULTS.font) == (500, 21, "inter")
    assert DEFAULTS.scan.max_multiplier == Decimal(20)


def test_stored_values_are_read_in_their_existing_json_shape():
    settings = BrandSettings.from_stored(
        {"wording": {"points": "Leaves"}, "min_age": 19, "scan": {"max_multiplier": "3.5"},
         "rate_limits": {"bad_codes_per_ip_per_hour": 4}, "theme": {"on_accent": "#000000"}}
    )  # fmt: skip
    assert settings.wording.points == "Leaves" and settings.wording.rank == "Rank"
    assert settings.min_age == 19 and settings.scan.max_multiplier == Decimal("3.5")
    assert settings.rate_limits.bad_codes_per_ip_per_hour == 4
    assert settings.rate_limits.bad_codes_per_user_per_hour == 10
    assert settings.theme.on_accent == "#000000" and settings.theme.primary == "#1f5f3f"


def test_each_bad_value_gets_its_default_and_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="webapp.brand_settings"):
        settings = BrandSettings.from_stored(JUNK)
    assert settings.tagline == DEFAULTS.tagline and settings.wording.points == "Points"
    assert settings.wording.rank == "Tier"  # the good neighbour of a bad value stays
    assert settings.theme.primary == "#1f5f3f" and settings.theme.accent == "#aabbcc"
    assert (settings.min_age, settings.font) == (21, "inter")
    assert settings.referral.referrer_bonus == 500 and settings.referral.referee_bonus == 25
    assert settings.referral.phone_region == "US"
    assert settings.rate_limits == DEFAULTS.rate_limits
    assert settings.scan.max_multiplier == Decimal(20)
    assert "theme.primary" in caplog.text and "min_age" in caplog.text


def test_the_parsed_model_follows_changes_to_the_stored_json(make):
    brand = make.brand(settings={"min_age": 19})
    assert settings_of(brand) is settings_of(brand)  # parsed once
    brand.settings["min_age"] = 25  # changed in place
    assert settings_of(brand).min_age == 25
    brand.settings = {"min_age": 18}
    assert brand_min_age(brand) == 18


def test_rules_read_the_model(make):
    brand = make.brand(settings={"referral": {"phone_region": "CA"}, "min_age": "nonsense"})
    assert phone_region(brand) == "CA" and brand_min_age(brand) == 21
    assert phone_region(None) == "US" and brand_min_age(None) == 21


def test_pages_render_with_nonsense_settings(client, make):
    make.brand(name="Junk Co", settings=JUNK)
    for path in ("/", "/manifest.webmanifest", "/login", "/register", "/age-gate"):
        response = client.get(path)
        assert response.status_code == 200, path
    page = client.get("/").get_data(as_text=True)
    assert "--brand-primary: #1f5f3f;" in page and "url(x)" not in page
    manifest = client.get("/manifest.webmanifest").get_json()
    assert manifest["theme_color"] == "#1f5f3f"


def test_the_form_and_the_model_agree_on_every_bound(app):
    """The settings form's number ranges are the model's, so the form never saves a value
    the model would throw away (or refuses one it accepts)."""
    with app.test_request_context():
        form = SettingsForm()
    compared = 0
    for name, path in FORM_SETTINGS.items():
        field_info = _model_field(path)
        model_bounds = _bounds(field_info.metadata)
        form_bounds = next(
            ((v.min, v.max) for v in getattr(form, name).validators if _is_range(v)), None
        )
        if model_bounds != (None, None) or form_bounds:
            assert form_bounds == model_bounds, name
            compared += 1
    numbers = [name for name in FORM_SETTINGS if isinstance(getattr(form, name), IntegerField)]
    assert (
        compared == len(numbers) >= 10
    )  # age, three bonuses, expiry, three scan limits, rank grace, ...


def _model_field(path):
    model = BrandSettings
    for section in path[:-1]:
        model = model.model_fields[section].annotation
    return model.model_fields[path[-1]]


def _bounds(metadata):
    lower = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    upper = next((m.le for m in metadata if hasattr(m, "le")), None)
    return lower, upper


def _is_range(validator):
    return type(validator).__name__ == "NumberRange"
