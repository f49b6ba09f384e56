"""Dashboard figures: each a grouped query on an indexed brand column, fast at millions of rows."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.loyalty.expiry import expiring_within
from webapp.loyalty.program_day import brand_today
from webapp.loyalty.ranks import ladder
from webapp.models import (
    Brand,
    CustomerIoEventQueue,
    MemberAiProfile,
    MemberWallet,
    Product,
    Redemption,
    User,
    UserActionLog,
)
from webapp.models.events import ACTION_TYPES, OUTBOX_STATUSES
from webapp.timeutil import utcnow

DAYS = 30
# Ledger rows that can add points (refunds give back what was spent: not newly issued).
EARNING_ACTIONS = tuple(a for a in ACTION_TYPES if a not in ("reward_redeemed", "points_refunded"))


def day_range(days=DAYS):
    """The last `days` dates, oldest first, ending today (UTC)."""
    today = utcnow().date()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _per_day(rows, days):
    # DATE() comes back as a date on MariaDB and as 'YYYY-MM-DD' text on SQLite.
    counts = {str(day): int(count) for day, count in rows}
    return [(day, counts.get(day.isoformat(), 0)) for day in days]


def scans_per_day(brand_id, days=None):
    """(date, scans) for the last 30 days, from idx_brand_created (brand, type, created_at)."""
    days = days or day_range()
    day = func.date(UserActionLog.created_at)
    rows = db.session.execute(
        select(day, func.count())
        .where(
            UserActionLog.brand_id == brand_id,
            UserActionLog.action_type == "product_scanned",
            UserActionLog.created_at >= _start(days),
        )
        .group_by(day)
    )
    return _per_day(rows, days)


def signups_per_day(brand_id, days=None):
    """(date, new members) for the last 30 days, from idx_brand_joined (brand, joined_at)."""
    days = days or day_range()
    day = func.date(MemberWallet.joined_at)
    rows = db.session.execute(
        select(day, func.count())
        .where(MemberWallet.brand_id == brand_id, MemberWallet.joined_at >= _start(days))
        .group_by(day)
    )
    return _per_day(rows, days)


def _start(days):
    return datetime.combine(days[0], time.min)


def points_flow(brand_id, days=None):
    """Points issued (positive ledger rows) and redeemed (redemptions) in the last 30 days.

    Naming the action types lets the range scan use idx_brand_created (brand, type, created_at)
    instead of reading every ledger row of the brand.
    """
    days = days or day_range()
    issued = db.session.scalar(
        select(func.coalesce(func.sum(UserActionLog.points_awarded), 0)).where(
            UserActionLog.brand_id == brand_id,
            UserActionLog.action_type.in_(EARNING_ACTIONS),
            UserActionLog.created_at >= _start(days),
            UserActionLog.points_awarded > 0,
        )
    )
    redeemed = db.session.scalar(
        select(func.coalesce(func.sum(Redemption.points_spent), 0)).where(
            Redemption.brand_id == brand_id,
            Redemption.status != "cancelled",
            Redemption.created_at >= _start(days),
        )
    )
    return int(issued), int(redeemed)


def liability(brand_id):
    """Outstanding points in the brand's wallets, and their MSRP value at the rewards' rate."""
    points = int(
        db.session.scalar(
            select(func.coalesce(func.sum(MemberWallet.points_balance), 0))
            .join(User, User.id == MemberWallet.user_id)
            .where(MemberWallet.brand_id == brand_id, User.deleted_at.is_(None))
        )
    )
    msrp, cost = db.session.execute(
        select(func.sum(Product.msrp), func.sum(Product.points_cost)).where(
            Product.brand_id == brand_id, Product.is_active.is_(True), Product.points_cost > 0
        )
    ).one()
    dollars_per_point = Decimal(msrp) / Decimal(cost) if msrp and cost else Decimal(0)
    return points, (points * dollars_per_point).quantize(Decimal("0.01"))


def top_products(brand_id, days=None, limit=5):
    """(product name, scans) of the most scanned products in the last 30 days."""
    days = days or day_range()
    scans = func.count().label("scans")
    counted = (
        select(UserActionLog.product_id, scans)
        .where(
            UserActionLog.brand_id == brand_id,
            UserActionLog.action_type == "product_scanned",
            UserActionLog.created_at >= _start(days),
        )
        .group_by(UserActionLog.product_id)
        .order_by(scans.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(Product.name, counted.c.scans)
        .join(counted, counted.c.product_id == Product.id)
        .order_by(counted.c.scans.desc(), Product.name)
    )
    return [(name, int(count)) for name, count in rows]


def rank_distribution(brand_id):
    """(rank key, members) of the brand's members, on the brand's own ladder."""
    rows = db.session.execute(
        select(MemberWallet.current_rank_key, func.count())
        .join(User, User.id == MemberWallet.user_id)
        .where(MemberWallet.brand_id == brand_id, User.deleted_at.is_(None))
        .group_by(MemberWallet.current_rank_key)
    )
    steps = ladder(brand_id)
    counts = dict.fromkeys((step.key for step in steps), 0)
    for key, count in rows:
        counts[key if key in counts else steps[0].key] += int(count)
    return [(step.name, counts[step.key]) for step in steps]


def segments(brand_id):
    """(segment, members, average churn probability) from the brand's own predictions."""
    rows = db.session.execute(
        select(
            MemberAiProfile.recommended_segment,
            func.count(),
            func.avg(MemberAiProfile.churn_probability),
        )
        .where(MemberAiProfile.brand_id == brand_id)
        .group_by(MemberAiProfile.recommended_segment)
    )
    return [
        (segment or "unassigned", int(count), float(churn or 0)) for segment, count, churn in rows
    ]


def outbox_health(brand_id):
    """(status, events) of the brand's Customer.io outbox, every status listed."""
    rows = dict(
        db.session.execute(
            select(CustomerIoEventQueue.status, func.count())
            .where(CustomerIoEventQueue.brand_id == brand_id)
            .group_by(CustomerIoEventQueue.status)
        ).all()
    )
    return [(status, int(rows.get(status, 0))) for status in OUTBOX_STATUSES]


def summary(brand_id):
    """Every dashboard figure for the brand."""
    days = day_range()
    issued, redeemed = points_flow(brand_id, days)
    points, dollars = liability(brand_id)
    return {
        "scans": scans_per_day(brand_id, days),
        "signups": signups_per_day(brand_id, days),
        "issued": issued,
        "redeemed": redeemed,
        "liability_points": points,
        "liability_dollars": dollars,
        "top_products": top_products(brand_id, days),
        "ranks": rank_distribution(brand_id),
        "segments": segments(brand_id),
        "outbox": outbox_health(brand_id),
        "expiring_points": expiring_points(brand_id),
    }


def expiring_points(brand_id, days=30):
    """Points of the brand's members that expire in the next `days` days (0 without expiry)."""
    brand = db.session.get(Brand, brand_id)
    return expiring_within(brand, brand_today(brand), days)
