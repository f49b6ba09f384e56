"""Real threads: two runs of one day expire and remind once; a scan landing during the run
keeps its points."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.loyalty.test_concurrency import run_together
from tests.program.test_expiry import earn, expiring_brand, wallet
from webapp import program_daily as daily
from webapp.extensions import db
from webapp.loyalty import expiry
from webapp.loyalty.ledger import grant, lock_member
from webapp.models import CustomerIoEventQueue, PointsExpiryReminder, UserActionLog

pytestmark = pytest.mark.sqlite_ok


def count(model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def members(brand, size, points_at):
    people = [factories.user(brands=[brand]) for _ in range(size)]
    for person in people:
        for points, when in points_at:
            earn(person, brand, points, when)
    return people


def test_two_runs_of_a_day_at_once_expire_once(app):
    brand = expiring_brand("rolling", months=1)
    people = members(brand, 6, [(100, datetime(2026, 1, 10, 12)), (40, datetime(2026, 2, 1))])
    day = date(2026, 2, 10)

    results = run_together(app, [lambda: daily.program_daily(brand.id, day, force=True)] * 2)

    assert sum(run.changed.get("points_expired", 0) for run in results) == 6
    assert count(UserActionLog, UserActionLog.action_type == "points_expired") == 6
    assert [wallet(person, brand).points_balance for person in people] == [40] * 6


def test_two_expiry_steps_at_once_take_each_members_points_once(app):
    brand = expiring_brand("inactivity", months=1)
    people = members(brand, 8, [(75, datetime(2026, 1, 3, 12))])
    user_ids = [person.id for person in people]
    day = date(2026, 2, 3)

    def step():
        fresh = db.session.get(type(brand), brand.id)
        return expiry.expire_points(fresh, day, user_ids)

    results = run_together(app, [step, step, step])

    assert sum(results) == 8
    assert count(UserActionLog, UserActionLog.action_type == "points_expired") == 8
    assert count(CustomerIoEventQueue, CustomerIoEventQueue.event_name == "points_expired") == 8
    assert all(wallet(person, brand).points_balance == 0 for person in people)


def test_two_reminder_steps_at_once_remind_once(app):
    brand = expiring_brand("rolling", months=2)
    people = members(brand, 5, [(60, datetime(2026, 1, 10, 12))])  # expire on 10 March
    user_ids = [person.id for person in people]
    day = date(2026, 3, 3)

    def step():
        fresh = db.session.get(type(brand), brand.id)
        return expiry.send_reminders(fresh, day, user_ids)

    results = run_together(app, [step, step, step])

    assert sum(results) == 5
    assert count(PointsExpiryReminder) == 5
    assert count(CustomerIoEventQueue, CustomerIoEventQueue.event_name == "points_expiring") == 5


def test_a_scan_during_the_run_keeps_its_points(app):
    brand = expiring_brand("rolling", months=1)
    [person] = members(brand, 1, [(100, datetime(2026, 1, 10, 12))])
    day = date(2026, 2, 10)

    def scan():
        return grant(lock_member(person.id, brand.id), 25, "product_scanned")

    def step():
        fresh = db.session.get(type(brand), brand.id)
        return expiry.expire_points(fresh, day, [person.id])

    run_together(app, [scan, step])

    after = wallet(person, brand)
    assert after.points_balance == 25
    assert after.lifetime_points == 125
