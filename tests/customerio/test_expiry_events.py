"""The daily run's expiry events reach the fake Customer.io: `points_expired` with what was
taken, `points_expiring` with the amount and the date."""

from datetime import date, datetime

import pytest

from tests.customerio.conftest import run_jobs
from tests.program.test_expiry import earn, expiring_brand
from webapp import program_daily as daily


@pytest.mark.sqlite_ok
def test_expiry_and_its_reminder_reach_customerio(cio, make):
    brand = expiring_brand("rolling", months=1, reminder_days=[7])
    person = make.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 3, 12))  # expires on 3 February
    earn(person, brand, 60, datetime(2026, 1, 10, 12))  # expires on 10 February
    run_jobs()
    cio.requests.clear()

    daily.program_daily(brand.id, date(2026, 2, 3))
    run_jobs()

    events = {event["name"]: event for event in cio.events()}
    assert set(events) == {"points_expired", "points_expiring"}
    expired = events["points_expired"]["data"]
    assert expired["event_context"]["points"] == 100
    assert expired["event_context"]["day"] == "2026-02-03"
    assert expired["user_snapshot"]["economy"]["points_balance"] == 60
    reminder = events["points_expiring"]["data"]["event_context"]
    assert (reminder["points"], reminder["expires_on"], reminder["days_before"]) == (
        60,
        "2026-02-10",
        7,
    )
