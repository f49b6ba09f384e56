"""ledger.take_back: points taken back never below a zero balance, the shortfall on the row,
lifetime points and rank kept."""

import pytest

from webapp.extensions import db
from webapp.loyalty.ledger import MAX_ENTRY, PointsLimitExceeded, lock_member, take_back
from webapp.models import MemberWallet, User

pytestmark = pytest.mark.sqlite_ok


def test_what_the_balance_holds_is_taken_and_the_rest_recorded(app, make):
    brand = make.brand()
    make.rank(brand, "gold", 100)
    user = make.user(points_balance=70, lifetime_points=500, current_rank_key="gold")
    entry = take_back(lock_member(user.id, brand.id), 120, "points_reversed", action_data={"x": 1})
    db.session.commit()
    assert entry.log.points_awarded == -70
    assert entry.log.action_data == {
        "x": 1,
        "points_asked": 120,
        "points_taken": 70,
        "shortfall": 50,
    }
    db.session.expire_all()
    wallet = db.session.get(MemberWallet, (user.id, brand.id))
    assert (wallet.points_balance, wallet.lifetime_points) == (0, 500)
    assert wallet.current_rank_key == "gold" and not entry.rank_changed
    assert db.session.get(User, user.id).points_balance == 0


def test_an_empty_balance_leaves_a_zero_point_row_that_says_what_was_owed(app, make):
    brand = make.brand()
    user = make.user()
    entry = take_back(lock_member(user.id, brand.id), 40, "points_reversed")
    assert (entry.log.points_awarded, entry.log.action_data["shortfall"]) == (0, 40)


def test_a_covered_take_back_has_no_shortfall(app, make):
    brand = make.brand()
    user = make.user(points_balance=300, lifetime_points=300)
    entry = take_back(lock_member(user.id, brand.id), 120, "points_reversed")
    assert (entry.log.points_awarded, entry.log.action_data["shortfall"]) == (-120, 0)
    assert entry.member.wallet.points_balance == 180


def test_bad_amounts_are_refused(app, make):
    brand = make.brand()
    member = lock_member(make.user().id, brand.id)
    with pytest.raises(ValueError):
        take_back(member, -1, "points_reversed")
    with pytest.raises(PointsLimitExceeded):
        take_back(member, MAX_ENTRY + 1, "points_reversed")
