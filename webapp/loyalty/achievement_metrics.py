"""The numbers achievements are measured by: one aggregate query per source, however many.

Every (metric, timeframe, filters, brand) an evaluation needs becomes one column of a single
conditional aggregate (`SUM(CASE WHEN ... THEN ... END)`) over its source table, so the number
of statements does not grow with the number of achievements or with the member's history.
"""

import functools
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import (
    Date,
    DateTime,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)

from webapp.extensions import db
from webapp.loyalty.achievement_schemas import Filters
from webapp.models import (
    MemberScanDay,
    Product,
    Referral,
    UserActionLog,
    UserActionLogArchive,
    Wishlist,
)

TIMEFRAMES = {
    "all_time": None,
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "365d": timedelta(days=365),
}
SCAN_METRICS = ("scan_count", "purchase_amount")
SCAN_TABLES = (UserActionLog, UserActionLogArchive)


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


def _scan_rows(user_id, timeframes):
    """The member's scans, archive included (a year-old scan still counts for all time), as
    rows of `n` scans: their days (`MemberScanDay`, `created_at` NULL), and, for each window
    of `timeframes`, the scans themselves on the day it starts (`day` NULL), which counts
    only from the window's first moment. So the aggregate reads the member's days and two
    partial days, never their whole history."""
    days = select(
        MemberScanDay.day.label("day"),
        cast(null(), DateTime).label("created_at"),
        MemberScanDay.brand_id.label("brand_id"),
        MemberScanDay.product_id.label("product_id"),
        MemberScanDay.scans.label("n"),
    ).where(MemberScanDay.user_id == user_id)
    if not timeframes:
        return days.subquery("scans")
    edges = [_edge_scans(table, user_id, timeframes) for table in SCAN_TABLES]
    return union_all(days, *edges).subquery("scans")


def _edge_scans(table, user_id, timeframes):
    """The scans in `table` on the first day of each window (`idx_user_scans`: the index
    alone), as `MemberScanDay` counts them (with a brand and a product)."""
    on_first_days = or_(
        *(
            and_(
                table.created_at >= _since(timeframe), table.created_at < _first_day_end(timeframe)
            )
            for timeframe in timeframes
        )
    )
    return select(
        cast(null(), Date).label("day"),
        table.created_at.label("created_at"),
        table.brand_id.label("brand_id"),
        table.product_id.label("product_id"),
        literal(1).label("n"),
    ).where(
        table.user_id == user_id,
        table.action_type == "product_scanned",
        table.brand_id.is_not(None),
        table.product_id.is_not(None),
        on_first_days,
    )


def _since(timeframe):
    return bindparam(f"since_{timeframe}", type_=DateTime)


def _whole_days_from(timeframe):
    return bindparam(f"days_from_{timeframe}", type_=Date)


def _first_day_end(timeframe):
    return bindparam(f"first_day_end_{timeframe}", type_=DateTime)


def _in_window(scans, timeframe):
    """A row of `_scan_rows` inside the window: a whole day after its first, or a scan on
    that first day from the window's first moment."""
    return or_(
        scans.c.day >= _whole_days_from(timeframe),
        and_(
            scans.c.created_at >= _since(timeframe),
            scans.c.created_at < _first_day_end(timeframe),
        ),
    )


def _windows(specs):
    """The timeframes of `specs` that are windows (not all time), in a fixed order."""
    return sorted({spec.timeframe for spec in specs if TIMEFRAMES[spec.timeframe]})


def _window_parameters(timeframe, now):
    """The bound values of a window (`_scan_rows`, `_in_window`) ending at `now`."""
    since = now - TIMEFRAMES[timeframe]
    days_from = since.date() + timedelta(days=1)
    return {
        f"since_{timeframe}": since,
        f"days_from_{timeframe}": days_from,
        f"first_day_end_{timeframe}": datetime.combine(days_from, time()),
    }


def _measure_scans(user_id, specs, now):
    ordered, statement = scan_aggregate_for(frozenset(specs))
    parameters = {"scan_user_id": user_id}
    for timeframe in _windows(ordered):
        parameters.update(_window_parameters(timeframe, now))
    return _metric_totals(ordered, statement, parameters)


@functools.lru_cache(maxsize=512)
def scan_aggregate_for(specs):
    """(the specs in column order, the aggregate over a member's scans) for a set of specs,
    built once: the member and the windows' bounds are bound when it runs, so every scan of
    a brand reuses one statement (building it, with 50 achievements, cost ~1 ms a scan)."""
    ordered = tuple(sorted(specs, key=repr))
    scans = _scan_rows(bindparam("scan_user_id"), _windows(ordered))
    columns = []
    for spec in ordered:
        windowed = TIMEFRAMES[spec.timeframe] is not None
        window = _in_window(scans, spec.timeframe) if windowed else scans.c.day.is_not(None)
        condition = and_(window, _condition(spec, None, None, scans.c.brand_id))
        amount = scans.c.n if spec.metric == "scan_count" else scans.c.n * Product.msrp
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
