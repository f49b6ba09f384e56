"""Fixtures of the accounts tests: a brand with custom questions, signup input, the age gate."""

from datetime import date

import pytest

from webapp.extensions import db
from webapp.models import CustomField


@pytest.fixture
def brand(make):
    """A brand (minimum age 21) asking a required select, an optional text and a checkbox."""
    brand = make.brand(settings={"min_age": 21})
    db.session.add_all(
        [
            CustomField(
                brand_id=brand.id,
                field_key="favorite_form",
                field_label="Favourite form",
                field_type="select",
                field_options=["Flower", "Edible"],
                is_required=True,
                field_order=1,
            ),
            CustomField(
                brand_id=brand.id,
                field_key="zip_code",
                field_label="ZIP code",
                field_type="text",
                field_order=2,
            ),
            CustomField(
                brand_id=brand.id,
                field_key="newsletter_sms",
                field_label="Texts too",
                field_type="checkbox",
                field_order=3,
            ),
        ]
    )
    db.session.commit()
    return brand


def years_ago(years, days=0):
    """A date of birth `years` years (and `days` days more) before today."""
    today = date.today()
    birthday = (
        today.replace(year=today.year - years)
        if (today.month, today.day) != (2, 29)
        else (today.replace(year=today.year - years, day=28))
    )
    return date.fromordinal(birthday.toordinal() - days)


@pytest.fixture
def signup():
    """Valid registration input (form field names, as the service takes them)."""
    return {
        "email": "New.Member@Example.com",
        "password": "long enough pass",
        "first_name": "Nia",
        "last_name": "Lopez",
        "phone_number": "415-555-2671",
        "date_of_birth": years_ago(30),
        "marketing_consent": False,
        "accept_terms": True,
        "custom_values": {"favorite_form": "Flower", "zip_code": "94110"},
    }


@pytest.fixture
def age_gate(app):
    """Turn the age gate on for one test."""
    app.config["AGE_GATE"] = True
    yield
    app.config["AGE_GATE"] = False
