"""Real threads on separate connections: one winner per code, no lost or doubled points."""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from webapp.db_retry import retry_once_on_deadlock
from webapp.extensions import db
from webapp.loyalty.ledger import InsufficientPoints, lock_member, spend
from webapp.loyalty.scan import scan_code
from webapp.models import ScanCode, User, UserActionLog

pytestmark = pytest.mark.sqlite_ok  # the embedded default serialises writes (BEGIN IMMEDIATE)


def run_together(app, calls):
    """Run each call in its own thread and app context (own session), all released at once;
    each thread is a boundary: it commits its call's work, retried once after a deadlock."""
    start = threading.Barrier(len(calls))
    results = [None] * len(calls)
    errors = []

    def worker(index, call):
        with app.app_context():
            try:
                start.wait()
                results[index] = retry_once_on_deadlock(committed(call))()
            except Exception as error:  # reported below, with the thread's traceback
                errors.append(error)
                raise
            finally:
                db.session.remove()

    db.session.commit()  # the caller's reads end here: on SQLite they would hold the write lock
    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def committed(call):
    """`call`, then a commit of its work (what a view or job does around a rule)."""

    def run():
        result = call()
        db.session.commit()
        return result

    return run


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_fifty_claims_of_one_code_have_exactly_one_winner(app, make):
    brand = make.brand()
    code = make.scan_code(make.product(brand, points_award=100)).code
    members = [make.user() for _ in range(50)]
    results = run_together(
        app, [lambda m=m: scan_code(m.id, code, brand_id=brand.id) for m in members]
    )
    assert Counter(r.outcome for r in results) == {"awarded": 1, "already_claimed": 49}
    [winner] = [m for m, r in zip(members, results, strict=True) if r.outcome == "awarded"]
    db.session.expire_all()
    claimed = db.session.scalar(select(ScanCode).where(ScanCode.code == code))
    assert claimed.claimed_by_user_id == winner.id
    total = db.session.scalar(
        select(func.sum(UserActionLog.points_awarded)).where(
            UserActionLog.action_type == "product_scanned"
        )
    )
    assert total == 100
    assert sum(reload(m).points_balance for m in members) == 100


def test_a_hundred_scans_by_one_member_lose_nothing(app, make):
    brand = make.brand()
    make.rank(brand, "silver", 1000, "1.25")
    make.rank(brand, "gold", 4000, "1.50")
    product = make.product(brand, points_award=77)
    user = make.user()
    codes = [make.scan_code(product).code for _ in range(100)]
    results = run_together(
        app, [lambda c=c: scan_code(user.id, c, brand_id=brand.id) for c in codes]
    )
    assert {r.outcome for r in results} == {"awarded"}
    awarded = sum(r.points for r in results)
    assert awarded > 100 * 77  # the ranks' multipliers kicked in along the way
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (awarded, awarded)
    logged = db.session.scalar(
        select(func.sum(UserActionLog.points_awarded)).where(UserActionLog.user_id == user.id)
    )
    assert logged == awarded
    assert fresh.current_rank_key == "gold"


def spend_once(user_id, points, brand_id):
    """A minimal spending service: lock, spend, commit."""
    member = lock_member(user_id, brand_id)
    try:
        spend(member, points, "reward_redeemed")
    except InsufficientPoints:
        db.session.rollback()
        return "short"
    db.session.commit()
    return "spent"


def test_twenty_spends_the_balance_covers_once(app, make):
    brand = make.brand()
    user = make.user(points_balance=500, lifetime_points=500)
    results = run_together(app, [lambda: spend_once(user.id, 400, brand.id) for _ in range(20)])
    assert Counter(results) == {"spent": 1, "short": 19}
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (100, 500)
