"""Item 1: on the embedded default (SQLite) two scans of one member at once lose nothing."""

import pytest
from sqlalchemy import func, select

from tests.loyalty.test_concurrency import run_together
from webapp.extensions import db
from webapp.loyalty.scan import scan_code
from webapp.models import MemberWallet, UserActionLog

pytestmark = pytest.mark.sqlite_ok


def test_twenty_rounds_of_two_scans_by_one_member_keep_balance_equal_to_ledger(app, make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    user = make.user()
    for _ in range(20):
        codes = [make.scan_code(product).code for _ in range(2)]
        results = run_together(
            app, [lambda c=c: scan_code(user.id, c, brand_id=brand.id) for c in codes]
        )
        assert [r.outcome for r in results] == ["awarded", "awarded"]
    db.session.expire_all()
    wallet = db.session.get(MemberWallet, (user.id, brand.id))
    logged = db.session.scalar(
        select(func.sum(UserActionLog.points_awarded)).where(UserActionLog.user_id == user.id)
    )
    assert (wallet.points_balance, wallet.lifetime_points, logged) == (4000, 4000, 4000)
