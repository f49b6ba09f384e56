"""Property: any sequence of scans, redemptions, cancellations, adjustments, unlocks, time
passing and points expiry keeps the ledger's invariants (DESIGN.md section 4)."""

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select
from sqlalchemy.orm.attributes import flag_modified

from webapp.extensions import db
from webapp.loyalty import expiry
from webapp.loyalty.achievements import create_achievement, grant_custom_achievement
from webapp.loyalty.ledger import MAX_POINTS, InsufficientPoints, adjust
from webapp.loyalty.program_day import brand_today, day_start
from webapp.loyalty.redemption import cancel_redemption, redeem
from webapp.loyalty.scan import scan_code
from webapp.models import MemberWallet, Redemption, User, UserActionLog

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


def do_scan(make, economy, user, award):
    brand, products, _rewards = economy
    code = make.scan_code(products[award]).code
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
    # Refunds restore the balance without being earned twice (redemption's rule); expiry
    # takes from the balance only, never from lifetime points.
    assert fresh.lifetime_points == Decimal(positive)


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
