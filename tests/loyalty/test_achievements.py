"""The achievements engine: every type, timeframes, filters, rewards, targeting, chains."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from webapp import jobs
from webapp.extensions import db
from webapp.loyalty.achievement_catalog import active_achievements, invalidate_achievements
from webapp.loyalty.achievements import (
    AchievementConfigError,
    UnknownAchievement,
    create_achievement,
    evaluate_achievements,
    grant_custom_achievement,
    has_exclusive_access,
)
from webapp.loyalty.ledger import lock_user
from webapp.loyalty.scan import scan_code
from webapp.models import (
    AchievementConfig,
    Referral,
    User,
    UserAchievement,
    UserActionLog,
    UserActionLogArchive,
    UserAiProfile,
    Wishlist,
)
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


def achievement(brand, key, kind, value=None, rewards=None, brand_id="brand", **parts):
    """Create an achievement of `brand` (brand_id=None: global)."""
    criteria = {"value": value, **parts.pop("criteria", {})} if value is not None else {}
    return create_achievement(
        brand_id=brand.id if brand_id == "brand" else brand_id,
        achievement_key=key,
        name=key.replace("-", " ").title(),
        achievement_type=kind,
        criteria=criteria,
        rewards=rewards or {"points": 0},
        **parts,
    )


def scan(make, user, product, brand=None):
    brand_id = brand.id if brand else product.brand_id
    return scan_code(user.id, make.scan_code(product).code, brand_id=brand_id)


def evaluate(user, brand):
    unlocks = evaluate_achievements(lock_user(user.id), brand.id)
    jobs.commit()
    return unlocks


def progress(user, config):
    db.session.expire_all()
    return db.session.scalar(
        select(UserAchievement).where(
            UserAchievement.user_id == user.id, UserAchievement.achievement_config_id == config.id
        )
    )


def balance(user):
    db.session.expire_all()
    return db.session.get(User, user.id).points_balance


@pytest.fixture
def program(make):
    brand = make.brand()
    return brand, make.product(brand, points_award=100, msrp=Decimal("40.00")), make.user()


def test_scan_count_unlocks_once_with_its_reward(make, program, recorded):
    brand, product, user = program
    config = achievement(brand, "three-scans", "scan_count", 3, {"points": 250, "badge": "trio"})
    for _ in range(2):
        assert scan(make, user, product).unlocked == []
    row = progress(user, config)
    assert (row.progress, row.completed) == (2, False)
    [unlock] = scan(make, user, product).unlocked
    assert (unlock.key, unlock.name, unlock.points, unlock.badge) == (
        "three-scans",
        "Three Scans",
        250,
        "trio",
    )
    row = progress(user, config)
    assert (row.progress, row.completed, row.points_rewarded) == (3, True, 250)
    assert row.completed_at is not None
    assert scan(make, user, product).unlocked == []
    assert balance(user) == 4 * 100 + 250
    [log] = recorded.actions(user, "achievement_unlocked")
    assert (log.points_awarded, log.action_data["achievement_key"]) == (250, "three-scans")
    [event] = recorded.events(user, "achievement_unlocked")
    assert event.event_data["event_context"]["badge"] == "trio"


def test_purchase_amount_sums_the_msrp_scanned(make, program):
    brand, product, user = program
    pricey = make.product(brand, msrp=Decimal("65.50"))
    achievement(brand, "spender", "purchase_amount", 105.5)
    assert scan(make, user, product).unlocked == []
    assert [u.key for u in scan(make, user, pricey).unlocked] == ["spender"]


def test_referral_count_counts_converted_referrals_as_referrer(make, program):
    brand, _product, user = program
    config = achievement(brand, "recruiter", "referral_count", 2)
    for status in ("converted", "pending", "converted"):
        referee = make.user()
        db.session.add(
            Referral(
                referrer_user_id=user.id,
                referee_user_id=referee.id,
                referral_code="X",
                status=status,
                brand_id=brand.id,
                converted_at=utcnow() if status == "converted" else None,
            )
        )
        db.session.commit()
        unlocks = evaluate(user, brand)
        if status == "pending":
            assert unlocks == [] and progress(user, config).progress == 1
    assert progress(user, config).completed


def test_wishlist_items(make, program):
    brand, product, user = program
    config = achievement(brand, "dreamer", "wishlist_items", 2)
    db.session.add(Wishlist(user_id=user.id, product_id=product.id))
    db.session.commit()
    assert evaluate(user, brand) == []
    db.session.add(Wishlist(user_id=user.id, product_id=make.product(brand).id))
    db.session.commit()
    assert [u.key for u in evaluate(user, brand)] == ["dreamer"]
    assert progress(user, config).completed


def test_achievement_unlocked_chains_to_a_fixed_point(make, program):
    brand, product, user = program
    achievement(brand, "first", "scan_count", 1, {"points": 10})
    achievement(brand, "collector-1", "achievement_unlocked", 1, {"points": 20})
    achievement(brand, "collector-2", "achievement_unlocked", 2, {"points": 30})
    achievement(brand, "collector-9", "achievement_unlocked", 9, {"points": 40})
    result = scan(make, user, product)
    assert [u.key for u in result.unlocked] == ["first", "collector-1", "collector-2"]
    assert balance(user) == 100 + 10 + 20 + 30
    assert scan(make, user, product).unlocked == []


def test_custom_achievements_are_granted_not_earned(make, program, recorded):
    brand, product, user = program
    config = achievement(brand, "event-guest", "custom", rewards={"points": 75})
    achievement(brand, "collector", "achievement_unlocked", 1, {"points": 5})
    assert scan(make, user, product).unlocked == []
    unlocks = grant_custom_achievement(user.id, brand.id, "event-guest", "staff:7")
    assert [u.key for u in unlocks] == ["event-guest", "collector"]
    assert progress(user, config).completed
    assert grant_custom_achievement(user.id, brand.id, "event-guest", "webhook") == []
    assert balance(user) == 100 + 75 + 5
    [log] = [r for r in recorded.actions(user, "achievement_unlocked") if r.points_awarded == 75]
    assert log.action_data["source"] == "staff:7"


def test_an_unknown_custom_key_is_refused(make, program):
    brand, _product, user = program
    achievement(brand, "scanner", "scan_count", 1)
    with pytest.raises(UnknownAchievement, match="no active custom achievement 'scanner'"):
        grant_custom_achievement(user.id, brand.id, "scanner", "webhook")
    with pytest.raises(UnknownAchievement):
        grant_custom_achievement(user.id, brand.id, "nothing", "webhook")


def age_scans(user, days, archive=False):
    """Move the member's scans back in time (or into the archive)."""
    when = utcnow() - timedelta(days=days)
    db.session.execute(
        update(UserActionLog).where(UserActionLog.user_id == user.id).values(created_at=when)
    )
    if archive:
        db.session.execute(
            text(
                "INSERT INTO user_action_log_archive (id, user_id, action_type, product_id, "
                "points_awarded, created_at, brand_id) SELECT id, user_id, action_type, "
                "product_id, points_awarded, created_at, brand_id FROM user_action_log "
                "WHERE user_id = :u"
            ),
            {"u": user.id},
        )
        db.session.execute(text("DELETE FROM user_action_log WHERE user_id = :u"), {"u": user.id})
    db.session.commit()


