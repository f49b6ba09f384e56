"""Rank moves and rank entry rewards reach the fake Customer.io with their context."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.customerio.conftest import run_jobs
from webapp.extensions import db
from webapp.loyalty.ledger import grant, lock_member
from webapp.loyalty.program_day import brand_today, day_start
from webapp.models import UserActionLog
from webapp.program_daily import program_daily


@pytest.mark.sqlite_ok
def test_rank_moves_and_the_entry_reward_reach_customerio(cio, make):
    brand = make.brand(settings={"tiers": {"qualifying": "rolling_12_months", "grace_days": 0}})
    make.rank(brand, "silver", 100)
    gift = make.product(brand, points_cost=900, is_limited=True)
    make.rank(brand, "gold", 500, entry_points=250, entry_product_id=gift.id)
    user = make.user(brands=[brand])
    entry = grant(lock_member(user.id, brand.id), 600, "product_scanned")
    db.session.commit()
    run_jobs()

    by_name = {event["name"]: event for event in cio.events()}
    up = by_name["rank_changed"]["data"]["event_context"]
    assert (up["new_rank_key"], up["direction"], up["reason"]) == ("gold", "up", "period_points")
    reward = by_name["tier_reward"]["data"]
    assert (reward["event_context"]["rank_key"], reward["event_context"]["points"]) == ("gold", 250)
    assert reward["event_context"]["product_id"] == gift.id
    assert reward["product_snapshot"]["identity"]["sku"] == gift.sku

    today = brand_today(brand)
    db.session.execute(
        update(UserActionLog)
        .where(UserActionLog.id == entry.log.id)
        .values(created_at=day_start(brand, today - timedelta(days=400)))
    )
    db.session.commit()
    program_daily(brand.id, today)
    run_jobs()
    [down] = [
        event["data"]["event_context"]
        for event in cio.events()
        if event["name"] == "rank_changed" and event["data"]["event_context"]["direction"] == "down"
    ]
    assert (down["old_rank_key"], down["new_rank_key"], down["reason"]) == (
        "gold",
        "silver",
        "requalification",
    )
    assert cio.identifies()[-1]["attributes"]["rank_key"] == "silver"
