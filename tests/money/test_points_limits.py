"""Item 2: boosts stack only up to the brand's cap, and no award, adjustment or balance passes
its column's range: the member or staff read why, nothing is half-written, never a 500."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.admin.conftest import HOST_A
from tests.loyalty.achievement_helpers import achievement
from webapp.extensions import db
from webapp.loyalty.ledger import MAX_POINTS
from webapp.loyalty.scan import scan_code
from webapp.models import MemberWallet, ScanCode, User, UserAchievement
from webapp.timeutil import utcnow


def four_live_ten_x_boosts(brand, user):
    """Four unlocked achievements of `brand`, each with a live 10x boost, for `user`."""
    for index in range(4):
        config = achievement(brand, f"boost-{index}", "custom", rewards={"points": 0})
        db.session.add(
            UserAchievement(
                user_id=user.id,
                achievement_config_id=config.id,
                completed=True,
                completed_at=utcnow(),
                boost_multiplier=Decimal(10),
                boost_expires_at=utcnow() + timedelta(days=3),
            )
        )
    db.session.commit()


def test_four_ten_x_boosts_give_at_most_the_default_cap(make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    user = make.user()
    four_live_ten_x_boosts(brand, user)
    first = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    second = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert (first.outcome, first.points) == ("awarded", 2000)  # 20x, not 10,000x
    assert (second.outcome, second.points) == ("awarded", 2000)  # and the next scan works too


def test_the_brand_sets_its_own_multiplier_cap(make):
    brand = make.brand(settings={"scan": {"max_multiplier": "3.5"}})
    product = make.product(brand, points_award=100)
    user = make.user()
    four_live_ten_x_boosts(brand, user)
    assert scan_code(user.id, make.scan_code(product).code, brand_id=brand.id).points == 350


def test_a_scan_past_the_balance_column_is_refused_with_a_message_and_claims_nothing(make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    user = make.user(points_balance=MAX_POINTS - 50, lifetime_points=MAX_POINTS - 50)
    code = make.scan_code(product).code
    result = scan_code(user.id, code, brand_id=brand.id)
    assert result.outcome == "points_limit"
    assert "most points an account can hold" in result.message
    db.session.expire_all()
    claimed = db.session.scalar(select(ScanCode).where(ScanCode.code == code))
    assert claimed.claimed_by_user_id is None
    wallet = db.session.get(MemberWallet, (user.id, brand.id))
    assert wallet.points_balance == MAX_POINTS - 50


def test_a_single_award_past_the_ledger_row_range_is_refused(make):
    brand = make.brand(settings={"scan": {"max_multiplier": 20}})
    product = make.product(brand, points_award=2**31 - 1)
    user = make.user()
    four_live_ten_x_boosts(brand, user)
    result = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert result.outcome == "points_limit"
    db.session.expire_all()
    assert db.session.get(User, user.id).points_balance == 0


def test_staff_adding_past_the_balance_range_read_why_and_nothing_changes(app, owner, world):
    with app.app_context():
        member_id = world.ids["member_id"]
        wallet = db.session.get(MemberWallet, (member_id, world.brand_a.id))
        wallet.points_balance = wallet.lifetime_points = 4_290_000_000
        person = db.session.get(User, member_id)
        person.points_balance = person.lifetime_points = 4_290_000_000
        db.session.commit()
    response = owner.post(
        f"/admin/members/{member_id}/points",
        data={"delta": "9000000", "reason": "Goodwill"},
        base_url=HOST_A,
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "past 4,294,967,295 points" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(MemberWallet, (member_id, world.brand_a.id)).points_balance == (
            4_290_000_000
        )


def test_a_settled_blocks_rows_follow_its_savepoints(make):
    """Inside `settled_once` a member's ledger rows wait for the block's writes; one made in a
    savepoint that is rolled back is dropped with it, the others are written in order."""
    from webapp.loyalty.ledger import grant, lock_member, log_action, settled_once
    from webapp.models import UserActionLog

    brand = make.brand()
    user = make.user(brands=[brand])
    db.session.commit()
    member = lock_member(user.id, brand.id)
    with settled_once(member):
        grant(member, 10, "points_adjusted", action_data={"reason": "first"})
        try:
            with db.session.begin_nested():
                log_action(user, "goal_set", brand_id=brand.id)
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        grant(member, 5, "points_adjusted", action_data={"reason": "second"})
    db.session.commit()
    db.session.expire_all()
    rows = db.session.scalars(
        select(UserActionLog).where(UserActionLog.user_id == user.id).order_by(UserActionLog.id)
    ).all()
    assert [(r.action_type, r.points_awarded) for r in rows] == [
        ("points_adjusted", 10),
        ("points_adjusted", 5),
    ]
    assert db.session.get(MemberWallet, (user.id, brand.id)).points_balance == 15
    assert db.session.get(User, user.id).points_balance == 15
