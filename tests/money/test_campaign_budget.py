"""Campaign budgets and caps hold under real concurrency (threads, own connections)."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from tests.loyalty.test_concurrency import run_together
from webapp.extensions import db
from webapp.loyalty.scan import scan_code
from webapp.models import Campaign, UserActionLog
from webapp.timeutil import utcnow


def _campaign(brand, **values):
    now = utcnow()
    row = Campaign(brand_id=brand.id, name="Double points weekend",
                   starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1),
                   multiplier=Decimal(2), **values)  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def _bonus_rows():
    return db.session.execute(
        select(func.count(), func.coalesce(func.sum(UserActionLog.points_awarded), 0)).where(
            UserActionLog.action_type == "campaign_bonus_awarded"
        )
    ).one()


def test_fifty_concurrent_scans_against_a_budget_of_ten_bonuses_pay_exactly_ten(app, make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    row = _campaign(brand, budget_points=10 * 100)
    members = [make.user() for _ in range(50)]
    codes = [make.scan_code(product).code for _ in members]
    results = run_together(
        app,
        [
            lambda m=m, c=c: scan_code(m.id, c, brand_id=brand.id)
            for m, c in zip(members, codes, strict=True)
        ],
    )
    assert {r.outcome for r in results} == {"awarded"}
    assert sorted(r.campaign_points for r in results) == [0] * 40 + [100] * 10
    db.session.expire_all()
    assert tuple(_bonus_rows()) == (10, 1000)
    assert db.session.get(Campaign, row.id).spent_points == 1000


def test_one_members_concurrent_scans_keep_their_cap_exactly(app, make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    _campaign(brand, cap_kind="scans", cap_period="day", cap_amount=3)
    user = make.user()
    codes = [make.scan_code(product).code for _ in range(20)]
    results = run_together(
        app, [lambda c=c: scan_code(user.id, c, brand_id=brand.id) for c in codes]
    )
    assert sum(1 for r in results if r.campaign_points) == 3
    db.session.expire_all()
    assert tuple(_bonus_rows()) == (3, 300)
