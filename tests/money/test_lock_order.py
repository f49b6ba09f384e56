"""Item 8: a friend's first scan and the referrer's nudge at the same moment both finish (one
lock order: the person before the referral), and a deadlock still hit is retried once."""

import threading
import time

import pymysql
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tests.loyalty.test_concurrency import run_together
from webapp.db_retry import retry_once_on_deadlock
from webapp.extensions import db
from webapp.loyalty import referrals, scan
from webapp.loyalty.ledger import lock_member
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import ReferralError, attach_referral, nudge_referral
from webapp.models import Referral, User


def test_first_scan_and_nudge_at_once_both_finish_without_a_deadlock(app, make, monkeypatch):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    referrer = make.user(signup_brand_id=brand.id)
    friend = make.user(signup_brand_id=brand.id)
    referral = attach_referral(friend.id, referral_code_of(referrer), brand.id)
    code = make.scan_code(product).code
    scan_holds_friend, nudge_wrote_referral = threading.Event(), threading.Event()
    real_convert, real_record = scan.convert_on_first_scan, referrals.record_event

    def convert_after_the_nudge(member):
        scan_holds_friend.set()
        nudge_wrote_referral.wait(timeout=1.5)  # before the fix the nudge gets this far
        return real_convert(member)

    def record_then_let_the_scan_go(user, name, **kwargs):
        row = real_record(user, name, **kwargs)
        if name == "referral_nudge":
            nudge_wrote_referral.set()
            db.session.flush()  # the outbox insert, which needs the friend's row
        return row

    monkeypatch.setattr(scan, "convert_on_first_scan", convert_after_the_nudge)
    monkeypatch.setattr(referrals, "record_event", record_then_let_the_scan_go)

    def nudge():
        scan_holds_friend.wait(timeout=5)
        try:
            nudge_referral(referrer.id, referral.id)
        except ReferralError as refused:
            return str(refused)
        return "nudged"

    scanned, nudged = run_together(
        app, [lambda: scan.scan_code(friend.id, code, brand_id=brand.id), nudge]
    )
    assert scanned.outcome == "awarded"
    assert nudged in ("nudged", "Only friends who haven't scanned yet can be nudged.")
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "converted"
    assert db.session.get(User, referrer.id).points_balance == 500


def referral_code_of(user):
    """The member's referral code, made (and committed) when they have none yet."""
    code = ensure_referral_code(user)
    db.session.commit()
    return code


def deadlock():
    return OperationalError("UPDATE referrals", {}, pymysql.err.OperationalError(1213, "Deadlock"))


def test_a_deadlock_victim_runs_once_more_and_a_second_deadlock_is_raised(app):
    calls = []

    @retry_once_on_deadlock
    def flaky(failures):
        calls.append(1)
        if len(calls) <= failures:
            raise deadlock()
        return "done"

    assert flaky(1) == "done" and len(calls) == 2
    calls.clear()
    with pytest.raises(OperationalError):
        flaky(2)
    assert len(calls) == 2


def test_the_one_statement_that_locks_a_member_takes_the_person_before_the_wallet(app, make):
    """`lock_member` locks both rows in one `SELECT ... FOR UPDATE`: while it waits on a
    wallet another transaction holds, it already holds the person (the order every other
    path takes), so it cannot deadlock with a path that holds the person and wants the
    wallet."""
    brand = make.brand()
    user = make.user(signup_brand_id=brand.id)
    db.session.commit()
    holder = db.engine.connect()
    holder.execute(
        text("SELECT * FROM member_wallets WHERE user_id = :u AND brand_id = :b FOR UPDATE"),
        {"u": user.id, "b": brand.id},
    )
    locked = threading.Event()

    def lock_it():
        with app.app_context():
            locked.set()
            member = lock_member(user.id, brand.id)
            db.session.rollback()
            db.session.remove()
            return member

    waiter = threading.Thread(target=lock_it)
    waiter.start()
    locked.wait(timeout=5)
    time.sleep(0.3)  # the waiter's statement is now queued on the wallet
    try:
        with db.engine.connect() as probe, pytest.raises(OperationalError):  # 1205: held
            probe.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            probe.execute(text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": user.id})
    finally:
        holder.rollback()
        holder.close()
    waiter.join(timeout=10)
    assert not waiter.is_alive()


def test_a_person_who_never_joined_the_brand_is_not_a_member(make):
    brand, other = make.brand(), make.brand()
    user = make.user(signup_brand_id=other.id)
    db.session.commit()
    with pytest.raises(NotAMember):
        lock_member(user.id, brand.id)
