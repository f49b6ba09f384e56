"""The wallet invariants, for one person in two programs: each wallet's balance is the sum of
that brand's ledger rows for them (archive included), the person's totals are the sums of
their wallets, and no balance goes below zero; under random sequences and real threads."""

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import case, func, select, union_all

from tests.loyalty.test_concurrency import run_together
from tests.loyalty.test_ledger_properties import STEPS
from webapp.archive import run_archive
from webapp.extensions import db
from webapp.loyalty.ledger import InsufficientPoints, adjust
from webapp.loyalty.redemption import redeem
from webapp.loyalty.scan import scan_code
from webapp.models import MemberWallet, User, UserActionLog, UserActionLogArchive
from webapp.timeutil import utcnow

SHIPPING = {"name": "Pat", "address1": "1 Main St", "city": "Denver", "region": "CO",
            "postal_code": "80202", "country": "US"}  # fmt: skip


@pytest.fixture
def second_economy(make):
    """Another brand, with a product per award and a reward per cost."""
    brand = make.brand()
    products = {award: make.product(brand, points_award=award) for award in (1, 7, 100, 333)}
    rewards = {cost: make.product(brand, points_cost=cost) for cost in (50, 150, 400)}
    return brand, products, rewards


def ledger_by_brand(user_id):
    """{brand_id: (balance, lifetime)} from the live and archived ledger rows."""
    rows = union_all(
        *(
            select(model.brand_id, model.points_awarded, model.action_type).where(
                model.user_id == user_id
            )
            for model in (UserActionLog, UserActionLogArchive)
        )
    ).subquery()
    earned = (rows.c.points_awarded > 0) & (rows.c.action_type != "points_refunded")
    return {
        brand_id: (int(total), int(positive))
        for brand_id, total, positive in db.session.execute(
            select(
                rows.c.brand_id,
                func.sum(rows.c.points_awarded),
                func.sum(case((earned, rows.c.points_awarded), else_=0)),
            ).group_by(rows.c.brand_id)
        )
    }


def assert_wallet_invariants(user_id):
    """Every invariant of DESIGN.md section 4 for the person's wallets."""
    db.session.expire_all()
    person = db.session.get(User, user_id)
    wallets = db.session.scalars(select(MemberWallet).where(MemberWallet.user_id == user_id)).all()
    ledger = ledger_by_brand(user_id)
    for wallet in wallets:
        assert wallet.points_balance >= 0
        assert (wallet.points_balance, wallet.lifetime_points) == ledger.get(
            wallet.brand_id, (0, 0)
        )
    assert set(ledger) - {None} <= {wallet.brand_id for wallet in wallets}
    assert person.points_balance == sum(wallet.points_balance for wallet in wallets)
    assert person.lifetime_points == sum(wallet.lifetime_points for wallet in wallets)


steps = st.lists(
    st.tuples(
        st.sampled_from(["first", "second"]),
        st.one_of(
            st.tuples(st.just("scan"), st.sampled_from([1, 7, 100, 333])),
            st.tuples(st.just("redeem"), st.sampled_from([50, 150, 400])),
            st.tuples(st.just("cancel"), st.integers(0, 5)),
            st.tuples(st.just("adjust"), st.integers(-400, 400)),
            st.tuples(st.just("archive"), st.just(0)),
        ),
    ),
    max_size=14,
)


def do_archive(make, program, user, _argument):
    """Move every ledger row to the archive, as it would be a year and a day later."""
    run_archive(now=utcnow() + timedelta(days=366))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_any_sequence_in_two_programs_keeps_every_wallet_invariant(
    make,
    economy,
    second_economy,
    sequence,
):
    user = make.user(brands=[economy[0], second_economy[0]])
    programs = {"first": economy, "second": second_economy}
    for which, (kind, argument) in sequence:
        step = do_archive if kind == "archive" else STEPS[kind]
        step(make, programs[which], user, argument)
        assert_wallet_invariants(user.id)


def test_concurrent_scans_and_spends_in_two_programs_lose_nothing(app, make):
    brands = [make.brand(), make.brand()]
    person = make.user(brands=brands)
    products = [make.product(brand, points_award=100) for brand in brands]
    rewards = [make.product(brand, points_cost=150) for brand in brands]
    codes = [[make.scan_code(product).code for _ in range(15)] for product in products]
    for brand in brands:
        adjust(person.id, 600, brand_id=brand.id, reason="start", staff_user_id=None)

    def spend_at(index):
        with contextlib.suppress(InsufficientPoints):
            return redeem(person.id, rewards[index].id, brands[index].id, SHIPPING)
        return None

    calls = [
        lambda i=i, c=c: scan_code(person.id, c, brand_id=brands[i].id)
        for i in (0, 1)
        for c in codes[i]
    ] + [lambda i=i: spend_at(i) for i in (0, 1) for _ in range(6)]
    results = run_together(app, calls)
    assert sum(1 for r in results[:30] if r.outcome == "awarded") == 30
    assert_wallet_invariants(person.id)
    for brand in brands:
        wallet = db.session.get(MemberWallet, (person.id, brand.id))
        spent = sum(1 for r in results[30:] if r is not None and r.brand_id == brand.id) * 150
        assert wallet.points_balance == 600 + 15 * 100 - spent
