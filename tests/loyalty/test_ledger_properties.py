"""Property: any sequence of scans, redemptions, cancellations, adjustments, unlocks, recalls,
take-backs, time passing and points expiry keeps the ledger's invariants (DESIGN.md section 4):
the balance is never negative nor past its column and always the sum of the ledger, lifetime
points the sum of what was earned; and campaigns and earning caps hold their limits."""

import contextlib
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select
from sqlalchemy.orm.attributes import flag_modified

from webapp.extensions import db
from webapp.loyalty import expiry
from webapp.loyalty.achievements import create_achievement, grant_custom_achievement
from webapp.loyalty.ledger import MAX_POINTS, InsufficientPoints, adjust, lock_member, take_back
from webapp.loyalty.program_day import brand_today, day_start
from webapp.loyalty.recalls import reverse_member
from webapp.loyalty.redemption import cancel_redemption, redeem
from webapp.loyalty.scan import scan_code
from webapp.models import Campaign, CodeBatch, MemberWallet, Redemption, User, UserActionLog
from webapp.timeutil import utcnow

SHIPPING = {
    "name": "Sam Rivera",
    "address1": "1 Main St",
    "city": "Denver",
    "region": "CO",
    "postal_code": "80202",
    "country": "US",
}

steps = st.lists(
    st.one_of(
        st.tuples(st.just("scan"), st.sampled_from([1, 7, 100, 333])),
        st.tuples(st.just("redeem"), st.sampled_from([50, 150, 400])),
        st.tuples(st.just("cancel"), st.integers(0, 5)),
        st.tuples(st.just("adjust"), st.integers(-400, 400)),
        st.tuples(st.just("unlock"), st.sampled_from(["gift-a", "gift-b"])),
        st.tuples(st.just("recall"), st.sampled_from([1, 7, 100, 333])),
        st.tuples(st.just("take_back"), st.integers(0, 600)),
        st.tuples(st.just("age"), st.sampled_from([3, 20, 45])),
        st.tuples(st.just("expire"), st.sampled_from(["rolling", "inactivity"])),
    ),
    max_size=16,
)


@pytest.fixture
def economy(make):
    """A brand with ranks, products per award, rewards per cost, and achievements."""
    brand = make.brand()
    make.rank(brand, "silver", 300, "1.15")
    make.rank(brand, "gold", 900, "1.35")
    products = {award: make.product(brand, points_award=award) for award in (1, 7, 100, 333)}
    rewards = {cost: make.product(brand, points_cost=cost) for cost in (50, 150, 400)}
    for key, points in (("gift-a", 40), ("gift-b", 0)):
        create_achievement(
            brand_id=brand.id,
            achievement_key=key,
            name=key,
            achievement_type="custom",
            criteria={},
            rewards={"points": points},
        )
    create_achievement(
        brand_id=brand.id,
        achievement_key="regular",
        name="Regular",
        achievement_type="scan_count",
        criteria={"value": 3},
        rewards={"points": 25, "multiplier": 1.1, "multiplier_days": 1},
    )
    create_achievement(
        brand_id=brand.id,
        achievement_key="collector",
        name="Collector",
        achievement_type="achievement_unlocked",
        criteria={"value": 2},
        rewards={"points": 60},
    )
    return brand, products, rewards


def open_batch(brand, product):
    """The product's batch whose points were not asked back yet (a new one after a recall)."""
    batch = db.session.scalar(
        select(CodeBatch).where(
            CodeBatch.product_id == product.id, CodeBatch.points_reversal_requested_at.is_(None)
        )
    )
    if batch is None:
        batch = CodeBatch(brand_id=brand.id, product_id=product.id, quantity=1000, status="done")
        db.session.add(batch)
        db.session.commit()
    return batch


def do_scan(make, economy, user, award):
    brand, products, _rewards = economy
    batch = open_batch(brand, products[award])
    code = make.scan_code(products[award], batch_id=batch.id).code
    assert scan_code(user.id, code, brand_id=brand.id).outcome == "awarded"


