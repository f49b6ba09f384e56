"""Compliance fixtures: a brand that runs in several regions with different rules."""

from types import SimpleNamespace

import pytest

from tests.admin.conftest import world  # noqa: F401  (fixture)
from tests.auth.conftest import years_ago
from tests.customerio.conftest import cio  # noqa: F401  (fixture)
from webapp.extensions import db
from webapp.models import JurisdictionRule

# region -> (name, min_age, overrides of the rule's flags)
REGIONS = {
    "US-CO": ("Colorado", 21, {}),
    "US-MA": ("Massachusetts", 21, {"earning_allowed": False, "redemption_allowed": False}),
    "US-CA": ("California", 21, {"physical_rewards_allowed": False}),
    "US-WA": ("Washington", 21, {"referral_bonuses_allowed": False}),
    "US-FL": ("Florida", 18, {"medical_only": True}),
    "US-ID": ("Idaho", 21, {"registration_allowed": False, "earning_allowed": False}),
    "CA-AB": ("Alberta", 18, {"earning_allowed": False, "redemption_allowed": False}),
    "CA-QC": ("Quebec", 21, {}),
}


def add_rules(brand, regions=REGIONS):
    """Give `brand` a rule for each region of `regions`."""
    for code, (name, min_age, flags) in regions.items():
        db.session.add(
            JurisdictionRule(brand_id=brand.id, region=code, name=name, min_age=min_age, **flags)
        )
    db.session.commit()


@pytest.fixture
def regional(make):
    """A brand running in the REGIONS (its own minimum age 21), a product and a reward."""
    brand = make.brand(hosts=["regional.test"], settings={"min_age": 21})
    add_rules(brand)
    product = make.product(brand, points_award=100)
    reward = make.product(brand, sku="TEE", points_cost=100, tags=[])
    digital = make.product(brand, sku="CODE", points_cost=100, tags=["digital"])
    return SimpleNamespace(brand=brand, product=product, reward=reward, digital=digital)


def member_in(make, brand, region, points=0, **wallet):
    """A member of `brand` living in `region` (with `points`)."""
    person = make.user(brands=[])
    make.member(
        person, brand, region=region, points_balance=points, lifetime_points=points, **wallet
    )
    return person


def signup_values(**changes):
    """Valid sign-up input for the service (a Colorado adult)."""
    values = {
        "email": "ria@example.com",
        "password": "long enough pass",
        "first_name": "Ria",
        "last_name": "Diaz",
        "phone_number": "",
        "date_of_birth": years_ago(30),
        "marketing_consent": False,
        "accept_terms": True,
        "region": "US-CO",
    }
    values.update(changes)
    return values
