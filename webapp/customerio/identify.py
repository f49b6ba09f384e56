"""The attributes an identify sends: read from the member at delivery time."""

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CustomField, User, UserCustomFieldValue
from webapp.timeutil import to_unix


def identify_attributes(user_id, brand_id):
    """The member's synced attributes (None when the member no longer exists)."""
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        return None
    attributes = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone_number,
        "created_at": to_unix(user.created_at),
        "points_balance": user.points_balance or 0,
        "lifetime_points": user.lifetime_points or 0,
        "rank_key": user.current_rank_key or "member",
        "marketing_consent": bool(user.marketing_consent),
        "is_guest": bool(user.is_guest),
        "referral_code": user.referral_code,
    }
    attributes.update(custom_field_attributes(user_id, brand_id))
    return attributes


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
