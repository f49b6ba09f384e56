"""The achievements engine: every type, timeframes, filters, operators, custom grants, chains."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text, update

from tests.loyalty.achievement_helpers import (
    achievement,
    balance,
    evaluate,
    new_program,
    progress,
    scan,
)
from webapp.extensions import db
from webapp.loyalty.achievements import UnknownAchievement, grant_custom_achievement
from webapp.models import Referral, UserActionLog, UserActionLogArchive, Wishlist
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def program(make):
    """A brand, a product worth 100 points (MSRP 40.00) and a member."""
    return new_program(make)


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
