"""The attributes an identify sends: read from the member at delivery time."""

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ConsentEvent, CustomField, MemberWallet, User, UserCustomFieldValue
from webapp.timeutil import to_unix


def wallet_of(user_id, brand_id):
    """The person's wallet at the brand (from the session when already loaded), else None."""
    if user_id is None or brand_id is None:
        return None
    return db.session.get(MemberWallet, (user_id, brand_id))


def identify_attributes(user_id, brand_id):
    """The member's synced attributes at the brand: that wallet's balance, lifetime and rank,
    that membership's consent (None when the person is gone or not a member of the brand)."""
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        return None
    wallet = wallet_of(user_id, brand_id)
    if wallet is None:
        return None
    attributes = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone_number,
        "created_at": to_unix(user.created_at),
        "points_balance": wallet.points_balance,
        "lifetime_points": wallet.lifetime_points,
        "rank_key": wallet.current_rank_key or "member",
        "marketing_consent": bool(wallet.marketing_consent),
        # Customer.io's reserved attribute: true stops its marketing email to the person.
        "unsubscribed": not wallet.marketing_consent,
        "sms_consent": sms_consent(user_id, brand_id),
        "region": wallet.region,
        "is_guest": bool(user.is_guest),
        "referral_code": user.referral_code,
    }
    attributes.update(custom_field_attributes(user_id, brand_id))
    return attributes


def sms_consent(user_id, brand_id):
    """True when the member's newest SMS consent event at the brand grants it."""
    granted = db.session.scalar(
        select(ConsentEvent.granted)
        .where(
            ConsentEvent.user_id == user_id,
            ConsentEvent.brand_id == brand_id,
            ConsentEvent.channel == "sms",
        )
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    return bool(granted)


def custom_field_attributes(user_id, brand_id):
    """The member's answers to the brand's active custom fields, keyed by field key."""
    rows = db.session.execute(
        select(CustomField.field_key, UserCustomFieldValue.field_value)
        .join(UserCustomFieldValue, UserCustomFieldValue.custom_field_id == CustomField.id)
        .where(
            UserCustomFieldValue.user_id == user_id,
            CustomField.brand_id == brand_id,
            CustomField.is_active.is_(True),
        )
    )
    return {f"custom_{key}": value for key, value in rows}
