"""Campaigns on scans: windows on the brand's clock, targeting, caps, budgets, and how they
combine with ranks and boosts; every rule at an explicit `now`."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from webapp.extensions import db
from webapp.loyalty.campaigns import preview, rule_of
from webapp.loyalty.ranks import ladder
from webapp.loyalty.scan import scan_code
from webapp.models import Campaign, MemberAiProfile

pytestmark = pytest.mark.sqlite_ok

# Saturday 14 September 2030 in Los Angeles (daylight time, UTC-7); the scans' frozen clock.
LA = {"timezone": "America/Los_Angeles"}
WEEKEND_STARTS = datetime(2030, 9, 14, 7, 0)  # Saturday 00:00 in Los Angeles
WEEKEND_ENDS = datetime(2030, 9, 16, 7, 0)  # Monday 00:00 in Los Angeles


def campaign(brand, **values):
    row = Campaign(
        brand_id=brand.id,
        name=values.pop("name", "Double points weekend"),
        starts_at=values.pop("starts_at", WEEKEND_STARTS),
        ends_at=values.pop("ends_at", WEEKEND_ENDS),
        multiplier=values.pop("multiplier", Decimal(2)),
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def scan(make, user, product, brand, now):
    return scan_code(user.id, make.scan_code(product).code, brand_id=brand.id, now=now)


def test_the_weekend_begins_and_ends_at_the_brands_midnight(make, recorded):
    brand = make.brand(settings=LA)
    product = make.product(brand, points_award=150)
    user = make.user()
    campaign(brand)
    before = scan(make, user, product, brand, WEEKEND_STARTS - timedelta(seconds=1))
    first = scan(make, user, product, brand, WEEKEND_STARTS)
    last = scan(make, user, product, brand, WEEKEND_ENDS - timedelta(seconds=1))
    after = scan(make, user, product, brand, WEEKEND_ENDS)
    assert [r.points for r in (before, first, last, after)] == [150, 300, 300, 150]
    assert first.campaign_name == "Double points weekend" and first.campaign_points == 150
    assert "Double points weekend: +150" in first.message
    bonuses = recorded.actions(user, "campaign_bonus_awarded")
    assert [b.points_awarded for b in bonuses] == [150, 150]
    assert bonuses[0].action_data["campaign_id"] is not None
    assert len(recorded.events(user, "campaign_bonus_awarded")) == 2
    db.session.expire_all()
    assert user.points_balance == 150 * 6


def test_a_utc_brand_sees_the_same_window_at_other_hours(make):
    brand = make.brand()  # UTC: the campaign's stored UTC window is the same instant
    product = make.product(brand, points_award=100)
    user = make.user()
    campaign(brand, starts_at=datetime(2030, 9, 14, 0, 0), ends_at=datetime(2030, 9, 16, 0, 0))
    # 23:30 Friday in Los Angeles is already Saturday in UTC.
    assert scan(make, user, product, brand, datetime(2030, 9, 14, 6, 30)).points == 200


@pytest.mark.parametrize(
    ("targets", "matches"),
    [
        ({"forms": ["Vape"]}, False),
        ({"forms": ["Flower", "Vape"]}, True),
        ({"lines": ["Reserve"]}, True),
        ({"lines": ["Everyday"]}, False),
        ({"strain_types": ["Indica"]}, True),
        ({"strain_types": ["Sativa"]}, False),
        ({"tags": ["sale", "limited"]}, True),
        ({"tags": ["organic"]}, False),
        ({"skus": ["RES-1"]}, True),
        ({"skus": ["OTHER"]}, False),
        ({"forms": ["Flower"], "skus": ["OTHER"]}, False),  # every kind must match
    ],
)
def test_each_product_target(make, targets, matches):
    brand = make.brand()
    product = make.product(
        brand,
        points_award=100,
        product_form="Flower",
        product_line="Reserve",
        strain_type="Indica",
        tags=["limited"],
        sku="RES-1",
    )
    campaign(brand, targets=targets)
    result = scan(make, make.user(), product, brand, WEEKEND_STARTS)
    assert result.points == (200 if matches else 100)


def test_members_are_targeted_by_rank_held_and_ai_segment(make):
    brand = make.brand()
    make.rank(brand, "silver", 1000, "1.50")
    product = make.product(brand, points_award=100)
    silver = make.user(points_balance=1000, lifetime_points=1000, current_rank_key="silver")
    member = make.user()
    campaign(brand, name="Silver weekend", targets={"ranks": ["silver"]})
    assert scan(make, silver, product, brand, WEEKEND_STARTS).points == 300  # 150 x 2
    assert scan(make, member, product, brand, WEEKEND_STARTS).points == 100
    other = make.brand()
    loyal = make.user(brands=[other])
    campaign(other, name="Win-back", targets={"segments": ["lapsing"]}, multiplier=None,
             bonus_points=50)  # fmt: skip
    db.session.add(MemberAiProfile(user_id=loyal.id, brand_id=other.id,
                                   recommended_segment="lapsing"))  # fmt: skip
    db.session.commit()
    product_b = make.product(other, points_award=100)
    assert scan(make, loyal, product_b, other, WEEKEND_STARTS).points == 150
    stranger = make.user(brands=[other])
    assert scan(make, stranger, product_b, other, WEEKEND_STARTS).points == 100


def test_rank_boost_and_campaign_combine_under_the_brands_maximum(make):
    brand = make.brand(settings={"scan": {"max_multiplier": "2.5"}})
    make.rank(brand, "gold", 1000, "1.50")
    gold = make.user(points_balance=1000, lifetime_points=1000, current_rank_key="gold")
    product = make.product(brand, points_award=100)
    campaign(brand, multiplier=Decimal(3), bonus_points=25)
    result = scan(make, gold, product, brand, WEEKEND_STARTS)
    # 1.5 x 3 = 4.5 capped to 2.5: 250, of which 150 is the scan's own; the fixed 25 after.
    assert result.points == 250 + 25
    assert result.campaign_points == 125


def test_campaigns_do_not_stack_the_best_one_pays(make, recorded):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    user = make.user()
    campaign(brand, name="Small", multiplier=None, bonus_points=10)
    campaign(brand, name="Big", multiplier=Decimal(3))
    result = scan(make, user, product, brand, WEEKEND_STARTS)
    assert (result.campaign_name, result.points) == ("Big", 300)
    assert len(recorded.actions(user, "campaign_bonus_awarded")) == 1


@pytest.mark.parametrize(
    ("kind", "period", "amount", "scans_at", "bonuses"),
    [
        ("points", "campaign", 250, [0, 1, 2, 30], [100, 100, 50, 0]),
        ("scans", "campaign", 2, [0, 1, 2], [100, 100, 0]),
        # per day, on the brand's day: 23:59 Saturday and 00:00 Sunday in Los Angeles
        ("scans", "day", 1, [0, 1, 16 * 60 + 59, 17 * 60], [100, 0, 0, 100]),
        ("points", "day", 150, [0, 1, 17 * 60], [100, 50, 100]),
    ],
)
def test_each_per_member_cap(make, kind, period, amount, scans_at, bonuses):
    brand = make.brand(settings=LA)
    product = make.product(brand, points_award=100)
    user = make.user()
    campaign(
        brand,
        starts_at=WEEKEND_STARTS,
        ends_at=WEEKEND_STARTS + timedelta(days=14),
        cap_kind=kind,
        cap_period=period,
        cap_amount=amount,
    )
    start = WEEKEND_STARTS + timedelta(hours=7)  # 07:00 Saturday in Los Angeles
    paid = [
        scan(make, user, product, brand, start + timedelta(minutes=m)).campaign_points
        for m in scans_at
    ]
    assert paid == bonuses


def test_a_weekly_cap_starts_again_on_monday(make):
    brand = make.brand(settings=LA)
    product = make.product(brand, points_award=100)
    user = make.user()
    campaign(brand, ends_at=WEEKEND_STARTS + timedelta(days=14), cap_kind="scans",
             cap_period="week", cap_amount=1)  # fmt: skip
    saturday = WEEKEND_STARTS + timedelta(hours=12)
    monday = WEEKEND_ENDS + timedelta(hours=1)  # 01:00 Monday in Los Angeles
    paid = [scan(make, user, product, brand, t).campaign_points for t in (saturday, saturday,
                                                                           monday)]  # fmt: skip
    assert paid == [100, 0, 100]


def test_a_budget_pays_whole_bonuses_until_it_is_spent(make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    row = campaign(brand, budget_points=250)
    users = [make.user() for _ in range(4)]
    paid = [scan(make, u, product, brand, WEEKEND_STARTS).campaign_points for u in users]
    assert paid == [100, 100, 0, 0]  # 50 left: too little for a whole bonus
    db.session.expire_all()
    assert db.session.get(Campaign, row.id).spent_points == 200


def test_the_preview_is_the_scans_own_arithmetic(make):
    brand = make.brand()
    make.rank(brand, "silver", 1000, "1.25")
    silver_member = make.user(points_balance=1000, lifetime_points=1000,
                              current_rank_key="silver")  # fmt: skip
    product = make.product(brand, points_award=90)
    row = campaign(brand, multiplier=Decimal("1.5"), bonus_points=5)
    silver = next(step for step in ladder(brand.id) if step.key == "silver")
    shown = preview(rule_of(row), product, silver)
    result = scan(make, silver_member, product, brand, WEEKEND_STARTS)
    assert shown.total == result.points == 168 + 5  # floor(90 x 1.875) + 5
    assert (shown.scan_points, shown.bonus) == (112, 61)


def test_an_ended_campaign_pays_nothing(make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    row = campaign(brand)
    row.ends_at = WEEKEND_STARTS + timedelta(hours=1)
    db.session.commit()
    assert (
        scan(make, make.user(), product, brand, WEEKEND_STARTS + timedelta(hours=2)).points == 100
    )
