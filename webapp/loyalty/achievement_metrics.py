"""The numbers achievements are measured by: one aggregate query per source, however many.

Every (metric, timeframe, filters, brand) an evaluation needs becomes one column of a single
conditional aggregate (`SUM(CASE WHEN ... THEN ... END)`) over its source table, so the number
of statements does not grow with the number of achievements or with the member's history.
"""

import functools
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    true,
    union_all,
)

from webapp.extensions import db
from webapp.loyalty.achievement_schemas import Filters
from webapp.models import Product, Referral, UserActionLog, UserActionLogArchive, Wishlist

TIMEFRAMES = {
    "all_time": None,
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "365d": timedelta(days=365),
}
SCAN_METRICS = ("scan_count", "purchase_amount")


@dataclass(frozen=True)
class MetricSpec:
    """One number to measure. `brand_id` None counts across every brand (global achievements)."""

    metric: str
    timeframe: str = "all_time"
    filters: Filters | None = None
    brand_id: int | None = None

    def since(self, now):
        """The earliest time that counts (None for all time)."""
        span = TIMEFRAMES[self.timeframe]
        return None if span is None else now - span


def measure(user_id, specs, now):
    """{spec: Decimal} for the scan, referral and wishlist specs (one query per source).

    The changes of the caller's transaction are flushed first: an aggregate over a subquery
    is not an ORM statement and would not flush them itself (a scan's own row would be
    missing from its count). Nothing pending, nothing sent."""
    db.session.flush()
    specs = set(specs)
    values = {}
    scans = [s for s in specs if s.metric in SCAN_METRICS]
    referrals = [s for s in specs if s.metric == "referral_count"]
    wishlist = [s for s in specs if s.metric == "wishlist_items"]
    if scans:
        values.update(_measure_scans(user_id, scans, now))
    if referrals:
        values.update(_measure_referrals(user_id, referrals, now))
    if wishlist:
        values.update(_measure_wishlist(user_id, wishlist, now))
    return values


def count_unlocked(spec, unlocked, now):
    """The `achievement_unlocked` metric from (completed_at, brand_id) pairs already loaded."""
    since = spec.since(now)
    return Decimal(
        sum(
            1
            for completed_at, brand_id in unlocked
            if (since is None or (completed_at and completed_at >= since))
            and (spec.brand_id is None or brand_id in (None, spec.brand_id))
        )
    )


def _metric_totals(specs, statement, parameters=None):
    """Run one aggregate `statement`: its columns as Decimals, keyed by metric spec."""
    row = db.session.execute(statement, parameters or {}).one()
    return {spec: Decimal(row[i] or 0) for i, spec in enumerate(specs)}


def _scan_log(user_id):
    """The member's scans, archive included (a year-old scan still counts for all time)."""
    live = select(UserActionLog.created_at, UserActionLog.product_id, UserActionLog.brand_id).where(
        UserActionLog.user_id == user_id, UserActionLog.action_type == "product_scanned"
    )
    archived = select(
        UserActionLogArchive.created_at,
        UserActionLogArchive.product_id,
        UserActionLogArchive.brand_id,
    ).where(
        UserActionLogArchive.user_id == user_id,
        UserActionLogArchive.action_type == "product_scanned",
    )
    return union_all(live, archived).subquery("scans")


def _measure_scans(user_id, specs, now):
    ordered, statement = scan_aggregate_for(frozenset(specs))
    parameters = {"scan_user_id": user_id}
    for spec in ordered:
        since = spec.since(now)
        if since is not None:
            parameters[f"since_{spec.timeframe}"] = since
    return _metric_totals(ordered, statement, parameters)


@functools.lru_cache(maxsize=512)
def scan_aggregate_for(specs):
    """(the specs in column order, the aggregate over a member's scans) for a set of specs,
    built once: the member and the windows' starts are bound when it runs, so every scan of
    a brand reuses one statement (building it, with 50 achievements, cost ~1 ms a scan)."""
    ordered = tuple(sorted(specs, key=repr))
    scans = _scan_log(bindparam("scan_user_id"))
    columns = []
    for spec in ordered:
        windowed = TIMEFRAMES[spec.timeframe] is not None
        since = bindparam(f"since_{spec.timeframe}") if windowed else None
        condition = _condition(spec, since, scans.c.created_at, scans.c.brand_id)
        amount = literal(1) if spec.metric == "scan_count" else Product.msrp
        columns.append(_sum_when(condition, amount))
    statement = select(*columns).select_from(
        scans.outerjoin(Product, Product.id == scans.c.product_id)
    )
    return ordered, statement


def _measure_referrals(user_id, specs, now):
    columns = [
        _sum_when(
            _condition(spec, spec.since(now), Referral.converted_at, Referral.brand_id),
            literal(1),
        )
        for spec in specs
    ]
    statement = select(*columns).where(
        Referral.referrer_user_id == user_id, Referral.status == "converted"
    )
    return _metric_totals(specs, statement)


def _measure_wishlist(user_id, specs, now):
    columns = [
        _sum_when(
            _condition(spec, spec.since(now), Wishlist.added_at, Product.brand_id), literal(1)
        )
        for spec in specs
    ]
    statement = (
        select(*columns)
        .select_from(Wishlist)
        .join(Product, Product.id == Wishlist.product_id)
        .where(Wishlist.user_id == user_id)
    )
    return _metric_totals(specs, statement)


def _sum_when(condition, amount):
    return func.coalesce(func.sum(case((condition, amount), else_=0)), 0)


def _condition(spec, since, time_column, brand_column):
    """The rows that count for `spec`: from `since` (a time or a bound parameter; None for all
    time), at its brand, matching its product filters."""
    conditions = []
    if since is not None:
        conditions.append(time_column >= since)
    if spec.brand_id is not None:
        conditions.append(brand_column == spec.brand_id)
    conditions.extend(_product_filters(spec.filters))
    return and_(*conditions) if conditions else true()


def _product_filters(filters):
    if filters is None:
        return []
    conditions = [
        getattr(Product, name) == value
        for name in ("product_form", "product_line", "strain_type")
        if (value := getattr(filters, name)) is not None
    ]
    if filters.tag is not None:
        conditions.append(_has_tag(filters.tag))
    return conditions


def _has_tag(tag):
    """`products.tags` (a JSON list stored as text on both engines) holds `tag`."""
    needle = json.dumps(tag).replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return cast(Product.tags, String).like(f"%{needle}%", escape="!")
