"""The achievement aggregate over a member's scan days (`member_scan_days`, kept by triggers)
measures exactly what an aggregate over every scan would, however the scans got there."""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select, update

from tests.loyalty.test_query_bound import statements_of
from webapp.extensions import db
from webapp.loyalty.achievement_metrics import TIMEFRAMES, MetricSpec, measure
from webapp.loyalty.achievement_schemas import Filters
from webapp.models import MemberScanDay, UserActionLog, UserActionLogArchive
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok

FILTERS = (
    None,
    Filters(product_form="Vape"),
    Filters(strain_type="Indica"),
    Filters(tag="limited"),
    Filters(product_line="Gold"),
)


def every_spec(brands):
    return [
        MetricSpec(metric, timeframe, filters, brand_id)
        for metric in ("scan_count", "purchase_amount")
        for timeframe in TIMEFRAMES
        for filters in FILTERS
        for brand_id in (None, *brands)
    ]


def expected(spec, scans, products, now):
    """`spec` measured by hand over every scan (log and archive alike)."""
    since = spec.since(now)
    total = Decimal(0)
    for created_at, brand_id, product_id in scans:
        product = products[product_id]
        if since is not None and created_at < since:
            continue
        if spec.brand_id is not None and brand_id != spec.brand_id:
            continue
        wanted = spec.filters
        if wanted is not None and not (
            (wanted.product_form is None or product.product_form == wanted.product_form)
            and (wanted.product_line is None or product.product_line == wanted.product_line)
            and (wanted.strain_type is None or product.strain_type == wanted.strain_type)
            and (wanted.tag is None or wanted.tag in (product.tags or []))
        ):
            continue
        total += 1 if spec.metric == "scan_count" else product.msrp
    return total


def scans_of(user_id):
    """(created_at, brand_id, product_id) of the member's scans, live and archived."""
    return [
        tuple(row)
        for model in (UserActionLog, UserActionLogArchive)
        for row in db.session.execute(
            select(model.created_at, model.brand_id, model.product_id).where(
                model.user_id == user_id, model.action_type == "product_scanned"
            )
        )
    ]


def two_brands_of_products(make):
    brands = [make.brand(), make.brand()]
    products = [
        make.product(brand, **values)
        for brand in brands
        for values in (
            {"product_form": "Vape", "strain_type": "Indica", "msrp": Decimal("12.50")},
            {"product_form": "Flower", "product_line": "Gold", "tags": ["limited", "new"]},
            {"product_form": "Edible", "strain_type": "Sativa", "msrp": Decimal("7.25")},
        )
    ]
    return brands, products


def edge_times(now):
    """Scans on and around every window's first moment, and spread over two years."""
    times = []
    for span in TIMEFRAMES.values():
        if span is None:
            continue
        since = now - span
        times += [since, since + timedelta(microseconds=1), since - timedelta(seconds=1)]
        midnight = since.replace(hour=0, minute=0, second=0, microsecond=0)
        times += [midnight, midnight + timedelta(days=1), midnight - timedelta(microseconds=1)]
    chance = random.Random(7)
    times += [now - timedelta(minutes=chance.randrange(0, 730 * 24 * 60)) for _ in range(150)]
    return times


def test_every_metric_window_filter_and_brand_matches_a_count_of_every_scan(make):
    brands, products = two_brands_of_products(make)
    user = make.user(brands=brands)
    now = utcnow()
    chance = random.Random(11)
    rows = []
    for n, when in enumerate(edge_times(now)):
        product = chance.choice(products)
        rows.append(
            {
                "id": 50_000_000 + n,
                "user_id": user.id,
                "action_type": "product_scanned",
                "product_id": product.id,
                "brand_id": product.brand_id,
                "points_awarded": 10,
                "created_at": when,
            }
        )
    # a third straight into the archive (a migrated history), the rest through the ledger
    db.session.execute(insert(UserActionLogArchive), rows[::3])
    db.session.execute(insert(UserActionLog), [r for n, r in enumerate(rows) if n % 3])
    # rows that are not scans, or carry no product, count nowhere
    not_counted = {"user_id": user.id, "brand_id": brands[0].id, "points_awarded": 5}
    db.session.add(
        UserActionLog(action_type="reward_redeemed", product_id=products[0].id, **not_counted)
    )
    db.session.add(UserActionLog(action_type="product_scanned", **not_counted))
    db.session.commit()
    check_every_spec(user, brands, products, now)

    # scans move in time, between brands' products, and go: the days follow
    moved = db.session.scalars(
        select(UserActionLog.id).where(UserActionLog.user_id == user.id).limit(20)
    ).all()
    db.session.execute(
        update(UserActionLog)
        .where(UserActionLog.id.in_(moved[:10]))
        .values(created_at=now - timedelta(days=2, hours=3))
    )
    db.session.execute(
        update(UserActionLog)
        .where(UserActionLog.id.in_(moved[10:15]))
        .values(product_id=products[-1].id, brand_id=products[-1].brand_id)
    )
    db.session.execute(delete(UserActionLog).where(UserActionLog.id.in_(moved[15:])))
    db.session.execute(delete(UserActionLogArchive).where(UserActionLogArchive.id == rows[0]["id"]))
    db.session.commit()
    check_every_spec(user, brands, products, now)


