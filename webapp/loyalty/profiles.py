"""A member's own profile: editing it, exporting everything we hold, deleting the account."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, inspect, select, update

from webapp.events.outbox import record_delete, record_identify
from webapp.extensions import db
from webapp.loyalty.account_sessions import end_every_session
from webapp.loyalty.accounts import AccountError, unusable_password_hash
from webapp.loyalty.consents import anonymise_consents, change_email_consent, consent_history
from webapp.loyalty.custom_answers import active_fields, check_answers, save_answers
from webapp.loyalty.ledger import lock_user, log_action
from webapp.loyalty.member_compliance import check_phone, set_phone_and_sms
from webapp.loyalty.membership import member_brand_ids
from webapp.models import (
    Brand,
    CustomerIoEventQueue,
    CustomField,
    MemberAiProfile,
    MemberWallet,
    Redemption,
    Referral,
    User,
    UserAchievement,
    UserActionLog,
    UserActionLogArchive,
    UserAiProfile,
    UserCustomFieldValue,
    UserGoal,
    Wishlist,
)
from webapp.timeutil import utcnow

ACCOUNT_DELETED = "the member deleted their account"
PROFILE_FIELDS = ("first_name", "last_name", "phone_number", "marketing_consent", "sms_consent")


def _limit(value, size, label):
    value = (value or "").strip()
    if len(value) > size:
        raise AccountError({label: f"Please keep this under {size} characters."})
    return value or None


def update_profile(
    user_id,
    brand_id,
    *,
    first_name,
    last_name,
    phone_number,
    marketing_consent,
    custom_values,
    sms_consent=False,
    ip_address=None,
):
    """Save the member's names, phone (E.164), consents and answers; logs `profile_updated`
    and a consent event for each consent that changed.

    Once the input is checked the member is locked (and their wallet read fresh), so a
    consent webhook applied at the same moment waits for this choice, or this one for it."""
    fields = active_fields(brand_id)
    clean, errors = check_answers(fields, custom_values or {})
    if errors:
        raise AccountError(errors)
    names = [_limit(first_name, 100, "first_name"), _limit(last_name, 100, "last_name")]
    brand = db.session.get(Brand, brand_id)
    region = db.session.scalar(
        select(MemberWallet.region).where(
            MemberWallet.user_id == user_id, MemberWallet.brand_id == brand_id
        )
    )
    number, errors = check_phone(brand, region, phone_number, sms_consent)
    if errors:
        raise AccountError(errors)
    user = lock_user(user_id)
    db.session.get(MemberWallet, (user_id, brand_id), populate_existing=True)
    user.first_name, user.last_name = names
    set_phone_and_sms(user, brand, number, sms_consent, ip_address=ip_address)
    change_email_consent(user, brand_id, marketing_consent, "profile", ip_address=ip_address)
    save_answers(user.id, fields, clean)
    log_action(
        user,
        "profile_updated",
        brand_id=brand_id,
        action_data={"marketing_consent": bool(marketing_consent)},
    )
    record_identify(user, brand_id=brand_id)
    return user


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(row, skip=()):
    return {
        attr.key: _plain(getattr(row, attr.key))
        for attr in inspect(row).mapper.column_attrs
        if attr.key not in skip
    }


def _rows(model, *where):
    return [_row(row) for row in db.session.scalars(select(model).where(*where))]


def _custom_answers(user_id):
    query = (
        select(CustomField.field_label, CustomField.field_key, UserCustomFieldValue.field_value)
        .join(UserCustomFieldValue, UserCustomFieldValue.custom_field_id == CustomField.id)
        .where(UserCustomFieldValue.user_id == user_id)
    )
    return [
        {"question": label, "key": key, "answer": value}
        for label, key, value in db.session.execute(query)
    ]


def export_member_data(user_id):
    """Everything held about the member, as a JSON-ready dict."""
    user = db.session.get(User, user_id)
    ledger = _rows(UserActionLog, UserActionLog.user_id == user_id) + _rows(
        UserActionLogArchive, UserActionLogArchive.user_id == user_id
    )
    return {
        "exported_at": utcnow().isoformat(),
        "profile": _row(user, skip={"password_hash"}),
        "custom_fields": _custom_answers(user_id),
        "points_ledger": sorted(ledger, key=lambda row: (row["created_at"] or "", row["id"])),
        "wishlist": _rows(Wishlist, Wishlist.user_id == user_id),
        "goals": _rows(UserGoal, UserGoal.user_id == user_id),
        "achievements": _rows(UserAchievement, UserAchievement.user_id == user_id),
        "referrals_made": _rows(Referral, Referral.referrer_user_id == user_id),
        "referred_by": _rows(Referral, Referral.referee_user_id == user_id),
        "redemptions": _rows(Redemption, Redemption.user_id == user_id),
        "wallets": _rows(MemberWallet, MemberWallet.user_id == user_id),
        "ai_profile": _rows(UserAiProfile, UserAiProfile.user_id == user_id),
        "brand_ai_profiles": _rows(MemberAiProfile, MemberAiProfile.user_id == user_id),
        "consent_history": [_row(row) for row in consent_history(user_id)],
    }


def _forget_personal_rows(user_id):
    for model in (UserCustomFieldValue, Wishlist, UserGoal):
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.execute(
        update(Referral).where(Referral.referee_user_id == user_id).values(email=None)
    )


def _member_brands(user):
    """Every brand (Customer.io workspace) the member joined, signed up with or acted in
    (archived ledger rows included)."""
    acted_in = {
        brand_id
        for model in (UserActionLog, UserActionLogArchive)
        for brand_id in db.session.scalars(
            select(model.brand_id)
            .where(model.user_id == user.id, model.brand_id.is_not(None))
            .distinct()
        )
    }
    return sorted({user.signup_brand_id, *acted_in, *member_brand_ids(user.id)} - {None})


def _drop_pending_messages(user_id):
    """Nothing waiting for delivery (or a retry) goes out after the delete: pending rows fail
    with the reason and lose the snapshot that carried the member's email."""
    db.session.execute(
        update(CustomerIoEventQueue)
        .where(
            CustomerIoEventQueue.user_id == user_id,
            CustomerIoEventQueue.status == "pending",
            CustomerIoEventQueue.event_type != "delete",
        )
        .values(
            status="failed", error_message=ACCOUNT_DELETED, event_data={}, processed_at=utcnow()
        )
    )


def delete_account(user_id):
    """Anonymise the member (ledger and referrals stay) and ask Customer.io to forget them;
    the delete is the last thing any workspace hears of them."""
    user = lock_user(user_id)
    now = utcnow()
    anonymise_consents(user.id, user.email, member_brand_ids(user.id))
    user.email = f"deleted-{user.id}@invalid"
    user.first_name = user.last_name = user.phone_number = None
    user.password_hash = unusable_password_hash()
    end_every_session(user)
    user.marketing_consent = False
    user.marketing_consent_updated_at = now
    db.session.execute(
        update(MemberWallet)
        .where(MemberWallet.user_id == user.id)
        .values(
            marketing_consent=False,
            marketing_consent_updated_at=now,
            birth_month=None,
            birth_day=None,
        )
    )
    user.deleted_at = now
    _forget_personal_rows(user.id)
    _drop_pending_messages(user.id)
    for brand_id in _member_brands(user):
        record_delete(user, brand_id=brand_id)
    return user
