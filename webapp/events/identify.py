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
    return identify_attributes_of([user_id], brand_id)[user_id]


def identify_attributes_of(user_ids, brand_id):
    """`identify_attributes` of several members of one brand, {user_id: attributes or None},
    in four statements however many members (a delivery batch's identifies)."""
    user_ids = set(user_ids)
    found = dict.fromkeys(user_ids)
    if brand_id is None or not user_ids:
        return found
    users = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_(user_ids), User.deleted_at.is_(None))
        )
    }
    wallets = {
        wallet.user_id: wallet
        for wallet in db.session.scalars(
            select(MemberWallet).where(
                MemberWallet.user_id.in_(users), MemberWallet.brand_id == brand_id
            )
        )
    }
    members = [user_id for user_id in users if user_id in wallets]
    sms = sms_consents(members, brand_id)
    custom = custom_field_attributes_of(members, brand_id)
    for user_id in members:
        user, wallet = users[user_id], wallets[user_id]
        found[user_id] = {
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
            "sms_consent": sms.get(user_id, False),
            "region": wallet.region,
            "is_guest": bool(user.is_guest),
            "referral_code": user.referral_code,
            **custom.get(user_id, {}),
        }
    return found


def sms_consents(user_ids, brand_id):
    """{user_id: whether their newest SMS consent event at the brand grants it} (members with
    no SMS consent event are left out)."""
    if not user_ids:
        return {}
    newest = {}
    rows = db.session.execute(
        select(ConsentEvent.user_id, ConsentEvent.granted)
        .where(
            ConsentEvent.user_id.in_(user_ids),
            ConsentEvent.brand_id == brand_id,
            ConsentEvent.channel == "sms",
        )
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
    )
    for user_id, granted in rows:
        newest.setdefault(user_id, bool(granted))
    return newest


def custom_field_attributes_of(user_ids, brand_id):
    """{user_id: their answers to the brand's active custom fields, keyed `custom_<key>`}."""
    if not user_ids:
        return {}
    answers = {}
    rows = db.session.execute(
        select(
            UserCustomFieldValue.user_id, CustomField.field_key, UserCustomFieldValue.field_value
        )
        .select_from(CustomField)
        .join(UserCustomFieldValue, UserCustomFieldValue.custom_field_id == CustomField.id)
        .where(
            UserCustomFieldValue.user_id.in_(user_ids),
            CustomField.brand_id == brand_id,
            CustomField.is_active.is_(True),
        )
    )
    for user_id, key, value in rows:
        answers.setdefault(user_id, {})[f"custom_{key}"] = value
    return answers
