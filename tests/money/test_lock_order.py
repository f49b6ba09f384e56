"""Item 8: a friend's first scan and the referrer's nudge at the same moment both finish (one
lock order: the person before the referral), and a deadlock still hit is retried once."""

import threading

import pymysql
import pytest
from sqlalchemy.exc import OperationalError

from tests.loyalty.test_concurrency import run_together
from webapp.db_retry import retry_once_on_deadlock
from webapp.extensions import db
from webapp.loyalty import referrals, scan
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
