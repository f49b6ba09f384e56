"""A brand's clock and its daily run: days begin at the brand's midnight, the run walks its
steps in batches with a commit each, and a day runs once."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from tests import factories
from webapp import program_daily as daily
from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.loyalty.program_day import DailyStep, brand_today, day_start
from webapp.models import ProgramDay, User

pytestmark = pytest.mark.sqlite_ok


def test_a_brand_keeps_its_own_clock(app):
    brand = factories.brand(settings={"timezone": "America/Los_Angeles"})
    late_evening_there = datetime(2026, 3, 2, 7, 30)  # 23:30 on 1 March in Los Angeles
    assert brand_today(brand, late_evening_there) == date(2026, 3, 1)
    assert brand_today(factories.brand(), late_evening_there) == date(2026, 3, 2)  # UTC
    assert day_start(brand, date(2026, 3, 1)) == datetime(2026, 3, 1, 8, 0)
    assert day_start(brand, date(2026, 7, 1)) == datetime(2026, 7, 1, 7, 0)  # daylight time


def test_an_unknown_time_zone_falls_back_to_utc(app):
    brand = factories.brand(settings={"timezone": "Mars/Olympus_Mons"})
    assert settings_of(brand).timezone == "UTC"


def _visits(seen):
    """A step that records each member it is given, once per day."""

    def members(brand, day):
        return db.session.scalars(select(User.id).order_by(User.id)).all()

    def apply(brand, day, user_ids):
        fresh = [user_id for user_id in user_ids if (day, user_id) not in seen]
        seen.update((day, user_id) for user_id in fresh)
        return len(fresh)

    return DailyStep("visit", members, apply)


def test_the_run_walks_its_steps_in_batches_and_records_the_day(app, monkeypatch):
    brand = factories.brand()
    for _ in range(5):
        factories.user()
    seen, batches = set(), []
    monkeypatch.setattr(daily, "STEPS", (_visits(seen),))
    monkeypatch.setattr(daily, "BATCH_SIZE", 2)

    run = daily.program_daily(
        brand.id, date(2026, 5, 1), progress=lambda done, total: batches.append(done - sum(batches))
    )

    assert run.changed == {"visit": 5} and run.skipped is None
    assert batches == [2, 2, 1]
    day = db.session.get(ProgramDay, (brand.id, date(2026, 5, 1)))
    assert day.changed == 5


def test_a_day_runs_once_and_a_forced_rerun_changes_nothing_done(app, monkeypatch):
    brand = factories.brand()
    factories.user()
    seen = set()
    monkeypatch.setattr(daily, "STEPS", (_visits(seen),))

    assert daily.program_daily(brand.id, date(2026, 5, 1)).total == 1
    again = daily.program_daily(brand.id, date(2026, 5, 1))
    assert again.skipped == "this day has already run" and again.total == 0
    assert daily.program_daily(brand.id, date(2026, 5, 1), force=True).total == 0
    assert daily.program_daily(brand.id, date(2026, 5, 2)).total == 1
    assert db.session.scalar(select(func.count()).select_from(ProgramDay)) == 2


def test_the_command_runs_a_brand_day_and_says_what_it_did(app, monkeypatch):
    brand = factories.brand(slug="north")
    factories.user()
    monkeypatch.setattr(daily, "STEPS", (_visits(set()),))
    runner = app.test_cli_runner()

    first = runner.invoke(
        args=["program", "run-daily", "--brand", "north", "--as-of", "2026-05-01"]
    )
    assert first.exit_code == 0, first.output
    assert "north 2026-05-01: 1 changes (visit 1)" in first.output
    second = runner.invoke(
        args=["program", "run-daily", "--brand", "north", "--as-of", "2026-05-01"]
    )
    assert "skipped, this day has already run" in second.output
    missing = runner.invoke(args=["program", "run-daily", "--brand", "nowhere"])
    assert missing.exit_code != 0 and "No brand with slug 'nowhere'" in missing.output
    assert db.session.get(ProgramDay, (brand.id, date(2026, 5, 1))) is not None


def test_the_scheduler_runs_each_brand_today_once(app, monkeypatch):
    first, second = factories.brand(), factories.brand(settings={"timezone": "Asia/Tokyo"})
    factories.user()
    seen = set()
    monkeypatch.setattr(daily, "STEPS", (_visits(seen),))

    daily.run_program_days()
    daily.run_program_days()

    days = db.session.execute(select(ProgramDay.brand_id, ProgramDay.day)).all()
    assert sorted(days) == sorted(
        [(first.id, brand_today(first)), (second.id, brand_today(second))]
    )
