"""The birthday bonus and a recall's reversal reach the fake Customer.io as their events."""

from datetime import date

import pytest

from tests.customerio.conftest import run_jobs
from webapp.extensions import db
from webapp.loyalty.birthdays import set_birthday
from webapp.loyalty.recalls import request_reversal, reverse_member
from webapp.loyalty.scan import scan_code
from webapp.models import CodeBatch
from webapp.program_daily import program_daily


def delivered(cio, name):
    return [event for event in cio.events() if event["name"] == name]


@pytest.mark.sqlite_ok
def test_the_birthday_bonus_event_is_delivered(cio, make):
    brand = make.brand(settings={"birthday": {"bonus_points": 75}})
    member = make.user(brands=[brand])
    set_birthday(member.id, brand.id, 3, 14)
    db.session.commit()
    program_daily(brand.id, date(2026, 3, 14))
    run_jobs()
    [event] = delivered(cio, "birthday_bonus")
    context = event["data"]["event_context"]
    assert (context["points_awarded"], context["year"], context["brand_id"]) == (75, 2026, brand.id)
    assert event["data"]["user_snapshot"]["economy"]["points_balance"] == 75


@pytest.mark.sqlite_ok
def test_the_points_reversed_event_is_delivered_with_the_product(cio, make):
    brand = make.brand()
    product = make.product(brand, points_award=120)
    batch = CodeBatch(brand_id=brand.id, product_id=product.id, quantity=1, status="done")
    db.session.add(batch)
    db.session.commit()
    member = make.user(brands=[brand])
    code = make.scan_code(product, batch_id=batch.id).code
    assert scan_code(member.id, code, brand_id=brand.id).outcome == "awarded"
    assert request_reversal(batch.id)
    db.session.commit()
    reverse_member(batch, member.id)
    db.session.commit()
    run_jobs()
    [event] = delivered(cio, "points_reversed")
    context = event["data"]["event_context"]
    assert (context["points_reversed"], context["shortfall"], context["batch_id"]) == (
        120,
        0,
        batch.id,
    )
    assert event["data"]["product_snapshot"]["identity"]["id"] == product.id