def check_every_spec(user, brands, products, now):
    by_id = {product.id: product for product in products}
    scans = [scan for scan in scans_of(user.id) if scan[2] is not None]
    specs = every_spec([brand.id for brand in brands])
    measured = measure(user.id, specs, now)
    wrong = {
        spec: (measured[spec], want)
        for spec in specs
        if measured[spec] != (want := expected(spec, scans, by_id, now))
    }
    assert wrong == {}
    assert measured[MetricSpec("scan_count")] == len(scans)


def test_archiving_a_scan_moves_it_without_changing_any_count(make):
    from webapp.archive import PLANS, archive_table

    brands, products = two_brands_of_products(make)
    user = make.user(brands=brands)
    now = utcnow()
    for days in (800, 500, 366, 364, 30, 0):
        db.session.add(
            UserActionLog(
                user_id=user.id,
                action_type="product_scanned",
                brand_id=brands[0].id,
                product_id=products[days % 3].id,
                points_awarded=1,
                created_at=now - timedelta(days=days),
            )
        )
    db.session.commit()
    specs = every_spec([brand.id for brand in brands])
    before = measure(user.id, specs, now)
    days_before = scan_days(user.id)
    assert archive_table(PLANS[0], now=now) == 3
    assert measure(user.id, specs, now) == before
    assert scan_days(user.id) == days_before
    assert before[MetricSpec("scan_count")] == 6


def scan_days(user_id):
    db.session.expire_all()
    return {
        (row.day, row.brand_id, row.product_id): row.scans
        for row in db.session.scalars(select(MemberScanDay).where(MemberScanDay.user_id == user_id))
        if row.scans
    }


def test_a_scan_through_the_rules_counts_on_its_day(make):
    from webapp.loyalty.scan import scan_code

    brands, products = two_brands_of_products(make)
    user = make.user(brands=brands)
    for _ in range(3):
        code = make.scan_code(products[0]).code
        assert scan_code(user.id, code, brand_id=brands[0].id).outcome == "awarded"
    db.session.commit()
    assert scan_days(user.id) == {(utcnow().date(), brands[0].id, products[0].id): 3}


def test_the_aggregate_reads_days_and_the_windows_first_days_only(make):
    """A long history costs the aggregate its days, not its scans: 2,000 scans over 20 days
    are read as 20 day rows and the scans of the windows' first days."""
    brands, products = two_brands_of_products(make)
    user = make.user(brands=brands)
    now = utcnow()
    history = [
        {
            "user_id": user.id,
            "action_type": "product_scanned",
            "product_id": products[0].id,
            "brand_id": brands[0].id,
            "points_awarded": 1,
            "created_at": now - timedelta(days=10 + n % 20, minutes=n % 600),
        }
        for n in range(2000)
    ]
    db.session.execute(insert(UserActionLog), history)
    db.session.commit()
    assert sum(scan_days(user.id).values()) == 2000
    assert len(scan_days(user.id)) <= 21
    specs = [
        MetricSpec("scan_count"),
        MetricSpec("scan_count", "7d"),
        MetricSpec("scan_count", "30d"),
    ]
    user_id = user.id
    sent = statements_of(lambda: measure(user_id, specs, now))
    assert len(sent) == 1 and "member_scan_days" in sent[0]
    measured = measure(user.id, specs, now)
    assert measured[MetricSpec("scan_count")] == 2000
    assert measured[MetricSpec("scan_count", "7d")] == 0
    assert measured[MetricSpec("scan_count", "30d")] == sum(
        1 for row in history if row["created_at"] >= now - timedelta(days=30)
    )
