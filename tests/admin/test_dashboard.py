"""Dashboard figures checked against known fixture data."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from tests import factories
from tests.admin.conftest import HOST_A
from webapp.admin import stats
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, MemberAiProfile, Redemption, UserActionLog
from webapp.timeutil import utcnow


def log(user, brand, product, when, action="product_scanned", points=100):
    """A ledger row at `when`."""
    db.session.add(
        UserActionLog(
            user_id=user.id,
            brand_id=brand.id,
            product_id=product.id,
            action_type=action,
            points_awarded=points,
            created_at=when,
        )
    )


def bar_value(html, chart_id, day):
    """The data-value of the bar for `day` in the chart section `chart_id`."""
    section = html.split(f'id="{chart_id}"', 1)[1].split("</section>", 1)[0]
    match = re.search(rf'data-day="{day.isoformat()}" data-value="(\d+)"', section)
    return int(match.group(1))


@pytest.mark.sqlite_ok
def test_dashboard_numbers_match_fixture_data(app, client, world):
    from tests.admin.conftest import sign_in

    with app.app_context():
        brand, other = world.brand_a, world.brand_b
        product = db.session.get(type(factories.product(brand)), world.ids["product_id"])
        reward = factories.product(brand, name="Hoodie", msrp=Decimal("50.00"), points_cost=1000)
        member = factories.user(
            signup_brand_id=brand.id, points_balance=2000, current_rank_key="gold"
        )
        factories.user(signup_brand_id=other.id, points_balance=9999)
        yesterday = utcnow() - timedelta(days=1)
        for _ in range(3):
            log(member, brand, product, yesterday)
        log(member, other, product, yesterday)  # another brand's scan: not counted
        log(member, brand, product, utcnow() - timedelta(days=40))  # outside the window
        db.session.add(
            Redemption(
                user_id=member.id,
                brand_id=brand.id,
                product_id=reward.id,
                points_spent=1000,
                status="fulfilled",
            )
        )
        db.session.add(
            MemberAiProfile(
                user_id=member.id,
                brand_id=brand.id,
                recommended_segment="loyalist",
                churn_probability=Decimal("0.25"),
            )
        )
        for status in ("sent", "sent", "failed"):
            db.session.add(
                CustomerIoEventQueue(
                    user_id=member.id,
                    brand_id=brand.id,
                    event_name="x",
                    event_data={},
                    status=status,
                )
            )
        db.session.commit()
    sign_in(client, world.emails["support"])
    html = client.get("/admin/", base_url=HOST_A).get_data(as_text=True)
    assert bar_value(html, "chart-scans", yesterday.date()) == 3
    assert bar_value(html, "chart-scans", utcnow().date()) == 0
    assert 'id="points-issued">300<' in html  # the 40-day-old scan is outside the 30 days
    assert 'id="points-redeemed">1,000<' in html
    assert 'id="liability-points">2,000<' in html
    assert 'id="liability-dollars">$100.00<' in html  # 2,000 points at $50 per 1,000
    assert 'data-name="Product' in html and 'data-value="3"' in html
    assert 'data-name="Gold" data-value="1"' in html and 'data-name="gold"' not in html
    assert 'data-name="loyalist" data-value="1"' in html and "churn 25%" in html
    assert 'data-name="sent" data-value="2"' in html and 'data-name="failed" data-value="1"' in html


def test_signups_per_day_counts_the_brands_members(app, world):
    with app.app_context():
        today = utcnow()
        for _ in range(2):
            factories.user(signup_brand_id=world.brand_a.id, created_at=today)
        factories.user(signup_brand_id=world.brand_b.id, created_at=today)
        rows = dict(stats.signups_per_day(world.brand_a.id))
    assert rows[today.date()] == 2
    assert len(rows) == stats.DAYS


def test_dashboard_figures_read_the_covering_index(app, world):
    """Per-brand ledger figures must be index-only range reads (timed in bench/dashboard.py)."""
    with app.app_context():
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            pytest.fail("this test runs on MariaDB (the sqlite set does not select it)")
        days = stats.day_range()
        start = stats._start(days)
        issued = select(func.sum(UserActionLog.points_awarded)).where(
            UserActionLog.brand_id == world.brand_a.id,
            UserActionLog.action_type.in_(stats.EARNING_ACTIONS),
            UserActionLog.created_at >= start,
            UserActionLog.points_awarded > 0,
        )
        plan = explain(issued)
    assert plan["key"] == "idx_brand_created"
    assert "Using index" in (plan["Extra"] or "")


def explain(statement):
    """MariaDB's EXPLAIN row for a SELECT, as a dict."""
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    row = db.session.execute(text(f"EXPLAIN {compiled}")).mappings().one()
    return dict(row)
