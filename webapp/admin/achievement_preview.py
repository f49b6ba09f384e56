"""How many of a brand's members a draft achievement's criteria would unlock right now."""

import operator as operators
from decimal import Decimal

from sqlalchemy import func, or_, select, true, union_all

from webapp.extensions import db
from webapp.loyalty.achievement_metrics import MetricSpec, _condition
from webapp.models import (
    AchievementConfig,
    MemberWallet,
    Product,
    Referral,
    User,
    UserAchievement,
    UserActionLog,
    UserActionLogArchive,
    Wishlist,
)
from webapp.timeutil import utcnow

COMPARE = {
    ">=": operators.ge,
    ">": operators.gt,
    "==": operators.eq,
    "<=": operators.le,
    "<": operators.lt,
}


def qualifying_members(brand_id, criteria):
    """Members of the brand (its wallets, nobody else) whose metric meets `criteria`.

    One grouped query for the metric; None for custom achievements (granted, not measured).
    """
    if criteria.metric == "custom":
        return None
    spec = MetricSpec(criteria.metric, criteria.timeframe, criteria.filters, brand_id)
    values = dict(db.session.execute(_per_member(spec, utcnow())).all())
    members = set(
        db.session.scalars(
            select(MemberWallet.user_id)
            .join(User, User.id == MemberWallet.user_id)
            .where(MemberWallet.brand_id == brand_id, User.deleted_at.is_(None))
        )
    )
    compare, target = COMPARE[criteria.operator], criteria.value
    return sum(1 for user_id in members if compare(Decimal(values.get(user_id) or 0), target))


def _per_member(spec, now):
    if spec.metric in ("scan_count", "purchase_amount"):
        return _scans(spec, now)
    if spec.metric == "referral_count":
        condition = _condition(spec, now, Referral.converted_at, Referral.brand_id)
        return (
            select(Referral.referrer_user_id, func.count())
            .where(Referral.status == "converted", condition)
            .group_by(Referral.referrer_user_id)
        )
    if spec.metric == "wishlist_items":
        condition = _condition(spec, now, Wishlist.added_at, Product.brand_id)
        return (
            select(Wishlist.user_id, func.count())
            .join(Product, Product.id == Wishlist.product_id)
            .where(condition)
            .group_by(Wishlist.user_id)
        )
    return _unlocks(spec, now)


def _scan_rows(model, brand_id):
    return select(model.user_id, model.created_at, model.product_id, model.brand_id).where(
        model.action_type == "product_scanned", model.brand_id == brand_id
    )


def _scans(spec, now):
    scans = union_all(
        _scan_rows(UserActionLog, spec.brand_id), _scan_rows(UserActionLogArchive, spec.brand_id)
    ).subquery("scans")
    amount = func.count() if spec.metric == "scan_count" else func.sum(Product.msrp)
    return (
        select(scans.c.user_id, amount)
        .select_from(scans.outerjoin(Product, Product.id == scans.c.product_id))
        .where(_condition(spec, now, scans.c.created_at, scans.c.brand_id))
        .group_by(scans.c.user_id)
    )


def _unlocks(spec, now):
    since = spec.since(now)
    return (
        select(UserAchievement.user_id, func.count())
        .join(AchievementConfig, AchievementConfig.id == UserAchievement.achievement_config_id)
        .where(
            UserAchievement.completed.is_(True),
            or_(AchievementConfig.brand_id == spec.brand_id, AchievementConfig.brand_id.is_(None)),
            UserAchievement.completed_at >= since if since is not None else true(),
        )
        .group_by(UserAchievement.user_id)
    )