@pytest.mark.parametrize(
    ("timeframe", "age_days", "counts"),
    [("24h", 2, False), ("7d", 6, True), ("7d", 8, False), ("30d", 29, True), ("90d", 91, False)],
)
def test_timeframes(make, program, timeframe, age_days, counts):
    brand, product, user = program
    scan(make, user, product)
    age_scans(user, age_days)
    achievement(brand, "double", "scan_count", 2, criteria={"timeframe": timeframe})
    assert bool(scan(make, user, product).unlocked) is counts


def test_all_time_includes_the_archive(make, program):
    brand, product, user = program
    scan(make, user, product)
    age_scans(user, 400, archive=True)
    assert db.session.scalar(select(UserActionLogArchive.id)) is not None
    achievement(brand, "veteran", "scan_count", 2)
    achievement(brand, "yearly", "scan_count", 2, criteria={"timeframe": "365d"})
    assert [u.key for u in scan(make, user, product).unlocked] == ["veteran"]


@pytest.mark.parametrize(
    ("filters", "matching"),
    [
        ({"product_form": "Vape"}, {"product_form": "Vape"}),
        ({"product_line": "Gold"}, {"product_line": "Gold"}),
        ({"strain_type": "Sativa"}, {"strain_type": "Sativa"}),
        ({"tag": "limited_50%"}, {"tags": ["summer", "limited_50%"]}),
        ({"product_form": "Vape", "tag": "x"}, {"product_form": "Vape", "tags": ["x"]}),
    ],
)
def test_filters(make, program, filters, matching):
    brand, product, user = program
    other = make.product(brand, tags=["limited_50", "Xmas"], product_line="Silver")
    fitting = make.product(brand, **matching)
    achievement(brand, "picky", "scan_count", 1, criteria={"filters": filters})
    assert scan(make, user, product).unlocked == []
    assert scan(make, user, other).unlocked == []
    assert [u.key for u in scan(make, user, fitting).unlocked] == ["picky"]


@pytest.mark.parametrize(
    ("operator", "value", "unlock_at"),
    [(">=", 2, 2), (">", 2, 3), ("==", 2, 2), ("<=", 1, 1), ("<", 2, 1)],
)
def test_operators(make, program, operator, value, unlock_at):
    brand, product, user = program
    achievement(brand, "op", "scan_count", value, criteria={"operator": operator})
    unlocked_at = [n for n in (1, 2, 3) if scan(make, user, product).unlocked]
    assert unlocked_at == [unlock_at]


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


def test_global_achievements_apply_to_every_brand_and_count_everywhere(make, program):
    brand, product, user = program
    other = make.brand()
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
    achievement(brand, "one", "scan_count", 1)
    assert [a.key for a in active_achievements(brand.id)] == ["one"]
    achievement(brand, "two", "scan_count", 2, visibility={"priority": 9})
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
