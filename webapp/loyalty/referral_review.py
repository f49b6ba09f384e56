"""Referral self-dealing: one phone number never refers itself, and referrals between
accounts seen on one network or device are listed for staff review."""

import phonenumbers
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from webapp.brand_settings import DEFAULTS, settings_of
from webapp.extensions import db
from webapp.models import Referral, User, UserActionLog

DEFAULT_PHONE_REGION = DEFAULTS.referral.phone_region
REVIEW_LIMIT = 200


def e164(raw, region=DEFAULT_PHONE_REGION):
    """The phone number in E.164 (+15551234567), or None when it is blank or not a number."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_region(brand):
    """The region members' local numbers are read in (`settings.referral.phone_region`)."""
    return settings_of(brand).referral.phone_region


def same_phone(first, second, region=DEFAULT_PHONE_REGION):
    """True when two people have the same phone number, however each one typed it."""
    number = e164(first.phone_number, region)
    return number is not None and number == e164(second.phone_number, region)


def shared_network_referrals(brand_id):
    """The brand's referrals whose two members were seen on one IP address (one device when
    the browser was the same too), newest first, with what they share."""
    referrer_seen, referee_seen = aliased(UserActionLog), aliased(UserActionLog)
    referee = aliased(User)
    referrer = aliased(User)
    same_device = func.max(case((referee_seen.user_agent == referrer_seen.user_agent, 1), else_=0))
    rows = db.session.execute(
        select(
            Referral,
            referrer.email,
            referee.email,
            referee_seen.ip_address,
            same_device,
        )
        .join(referrer, referrer.id == Referral.referrer_user_id)
        .join(referee, referee.id == Referral.referee_user_id)
        .join(referrer_seen, referrer_seen.user_id == Referral.referrer_user_id)
        .join(
            referee_seen,
            and_(
                referee_seen.user_id == Referral.referee_user_id,
                referee_seen.ip_address == referrer_seen.ip_address,
            ),
        )
        .where(Referral.brand_id == brand_id, referee_seen.ip_address.is_not(None))
        .group_by(Referral.id, referrer.email, referee.email, referee_seen.ip_address)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(REVIEW_LIMIT)
    ).all()
    return [
        {
            "referral": referral,
            "referrer_email": referrer_email,
            "referee_email": referee_email,
            "ip_address": ip_address,
            "shared": "same device" if device else "same network",
        }
        for referral, referrer_email, referee_email, ip_address, device in rows
    ]
