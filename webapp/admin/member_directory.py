"""Finding a brand's members and gathering what staff see on a member's page."""

from flask import abort
from sqlalchemy import exists, or_, select

from webapp.extensions import db
from webapp.loyalty.achievement_catalog import active_achievements
from webapp.loyalty.personalisation import ai_profile_for
from webapp.loyalty.ranks import rank_name_for
from webapp.models import (
    AchievementConfig,
    Brand,
    CustomerIoEventQueue,
    CustomField,
    MemberWallet,
    Referral,
    User,
    UserAchievement,
    UserActionLog,
    UserCustomFieldValue,
)
from webapp.pagination import paginate

SEARCH_PAGE = 25
LEDGER_PAGE = 50
RECENT_EVENTS = 20
# How the member list can be ordered (the `sort` query argument); the first is the default.
MEMBER_ORDERS = {
    "newest": (MemberWallet.joined_at.desc(), User.id.desc()),
    "email": (User.email, User.id),
    "name": (User.last_name, User.first_name, User.id),
}


def of_brand(brand_id):
    """Members of a brand: people who joined it (a wallet there), nobody else."""
    return exists().where(MemberWallet.user_id == User.id, MemberWallet.brand_id == brand_id)


def _matches(text):
    """Email prefix, referral code, phone, or first/last name prefix."""
    lowered = text.lower()
    if "@" in text:
        return User.email.like(f"{_escape(lowered)}%", escape="\\")
    conditions = [
        User.email.like(f"{_escape(lowered)}%", escape="\\"),
        User.referral_code == text.upper(),
        User.phone_number == text,
    ]
    first, _, last = text.partition(" ")
    if last:
        conditions.append(
            (User.first_name.like(f"{_escape(first)}%", escape="\\"))
            & (User.last_name.like(f"{_escape(last.strip())}%", escape="\\"))
        )
    else:
        conditions.append(User.first_name.like(f"{_escape(text)}%", escape="\\"))
        conditions.append(User.last_name.like(f"{_escape(text)}%", escape="\\"))
    return or_(*conditions)


def _escape(text):
    """`text` with LIKE wildcards escaped, so staff input matches literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_members(brand_id, text, page_number, order="newest"):
    """A page of the brand's members with their wallet there, matching `text` (all of them
    when blank), in `order`."""
    query = select(User, MemberWallet).join(
        MemberWallet, (MemberWallet.user_id == User.id) & (MemberWallet.brand_id == brand_id)
    )
    if text:
        query = query.where(_matches(text))
    ordering = MEMBER_ORDERS.get(order, MEMBER_ORDERS["newest"])
    return paginate(query.order_by(*ordering), page_number, SEARCH_PAGE)


def member_or_404(user_id, brand_id):
    """The user when they are a member of the brand, else 404."""
    user = db.session.get(User, user_id)
    if user is None or db.session.get(MemberWallet, (user_id, brand_id)) is None:
        abort(404)
    return user


def custom_achievement_choices(brand_id):
    """(key, name) of the brand's active custom achievements, for the grant form."""
    return [
        (a.key, a.name) for a in active_achievements(brand_id) if a.achievement_type == "custom"
    ]


def member_overview(user, brand_id, ledger_page):
    """Everything the member page shows: answers, ledger page, unlocks, referrals, events."""
    wallet = db.session.get(MemberWallet, (user.id, brand_id))
    return {
        "member": user,
        "wallet": wallet,
        "rank_name": rank_name_for(db.session.get(Brand, brand_id), wallet.current_rank_key),
        "answers": db.session.execute(
            select(CustomField.field_label, UserCustomFieldValue.field_value)
            .join(UserCustomFieldValue, UserCustomFieldValue.custom_field_id == CustomField.id)
            .where(UserCustomFieldValue.user_id == user.id, CustomField.brand_id == brand_id)
            .order_by(CustomField.field_order, CustomField.id)
        ).all(),
        "ledger": paginate(
            select(UserActionLog)
            .where(UserActionLog.user_id == user.id, UserActionLog.brand_id == brand_id)
            .order_by(UserActionLog.created_at.desc(), UserActionLog.id.desc()),
            ledger_page,
            LEDGER_PAGE,
        ),
        "unlocked": db.session.execute(
            select(AchievementConfig.name, UserAchievement.completed_at)
            .join(UserAchievement, UserAchievement.achievement_config_id == AchievementConfig.id)
            .where(
                UserAchievement.user_id == user.id,
                UserAchievement.completed.is_(True),
                or_(AchievementConfig.brand_id == brand_id, AchievementConfig.brand_id.is_(None)),
            )
            .order_by(UserAchievement.completed_at.desc())
        ).all(),
        "referrals": db.session.scalars(
            select(Referral)
            .where(Referral.referrer_user_id == user.id, Referral.brand_id == brand_id)
            .order_by(Referral.created_at.desc())
        ).all(),
        "ai_profile": ai_profile_for(user.id, brand_id),
        "events": db.session.scalars(
            select(CustomerIoEventQueue)
            .where(
                CustomerIoEventQueue.user_id == user.id,
                CustomerIoEventQueue.brand_id == brand_id,
            )
            .order_by(CustomerIoEventQueue.id.desc())
            .limit(RECENT_EVENTS)
        ).all(),
        "achievement_choices": custom_achievement_choices(brand_id),
    }