def do_redeem(make, economy, user, cost):
    brand, _products, rewards = economy
    with contextlib.suppress(InsufficientPoints):
        redeem(user.id, rewards[cost].id, brand.id, SHIPPING)


def do_cancel(make, economy, user, pick):
    pending = db.session.scalars(
        select(Redemption.id).where(Redemption.user_id == user.id, Redemption.status == "pending")
    ).all()
    if pending:
        cancel_redemption(pending[pick % len(pending)], reason="changed mind")


def do_adjust(make, economy, user, delta):
    brand = economy[0]
    with contextlib.suppress(InsufficientPoints):
        adjust(user.id, delta, brand_id=brand.id, reason="property", staff_user_id=None)


def do_unlock(make, economy, user, key):
    grant_custom_achievement(user.id, economy[0].id, key, "property")


def do_recall(make, economy, user, award):
    """The product's batch is recalled: what its codes earned the member is taken back."""
    brand, products, _rewards = economy
    batch = open_batch(brand, products[award])
    batch.points_reversal_requested_at = batch.created_at or utcnow()
    reverse_member(batch, user.id)
    assert reverse_member(batch, user.id) is None  # never twice
    db.session.commit()


def do_take_back(make, economy, user, points):
    take_back(lock_member(user.id, economy[0].id), points, "points_reversed")
    db.session.commit()


def do_age(make, economy, user, days):
    """Time passes: the member's ledger rows move `days` back."""
    rows = db.session.scalars(select(UserActionLog).where(UserActionLog.user_id == user.id))
    for row in rows:
        row.created_at -= timedelta(days=days)
    db.session.commit()


def do_expire(make, economy, user, policy):
    """Today's expiry under `policy` (one month), then what it must have left."""
    brand = economy[0]
    brand.settings = {**(brand.settings or {}), "points_expiry": {"policy": policy, "months": 1}}
    flag_modified(brand, "settings")
    db.session.commit()
    today = brand_today(brand)
    before = wallet_balance(user, brand)
    expiry.expire_points(brand, today, [user.id])
    db.session.commit()
    after = wallet_balance(user, brand)
    expired = before - after
    assert 0 <= expired <= before
    cutoff = day_start(brand, expiry.first_unexpired_day(today, 1))
    if policy == "rolling":
        # Only points earned before the cutoff and still unspent expire: the rest stays.
        recent = expiry.credited_since(brand.id, [user.id], cutoff)[user.id]
        assert after == min(before, recent)
    else:
        last = expiry.last_earned(brand.id, [user.id]).get(user.id)
        assert after == (0 if last is not None and last < cutoff else before)


def wallet_balance(user, brand):
    db.session.expire_all()
    return db.session.scalar(
        select(MemberWallet.points_balance).where(
            MemberWallet.user_id == user.id, MemberWallet.brand_id == brand.id
        )
    )


STEPS = {
    "scan": do_scan,
    "redeem": do_redeem,
    "cancel": do_cancel,
    "adjust": do_adjust,
    "unlock": do_unlock,
    "recall": do_recall,
    "take_back": do_take_back,
    "age": do_age,
    "expire": do_expire,
}


