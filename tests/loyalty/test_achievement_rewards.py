"""Achievement rewards (points, boosts, exclusive access) and AI targeting and bonuses."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.loyalty.achievement_helpers import achievement, new_program, progress, scan
from webapp.extensions import db
from webapp.loyalty.achievements import has_exclusive_access
from webapp.models import UserAiProfile
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def program(make):
    """A brand, a product worth 100 points (MSRP 40.00) and a member."""
    return new_program(make)


def test_multiplier_reward_boosts_later_scans_until_it_expires(make, program):
    brand, product, user = program
    config = achievement(
        brand, "hot-streak", "scan_count", 1, {"points": 0, "multiplier": 2, "multiplier_days": 3}
    )
    first = scan(make, user, product)
    assert (first.points, first.unlocked[0].boost_multiplier) == (100, Decimal(2))
    row = progress(user, config)
    assert row.boost_multiplier == Decimal("2.00")
    assert timedelta(days=2, hours=23) < row.boost_expires_at - utcnow() <= timedelta(days=3)
    assert scan(make, user, product).points == 200
    row.boost_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert scan(make, user, product).points == 100


def test_exclusive_access(make, program):
    brand, product, user = program
    other_brand = make.brand()
    make.member(user, other_brand)
    achievement(other_brand, "elsewhere", "scan_count", 1, {"points": 0, "exclusive_access": True})
    achievement(brand, "insider", "scan_count", 2, {"points": 0, "exclusive_access": True})
    scan(make, user, make.product(other_brand), other_brand)
    assert has_exclusive_access(user.id, other_brand.id)
    scan(make, user, product)
    assert not has_exclusive_access(user.id, brand.id)
    scan(make, user, product)
    assert has_exclusive_access(user.id, brand.id)


def profile(user, segments=None, recommended=None, churn="0.5000"):
    db.session.add(
        UserAiProfile(
            user_id=user.id,
            segments=segments,
            recommended_segment=recommended,
            churn_probability=Decimal(churn),
        )
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("member_profile", "offered"),
    [
        (None, False),
        ({"segments": ["vip"]}, True),
        ({"segments": {"vip": True, "lapsed": False}}, True),
        ({"segments": {"vip": False}}, False),
        ({"recommended": "vip"}, True),
        ({"segments": ["new"]}, False),
    ],
)
def test_segment_targeting(make, program, member_profile, offered):
    brand, product, user = program
    if member_profile is not None:
        profile(user, **member_profile)
    achievement(
        brand, "vip-only", "scan_count", 1, {"points": 100}, ai_enhancement={"segments": ["vip"]}
    )
    achievement(brand, "everyone", "scan_count", 1)
    keys = [u.key for u in scan(make, user, product).unlocked]
    assert keys == (["vip-only", "everyone"] if offered else ["everyone"])


@pytest.mark.parametrize(
    ("churn", "offered"), [("0.1999", False), ("0.2000", True), ("0.81", False)]
)
def test_churn_targeting_and_bonus(make, program, churn, offered):
    brand, product, user = program
    profile(user, churn=churn)
    achievement(
        brand,
        "win-back",
        "scan_count",
        1,
        {"points": 100},
        ai_enhancement={
            "min_churn_probability": 0.2,
            "max_churn_probability": 0.8,
            "bonus_multiplier": 1.55,
        },
    )
    unlocked = scan(make, user, product).unlocked
    assert [u.points for u in unlocked] == ([155] if offered else [])


def test_an_untargeted_bonus_applies_to_everyone(make, program):
    brand, product, user = program
    achievement(
        brand, "bonus", "scan_count", 1, {"points": 10}, ai_enhancement={"bonus_multiplier": 2}
    )
    assert [u.points for u in scan(make, user, product).unlocked] == [20]
