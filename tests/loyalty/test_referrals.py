"""Referrals: attaching at sign-up, converting on the first scan, expiry, nudges, summary."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.loyalty import referrals
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.ledger import Member, lock_member
from webapp.loyalty.membership import wallet_of
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import (
    ReferralError,
    attach_referral,
    convert_on_first_scan,
    expire_referrals,
    nudge_referral,
    referral_summary,
)
from webapp.models import Referral, User, UserActionLog
from webapp.timeutil import utcnow


def _referrer(make):
    user = make.user(first_name="Sam")
    code = ensure_referral_code(user)
    db.session.commit()
    return user, code


def _reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def _convert(user, brand):
    referral = convert_on_first_scan(lock_member(user.id, brand.id))
    db.session.commit()
    return referral


@pytest.mark.sqlite_ok
def test_attach_links_the_members_case_insensitively(make, recorded):
    brand = make.brand()
    referrer, code = _referrer(make)
    referee = make.user()
    referral = attach_referral(referee.id, f"  {code.lower()} ", brand.id)
    assert (referral.referrer_user_id, referral.referee_user_id) == (referrer.id, referee.id)
    assert (referral.status, referral.email, referral.brand_id) == (
        "pending",
        referee.email,
        brand.id,
    )
    assert referral.referral_code == code
    assert _reload(referee).referred_by_user_id == referrer.id
    assert len(recorded.actions(referrer, "referral_initiated")) == 1
    assert len(recorded.events(referrer, "referral_initiated")) == 1


@pytest.mark.sqlite_ok
def test_attach_distinct_refusals(make):
    brand = make.brand()
    referrer, code = _referrer(make)
    with pytest.raises(ReferralError, match="don't recognise"):
        attach_referral(make.user().id, "NOPE-0000", brand.id)
    with pytest.raises(ReferralError, match="don't recognise"):
        attach_referral(make.user().id, "", brand.id)
    with pytest.raises(ReferralError, match="your own"):
        attach_referral(referrer.id, code, brand.id)
    referee = make.user()
    attach_referral(referee.id, code, brand.id)
    other, other_code = _referrer(make)
    with pytest.raises(ReferralError, match="already linked"):
        attach_referral(referee.id, other_code, brand.id)
    assert db.session.scalar(select(func.count(Referral.id))) == 1


def test_attach_turns_a_duplicate_key_into_a_friendly_refusal(make, monkeypatch):
    brand = make.brand()
    referrer, code = _referrer(make)
    referee = make.user()
    db.session.add(
        Referral(referrer_user_id=referrer.id, referee_user_id=referee.id, referral_code=code)
    )
    db.session.commit()
    # A concurrent sign-up committed its row after this one's check: only the key catches it.
    monkeypatch.setattr(referrals, "_has_referral", lambda referee_user_id: False)
    other, other_code = _referrer(make)
    with pytest.raises(ReferralError, match="already linked"):
        attach_referral(referee.id, other_code, brand.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Referral.id))) == 1
    assert _reload(referee).referred_by_user_id is None


@pytest.mark.sqlite_ok
def test_first_scan_converts_and_pays_both_bonuses(make, recorded):
    brand = make.brand(settings={"referral": {"referrer_bonus": 700, "referee_bonus": 50}})
    referrer, code = _referrer(make)
    referee = make.user()
    attach_referral(referee.id, code, brand.id)
    referral = _convert(referee, brand)
    assert referral.status == "converted"
    assert referral.converted_at is not None
    assert (referral.points_awarded_to_referrer, referral.points_awarded_to_referee) == (700, 50)
    assert (_reload(referrer).points_balance, _reload(referrer).lifetime_points) == (700, 700)
    assert _reload(referee).points_balance == 50
    assert [r.points_awarded for r in recorded.actions(referrer, "referral_converted")] == [700]
    assert [r.points_awarded for r in recorded.actions(referee, "referral_bonus")] == [50]
    assert len(recorded.events(referrer, "referral_converted")) == 1
    assert len(recorded.events(referee, "referral_converted")) == 1
    assert _convert(referee, brand) is None
    assert _reload(referrer).points_balance == 700


@pytest.mark.sqlite_ok
def test_default_bonuses(make, recorded):
    brand = make.brand()
    referrer, code = _referrer(make)
    referee = make.user()
    attach_referral(referee.id, code, brand.id)
    referral = _convert(referee, brand)
    assert (referral.points_awarded_to_referrer, referral.points_awarded_to_referee) == (500, 0)
    assert _reload(referrer).points_balance == 500
    assert _reload(referee).points_balance == 0
    assert recorded.actions(referee, "referral_bonus") == []


@pytest.mark.sqlite_ok
def test_scan_without_referral_converts_nothing(make):
    brand = make.brand()
    assert _convert(make.user(), brand) is None


@pytest.mark.sqlite_ok
def test_expired_window_is_not_converted_and_the_job_expires_it(make):
    brand = make.brand(settings={"referral": {"expiry_days": 7}})
    referrer, code = _referrer(make)
    late = make.user()
    fresh = make.user()
    attach_referral(late.id, code, brand.id).created_at = utcnow() - timedelta(days=8)
    attach_referral(fresh.id, code, brand.id).created_at = utcnow() - timedelta(days=6)
    db.session.commit()
    assert _convert(late, brand) is None
    assert _reload(referrer).points_balance == 0
    assert expire_referrals() == 1
    statuses = dict(db.session.execute(select(Referral.referee_user_id, Referral.status)).all())
    assert statuses == {late.id: "expired", fresh.id: "pending"}
    assert expire_referrals(now=utcnow() + timedelta(days=2)) == 1


@pytest.mark.sqlite_ok
def test_nudge_once_per_day(make, recorded):
    brand = make.brand()
    referrer, code = _referrer(make)
    referee = make.user()
    referral = attach_referral(referee.id, code, brand.id)
    nudge_referral(referrer.id, referral.id)
    assert len(recorded.events(referee, "referral_nudge")) == 1
    with pytest.raises(ReferralError, match="already nudged"):
        nudge_referral(referrer.id, referral.id)
    referral.last_nudged_at = utcnow() - timedelta(hours=24, seconds=1)
    db.session.commit()
    nudge_referral(referrer.id, referral.id)
    assert len(recorded.events(referee, "referral_nudge")) == 2


@pytest.mark.sqlite_ok
def test_nudge_refusals(make):
    brand = make.brand()
    referrer, code = _referrer(make)
    referee = make.user()
    referral = attach_referral(referee.id, code, brand.id)
    with pytest.raises(ReferralError, match="not found"):
        nudge_referral(make.user().id, referral.id)
    with pytest.raises(ReferralError, match="not found"):
        nudge_referral(referrer.id, 999_999)
    _convert(referee, brand)
    with pytest.raises(ReferralError, match="haven't scanned"):
        nudge_referral(referrer.id, referral.id)


@pytest.mark.sqlite_ok
def test_summary_lists_statuses_and_counts(make):
    brand = make.brand()
    referrer, code = _referrer(make)
    converted, pending = make.user(), make.user()
    attach_referral(converted.id, code, brand.id)
    attach_referral(pending.id, code, brand.id)
    _convert(converted, brand)
    summary = referral_summary(referrer.id, brand.id)
    assert (summary["code"], summary["link_path"]) == (code, f"/r/{code}")
    assert summary["counts"] == {"pending": 1, "converted": 1, "expired": 0}
    assert summary["points_earned"] == 500
    by_status = {item["status"]: item for item in summary["referrals"]}
    assert by_status["pending"]["can_nudge"] is True
    assert by_status["converted"]["can_nudge"] is False
    assert by_status["converted"]["first_name"] == converted.first_name


@pytest.mark.sqlite_ok
def test_summary_gives_a_member_without_a_code_one(make):
    brand = make.brand()
    user = make.user()
    summary = referral_summary(user.id, brand.id)
    assert summary["code"]
    assert _reload(user).referral_code == summary["code"]
    assert summary["referrals"] == []


@pytest.mark.parametrize("lock_referee", [True, False], ids=["like_scans", "unlocked_callers"])
def test_concurrent_conversions_pay_once(app, make, lock_referee):
    brand = make.brand()
    referrer, code = _referrer(make)
    referee = make.user()
    attach_referral(referee.id, code, brand.id)
    db.session.commit()
    outcomes = []
    start = threading.Barrier(2)

    def first_scan():
        with app.app_context():
            start.wait()
            try:
                # Scans hold the referee's lock; without it only the conditional claim guards.
                member = (
                    lock_member(referee.id, brand.id)
                    if lock_referee
                    else Member(db.session.get(User, referee.id), wallet_of(referee.id, brand.id))
                )
                outcomes.append(convert_on_first_scan(member) is not None)
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=first_scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    assert _reload(referrer).points_balance == 500
    paid = db.session.scalar(
        select(func.count(UserActionLog.id)).where(
            UserActionLog.action_type == "referral_converted"
        )
    )
    assert paid == 1


@pytest.mark.sqlite_ok
def test_conversion_moves_the_referrers_referral_achievement(make, recorded):
    brand = make.brand()
    referrer, code = _referrer(make)
    create_achievement(
        brand_id=brand.id,
        achievement_key="first-friend",
        name="First friend",
        achievement_type="referral_count",
        criteria={"metric": "referral_count", "operator": ">=", "value": 1},
        rewards={"points": 100},
    )
    referee = make.user()
    attach_referral(referee.id, code, brand.id)
    assert recorded.actions(referrer, "achievement_unlocked") == []
    _convert(referee, brand)
    assert [r.points_awarded for r in recorded.actions(referrer, "achievement_unlocked")] == [100]
    assert _reload(referrer).points_balance == 600