def assert_invariants(user):
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    earned = (UserActionLog.points_awarded > 0) & (UserActionLog.action_type != "points_refunded")
    total, positive = db.session.execute(
        select(
            func.coalesce(func.sum(UserActionLog.points_awarded), 0),
            func.coalesce(func.sum(case((earned, UserActionLog.points_awarded), else_=0)), 0),
        ).where(UserActionLog.user_id == user.id)
    ).one()
    assert 0 <= fresh.points_balance <= MAX_POINTS
    assert fresh.points_balance == Decimal(total)
    # Refunds restore the balance without being earned twice (redemption's rule); a reversal
    # and expiry take from the balance only, never from lifetime points.
    assert fresh.lifetime_points == Decimal(positive)
    [wallet] = db.session.scalars(select(MemberWallet).where(MemberWallet.user_id == user.id))
    assert wallet.points_balance == fresh.points_balance
    reversed_rows = db.session.scalars(
        select(UserActionLog).where(
            UserActionLog.user_id == user.id, UserActionLog.action_type == "points_reversed"
        )
    )
    for row in reversed_rows:  # what was asked is what was taken plus the shortfall
        data = row.action_data
        assert -row.points_awarded == data["points_taken"] >= 0
        assert data["points_taken"] + data["shortfall"] == data["points_asked"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
@example(  # old points partly spent, then both policies: expiry must take exactly the rest
    sequence=[
        ("scan", 333),
        ("age", 45),
        ("scan", 100),
        ("redeem", 150),
        ("expire", "rolling"),
        ("scan", 7),
        ("adjust", 20),
        ("age", 45),
        ("expire", "inactivity"),
    ]
)
def test_any_sequence_keeps_the_ledger_invariants(make, economy, sequence):
    user = make.user()
    for kind, argument in sequence:
        STEPS[kind](make, economy, user, argument)
        assert_invariants(user)


# Campaigns and earning caps: a brand whose scans earn a campaign's bonus within a per-member
# daily cap and a budget, under daily earning caps, at moments the sequence moves forward.
CAPPED_START = datetime(2030, 9, 14, 7, 0)  # midnight in Los Angeles
POINTS_PER_DAY, SCANS_PER_DAY, MEMBER_BONUS_PER_DAY, BUDGET = 700, 6, 300, 900

capped_steps = st.lists(
    st.one_of(
        st.tuples(st.just("scan"), st.sampled_from([1, 7, 100, 333]), st.integers(0, 20)),
        st.tuples(st.just("redeem"), st.sampled_from([50, 150, 400]), st.just(0)),
        st.tuples(st.just("adjust"), st.integers(-400, 400), st.just(0)),
    ),
    max_size=16,
)


@pytest.fixture
def capped_economy(make):
    brand = make.brand(
        settings={
            "timezone": "America/Los_Angeles",
            "earning_caps": {"points_per_day": POINTS_PER_DAY, "scans_per_day": SCANS_PER_DAY},
        }
    )
    make.rank(brand, "silver", 300, "1.15")
    products = {award: make.product(brand, points_award=award) for award in (1, 7, 100, 333)}
    rewards = {cost: make.product(brand, points_cost=cost) for cost in (50, 150, 400)}
    campaign = Campaign(
        brand_id=brand.id,
        name="Double",
        starts_at=CAPPED_START,
        ends_at=CAPPED_START + timedelta(days=30),
        multiplier=Decimal(2),
        bonus_points=10,
        cap_kind="points",
        cap_period="day",
        cap_amount=MEMBER_BONUS_PER_DAY,
        budget_points=BUDGET,
    )
    db.session.add(campaign)
    db.session.commit()
    return brand, products, rewards, campaign


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=capped_steps)
def test_campaigns_and_earning_caps_keep_the_ledger_invariants(make, capped_economy, sequence):
    brand, products, rewards, campaign = capped_economy
    user = make.user()
    now, per_day = CAPPED_START, {}
    for kind, argument, hours in sequence:
        if kind == "scan":
            now += timedelta(hours=hours)
            code = make.scan_code(products[argument]).code
            result = scan_code(user.id, code, brand_id=brand.id, now=now)
            assert result.outcome == "awarded" and result.points >= 0
            day = (now - timedelta(hours=7)).date()  # Los Angeles in September (UTC-7)
            earned, scans, bonus = per_day.get(day, (0, 0, 0))
            per_day[day] = (earned + result.points, scans + 1, bonus + result.campaign_points)
        elif kind == "redeem":
            do_redeem(make, (brand, products, rewards), user, argument)
        else:
            do_adjust(make, (brand, products, rewards), user, argument)
        assert_invariants(user)
    for earned, _scans, bonus in per_day.values():
        assert earned <= POINTS_PER_DAY and bonus <= MEMBER_BONUS_PER_DAY
    bonuses = db.session.scalar(
        select(func.coalesce(func.sum(UserActionLog.points_awarded), 0)).where(
            UserActionLog.action_type == "campaign_bonus_awarded"
        )
    )
    db.session.expire_all()
    spent = db.session.get(Campaign, campaign.id).spent_points
    assert spent == bonuses <= BUDGET
