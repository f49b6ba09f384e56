"""Human-friendly referral codes, kept in users.referral_code and referral_codes."""

import re
import secrets

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ReferralCode, User

SUFFIX_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _stem(user):
    base = re.sub(r"[^A-Z]", "", (user.first_name or user.email.split("@")[0]).upper())
    return (base or "FRIEND")[:8]


def ensure_referral_code(user):
    """Give `user` a unique code like `SAM-7KQ4` (no-op when one exists); returns it."""
    if user.referral_code:
        return user.referral_code
    while True:
        suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(4))
        code = f"{_stem(user)}-{suffix}"
        taken = db.session.scalar(select(User.id).where(User.referral_code == code))
        if taken is None:
            break
    user.referral_code = code
    db.session.add(ReferralCode(user_id=user.id, code=code))
    db.session.flush()
    return code
