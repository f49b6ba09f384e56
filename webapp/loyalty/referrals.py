"""Referrals: linking a new member to a friend, converting on the first scan, nudges, expiry."""

from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.brand_settings import settings_of
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.achievements import evaluate_achievements
from webapp.loyalty.jurisdictions import referral_bonus_allowed
from webapp.loyalty.ledger import grant, lock_member, lock_user, log_action
from webapp.loyalty.membership import is_member
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referral_review import phone_region, same_phone
from webapp.models import Brand, Referral, ReferralCode, User
from webapp.timeutil import utcnow
from webapp.translation_marks import N_

NUDGE_INTERVAL = timedelta(hours=24)


class ReferralError(Exception):
    """A referral step that cannot happen; the message says why."""


def attach_referral(referee_user_id, code, brand_id):
    """Link a newly signed-up member to the owner of `code`; returns the pending referral."""
    cleaned = (code or "").strip().upper()
    referral_code = db.session.scalar(
        select(ReferralCode).where(
            func.upper(ReferralCode.code) == cleaned, ReferralCode.is_active.is_(True)
        )
    )
    if not cleaned or referral_code is None:
        raise ReferralError(N_("We don't recognise that referral code."))
    if referral_code.user_id == referee_user_id:
        raise ReferralError(N_("You can't use your own referral code."))
    if not is_member(referral_code.user_id, brand_id):
        # A friend can only invite you to a program they are in themselves.
        raise ReferralError(N_("We don't recognise that referral code."))
    referee = db.session.get(User, referee_user_id)
    referrer = db.session.get(User, referral_code.user_id)
    if same_phone(referrer, referee, phone_region(db.session.get(Brand, brand_id))):
        raise ReferralError(N_("That referral code belongs to an account with your phone number."))
    if referee.referred_by_user_id is not None or _has_referral(referee_user_id):
        raise ReferralError(N_("Your account is already linked to a friend's referral."))
    referral = Referral(
        referrer_user_id=referral_code.user_id,
        referee_user_id=referee_user_id,
        referral_code=referral_code.code,
        email=referee.email,
        status="pending",
        brand_id=brand_id,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(referral)
    except IntegrityError:
        raise ReferralError(N_("Your account is already linked to a friend's referral.")) from None
    referee.referred_by_user_id = referral_code.user_id
    _announce_initiated(referral, referee, brand_id)
    return referral


def _has_referral(referee_user_id):
    return (
        db.session.scalar(select(Referral.id).where(Referral.referee_user_id == referee_user_id))
        is not None
    )


def _announce_initiated(referral, referee, brand_id):
    referrer = db.session.get(User, referral.referrer_user_id)
    context = {"referral_id": referral.id, "referee_user_id": referee.id}
    log_action(referrer, "referral_initiated", brand_id=brand_id, action_data=context)
    record_event(
        referrer,
        "referral_initiated",
        brand_id=brand_id,
        context={**context, "referee_first_name": referee.first_name},
    )


def convert_on_first_scan(member):
    """Convert the member's pending, unexpired referral at the wallet's brand and pay both
    bonuses into that brand's wallets; in the caller's transaction. Returns the converted
    referral, or None when there was nothing to convert.

    A person nobody referred has no referral to look up: `attach_referral`, the one place a
    referral is made, sets `referred_by_user_id` in the same transaction.
    """
    if member.user.referred_by_user_id is None:
        return None
    brand_id = member.brand_id
    referral = db.session.scalar(
        select(Referral).where(
            Referral.referee_user_id == member.id,
            Referral.status == "pending",
            or_(Referral.brand_id == brand_id, Referral.brand_id.is_(None)),
        )
    )
    if referral is None:
        return None
    brand = db.session.get(Brand, brand_id)
    expiry_days = settings_of(brand).referral.expiry_days
    if referral.created_at < utcnow() - timedelta(days=expiry_days):
        return None
    now = utcnow()
    claimed = db.session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.status == "pending")
        .values(status="converted", converted_at=now)
    ).rowcount
    if not claimed:
        return None
    referral.status, referral.converted_at = "converted", now
    referrer = db.session.get(User, referral.referrer_user_id)
    if is_member(referrer.id, brand_id) and not same_phone(
        referrer, member.user, phone_region(brand)
    ):  # a phone number added after the sign-up still never pays itself
        _pay_bonuses(referral, brand, brand_id)
    return referral


