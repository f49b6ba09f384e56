"""The catalogue: global and brand achievements, activity, duplicates, cache, the board."""

import pytest
from sqlalchemy import select, text

from tests.loyalty.achievement_helpers import achievement, new_program, scan
from webapp.extensions import db
from webapp.loyalty.achievement_catalog import active_achievements, invalidate_achievements
from webapp.loyalty.achievements import (
    AchievementConfigError,
    achievement_board,
    create_achievement,
)
from webapp.models import AchievementConfig

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def program(make):
    """A brand, a product worth 100 points (MSRP 40.00) and a member."""
    return new_program(make)


def test_global_achievements_apply_to_every_brand_and_count_everywhere(make, program):
    brand, product, user = program
    other = make.brand()
    make.member(user, other)
    achievement(brand, "globetrotter", "scan_count", 2, brand_id=None)
    achievement(brand, "local", "scan_count", 2)
    assert scan(make, user, make.product(other), other).unlocked == []
    assert [u.key for u in scan(make, user, product).unlocked] == ["globetrotter"]
    assert [u.key for u in scan(make, user, product).unlocked] == ["local"]


def test_inactive_achievements_are_not_evaluated(make, program):
    brand, product, user = program
    achievement(brand, "hidden", "scan_count", 1, visibility={"active": False})
    config = achievement(brand, "retired", "scan_count", 1)
    config.is_active = False
    db.session.commit()
    assert scan(make, user, product).unlocked == []


def test_duplicate_keys_are_refused_globally_and_per_brand(make, program):
    brand, _product, _user = program
    achievement(brand, "welcome", "scan_count", 1, brand_id=None)
    with pytest.raises(AchievementConfigError) as refused:
        achievement(brand, "welcome", "scan_count", 5, brand_id=None)
    assert refused.value.errors == {
        "achievement_key": "The key 'welcome' is already used by a global achievement; "
        "choose another."
    }
    achievement(brand, "welcome", "scan_count", 1)  # a brand may reuse a global key
    with pytest.raises(AchievementConfigError, match="another achievement of this brand"):
        achievement(brand, "welcome", "scan_count", 2)
    achievement(make.brand(), "welcome", "scan_count", 1)
    assert db.session.scalar(select(db.func.count(AchievementConfig.id))) == 3


def test_invalid_configs_are_refused_with_messages(program):
    brand, _product, _user = program
    with pytest.raises(AchievementConfigError) as refused:
        create_achievement(
            brand_id=brand.id,
            achievement_key="Bad Key",
            name=" ",
            achievement_type="scan_count",
            criteria={"value": "lots"},
            rewards={"points": 10},
        )
    assert set(refused.value.errors) == {"achievement_key", "name", "criteria.value"}


def test_the_catalogue_is_cached_and_follows_saves(make, program):
    brand, _product, _user = program
    achievement(brand, "one", "scan_count", 1, visibility={"priority": 5})
    assert [a.key for a in active_achievements(brand.id)] == ["one"]
    achievement(brand, "two", "scan_count", 2, visibility={"priority": 1})
    assert [a.key for a in active_achievements(brand.id)] == ["two", "one"]
    db.session.execute(text("UPDATE achievement_configs SET is_active = 0"))
    db.session.commit()
    assert len(active_achievements(brand.id)) == 2  # changed elsewhere: cached for the TTL
    invalidate_achievements()
    assert active_achievements(brand.id) == ()


def test_a_stored_config_that_fails_validation_is_skipped(make, program):
    brand, product, user = program
    achievement(brand, "good", "scan_count", 1)
    db.session.add(
        AchievementConfig(
            brand_id=brand.id,
            name="Broken",
            achievement_key="broken",
            achievement_type="scan_count",
            criteria={"value": "many"},
            rewards={"points": 1},
        )
    )
    db.session.commit()
    assert [u.key for u in scan(make, user, product).unlocked] == ["good"]


def test_the_board_shows_what_the_member_may_see(make, program):
    brand, product, user = program
    achievement(
        brand, "secret", "scan_count", 1, visibility={"hidden_until_unlocked": True, "priority": 3}
    )
    achievement(brand, "vip", "scan_count", 1, ai_enhancement={"segments": ["vip"]})
    achievement(brand, "five", "scan_count", 5, visibility={"priority": 0})
    achievement(brand, "later-secret", "scan_count", 9, visibility={"hidden_until_unlocked": True})
    assert [e.achievement.key for e in achievement_board(user.id, brand.id)] == ["five"]
    scan(make, user, product)
    board = achievement_board(user.id, brand.id)
    assert [(e.achievement.key, e.progress, e.unlocked) for e in board] == [
        ("five", 1, False),
        ("secret", 1, True),
    ]
    assert board[1].unlocked_at is not None