def _pay_bonuses(referral, brand, brand_id):
    # Lock both members in id order, the order every two-member lock in the program uses.
    ids = sorted((referral.referrer_user_id, referral.referee_user_id))
    locked = {uid: lock_member(uid, brand_id) for uid in ids}
    referrer_member = locked[referral.referrer_user_id]
    referee_member = locked[referral.referee_user_id]
    referrer, referee = referrer_member.user, referee_member.user
    referral_settings = settings_of(brand).referral
    referrer_bonus = referral_settings.referrer_bonus
    referee_bonus = referral_settings.referee_bonus
    # Where a member's region forbids referral bonuses, theirs is not paid (the other's is).
    if not referral_bonus_allowed(brand, referrer_member.wallet):
        referrer_bonus = 0
    if not referral_bonus_allowed(brand, referee_member.wallet):
        referee_bonus = 0
    context = {"referral_id": referral.id, "referee_user_id": referee.id}
    if referrer_bonus:
        grant(referrer_member, referrer_bonus, "referral_converted", action_data=context)
    else:
        log_action(referrer, "referral_converted", brand_id=brand_id, action_data=context)
    if referee_bonus:
        grant(referee_member, referee_bonus, "referral_bonus", action_data=context)
    referral.points_awarded_to_referrer = referrer_bonus
    referral.points_awarded_to_referee = referee_bonus
    record_event(
        referrer,
        "referral_converted",
        brand_id=brand_id,
        context={**context, "points_awarded": referrer_bonus, "role": "referrer"},
    )
    record_event(
        referee,
        "referral_converted",
        brand_id=brand_id,
        context={**context, "points_awarded": referee_bonus, "role": "referee"},
    )
    evaluate_achievements(referrer_member)


def expire_referrals(now=None):
    """Mark pending referrals older than their brand's window as expired; returns how many."""
    now = now or utcnow()
    brand_ids = db.session.scalars(
        select(Referral.brand_id).where(Referral.status == "pending").distinct()
    ).all()
    expired = 0
    for brand_id in brand_ids:
        brand = db.session.get(Brand, brand_id) if brand_id is not None else None
        cutoff = now - timedelta(days=settings_of(brand).referral.expiry_days)
        same_brand = (
            Referral.brand_id.is_(None) if brand_id is None else Referral.brand_id == brand_id
        )
        expired += db.session.execute(
            update(Referral)
            .where(same_brand, Referral.status == "pending", Referral.created_at < cutoff)
            .values(status="expired")
        ).rowcount
    return expired


def nudge_referral(referrer_user_id, referral_id):
    """Ask Customer.io to remind a pending friend to scan; once per 24 hours per friend.

    The friend is locked before the referral row (the program's lock order): their first scan
    locks them, then converts the referral.
    """
    referee_id = db.session.scalar(
        select(Referral.referee_user_id).where(
            Referral.id == referral_id, Referral.referrer_user_id == referrer_user_id
        )
    )
    if referee_id is None:
        raise ReferralError(N_("That referral was not found."))
    lock_user(referee_id)
    referral = db.session.get(Referral, referral_id, populate_existing=True)
    if referral.status != "pending":
        raise ReferralError(N_("Only friends who haven't scanned yet can be nudged."))
    now = utcnow()
    window_start = now - NUDGE_INTERVAL
    claimed = db.session.execute(
        update(Referral)
        .where(
            Referral.id == referral_id,
            Referral.status == "pending",
            (Referral.last_nudged_at.is_(None)) | (Referral.last_nudged_at <= window_start),
        )
        .values(last_nudged_at=now)
    ).rowcount
    if not claimed:
        raise ReferralError(N_("You already nudged this friend today. Try again tomorrow."))
    referral.last_nudged_at = now
    referee = db.session.get(User, referral.referee_user_id)
    referrer = db.session.get(User, referrer_user_id)
    record_event(
        referee,
        "referral_nudge",
        brand_id=referral.brand_id,
        context={"referral_id": referral.id, "referrer_first_name": referrer.first_name},
    )
    return referral


def referral_summary(user_id, brand_id):
    """The member's code, share link path, and their referrals at the brand with statuses,
    counts and points."""
    user = db.session.get(User, user_id)
    if not user.referral_code:
        ensure_referral_code(user)
    rows = db.session.execute(
        select(Referral, User.first_name)
        .join(User, User.id == Referral.referee_user_id)
        .where(Referral.referrer_user_id == user_id, Referral.brand_id == brand_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()
    nudge_after = utcnow() - NUDGE_INTERVAL
    referrals = [
        {
            "id": referral.id,
            "first_name": first_name,
            "email": referral.email,
            "status": referral.status,
            "created_at": referral.created_at,
            "converted_at": referral.converted_at,
            "points_awarded": referral.points_awarded_to_referrer or 0,
            "can_nudge": referral.status == "pending"
            and (referral.last_nudged_at is None or referral.last_nudged_at <= nudge_after),
        }
        for referral, first_name in rows
    ]
    counts = {status: 0 for status in ("pending", "converted", "expired")}
    for item in referrals:
        counts[item["status"]] += 1
    return {
        "code": user.referral_code,
        "link_path": f"/r/{user.referral_code}",
        "referrals": referrals,
        "counts": counts,
        "points_earned": sum(item["points_awarded"] for item in referrals),
    }
