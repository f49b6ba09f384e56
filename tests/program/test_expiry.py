"""Points expiry in the daily run: inactivity and rolling (oldest points first), reminders at
each reminder day once, a day run twice changes nothing more, other brands are untouched."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests import factories
from webapp import program_daily as daily
from webapp.extensions import db
from webapp.loyalty import expiry
from webapp.loyalty.ledger import grant, lock_member, spend
from webapp.models import (
    CustomerIoEventQueue,
    MemberWallet,
    PointsExpiryReminder,
    User,
    UserActionLog,
)

pytestmark = pytest.mark.sqlite_ok


def expiring_brand(policy, months=3, reminder_days=(30, 7), timezone="UTC", **overrides):
    expiry_settings = {"policy": policy, "months": months, "reminder_days": list(reminder_days)}
    return factories.brand(
        settings={"points_expiry": expiry_settings, "timezone": timezone}, **overrides
    )


def earn(person, brand, points, when, action="product_scanned"):
    """A ledger credit dated `when` (naive UTC), committed."""
    entry = grant(lock_member(person.id, brand.id), points, action)
    entry.log.created_at = when
    db.session.commit()
    return entry


def pay(person, brand, points, when):
    """A ledger debit (a redemption) dated `when`, committed."""
    entry = spend(lock_member(person.id, brand.id), points, "reward_redeemed")
    entry.log.created_at = when
    db.session.commit()
    return entry


def wallet(person, brand):
    db.session.expire_all()
    return db.session.scalar(
        select(MemberWallet).where(
            MemberWallet.user_id == person.id, MemberWallet.brand_id == brand.id
        )
    )


def expired_rows(person, brand):
    return db.session.scalars(
        select(UserActionLog)
        .where(
            UserActionLog.user_id == person.id,
            UserActionLog.brand_id == brand.id,
            UserActionLog.action_type == "points_expired",
        )
        .order_by(UserActionLog.id)
    ).all()


def events(person, name):
    return db.session.scalars(
        select(CustomerIoEventQueue)
        .where(CustomerIoEventQueue.user_id == person.id, CustomerIoEventQueue.event_name == name)
        .order_by(CustomerIoEventQueue.id)
    ).all()


def test_month_arithmetic_keeps_the_day_or_takes_the_months_last():
    assert expiry.add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert expiry.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert expiry.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert expiry.add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    # Awards of 29, 30 and 31 January all expire on 28 February.
    assert expiry.first_unexpired_day(date(2026, 2, 28), 1) == date(2026, 2, 1)
    assert expiry.first_unexpired_day(date(2026, 2, 27), 1) == date(2026, 1, 28)


def test_no_policy_expires_nothing(app):
    brand = factories.brand()
    person = factories.user(brands=[brand])
    earn(person, brand, 500, datetime(2020, 1, 1))

    run = daily.program_daily(brand.id, date(2026, 5, 1))

    assert run.changed == {"points_expired": 0, "points_expiring": 0, "tiers": 0, "birthdays": 0}
    assert wallet(person, brand).points_balance == 500


def test_inactivity_expires_the_whole_wallet_months_after_the_last_earning(app):
    brand = expiring_brand("inactivity", months=3)
    person = factories.user(brands=[brand])
    earn(person, brand, 300, datetime(2026, 1, 5, 12))
    earn(person, brand, 200, datetime(2026, 2, 10, 12))
    pay(person, brand, 100, datetime(2026, 4, 1, 12))  # a spend is not an earning

    daily.program_daily(brand.id, date(2026, 5, 9))
    assert wallet(person, brand).points_balance == 400 and not expired_rows(person, brand)

    run = daily.program_daily(brand.id, date(2026, 5, 10))

    assert run.changed["points_expired"] == 1
    after = wallet(person, brand)
    assert after.points_balance == 0
    assert after.lifetime_points == 500  # expiry keeps lifetime points (and the rank)
    [row] = expired_rows(person, brand)
    assert row.points_awarded == -400
    assert row.action_data == {"day": "2026-05-10", "policy": "inactivity", "months": 3}
    [event] = events(person, "points_expired")
    assert event.event_data["event_context"]["points"] == 400
    assert db.session.get(User, person.id).points_balance == 0


def test_a_new_earning_restarts_the_inactivity_clock(app):
    brand = expiring_brand("inactivity", months=2)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 1, 12))
    earn(person, brand, 50, datetime(2026, 2, 20, 12))

    daily.program_daily(brand.id, date(2026, 3, 1))
    assert wallet(person, brand).points_balance == 150
    daily.program_daily(brand.id, date(2026, 4, 20))
    assert wallet(person, brand).points_balance == 0


def test_a_refund_is_not_an_earning(app):
    brand = expiring_brand("inactivity", months=1)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 10, 12))
    earn(person, brand, 40, datetime(2026, 2, 5, 12), action="points_refunded")

    daily.program_daily(brand.id, date(2026, 2, 10))

    assert wallet(person, brand).points_balance == 0
    assert expired_rows(person, brand)[0].points_awarded == -140


def test_rolling_expires_each_award_on_its_day_oldest_spent_first(app):
    brand = expiring_brand("rolling", months=3)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 10, 12))
    earn(person, brand, 200, datetime(2026, 2, 10, 12))
    earn(person, brand, 300, datetime(2026, 3, 10, 12))
    pay(person, brand, 150, datetime(2026, 3, 20, 12))  # all of January's 100, 50 of February's

    daily.program_daily(brand.id, date(2026, 4, 10))
    assert wallet(person, brand).points_balance == 450  # January's were spent: nothing left
    assert not expired_rows(person, brand)

    daily.program_daily(brand.id, date(2026, 5, 9))
    assert wallet(person, brand).points_balance == 450
    daily.program_daily(brand.id, date(2026, 5, 10))
    assert wallet(person, brand).points_balance == 300  # February's unspent 150 went

    pay(person, brand, 100, datetime(2026, 5, 20, 12))
    daily.program_daily(brand.id, date(2026, 6, 10))
    assert wallet(person, brand).points_balance == 0  # March's 200 left went
    assert [row.points_awarded for row in expired_rows(person, brand)] == [-150, -200]
    assert wallet(person, brand).lifetime_points == 600


def test_rolling_catches_up_after_missed_days_without_taking_newer_points(app):
    brand = expiring_brand("rolling", months=1)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 5, 12))
    earn(person, brand, 70, datetime(2026, 1, 25, 12))
    earn(person, brand, 30, datetime(2026, 3, 1, 12))

    daily.program_daily(brand.id, date(2026, 3, 2))  # the first run in weeks

    assert wallet(person, brand).points_balance == 30
    assert expired_rows(person, brand)[0].points_awarded == -170


def test_the_brands_clock_decides_the_day_an_award_was_earned(app):
    brand = expiring_brand("rolling", months=1, timezone="America/Los_Angeles")
    person = factories.user(brands=[brand])
    earn(person, brand, 80, datetime(2026, 2, 1, 5))  # 21:00 on 31 January in Los Angeles

    daily.program_daily(brand.id, date(2026, 2, 27))
    assert wallet(person, brand).points_balance == 80
    daily.program_daily(brand.id, date(2026, 2, 28))  # 31 January + 1 month
    assert wallet(person, brand).points_balance == 0


def test_reminders_go_at_thirty_and_seven_days_once_each(app):
    brand = expiring_brand("rolling", months=3)
    person = factories.user(brands=[brand])
    earn(person, brand, 120, datetime(2026, 1, 10, 12))  # expires on 10 April

    for day in (date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)):
        daily.program_daily(brand.id, day)
    daily.program_daily(brand.id, date(2026, 3, 11), force=True)
    [thirty] = events(person, "points_expiring")
    assert thirty.event_data["event_context"] | {"timestamp": 0, "brand_id": 0} == {
        "points": 120,
        "expires_on": "2026-04-10",
        "days_before": 30,
        "policy": "rolling",
        "timestamp": 0,
        "brand_id": 0,
    }

    for day in (date(2026, 4, 2), date(2026, 4, 3), date(2026, 4, 4)):
        daily.program_daily(brand.id, day)
    reminders = events(person, "points_expiring")
    assert [r.event_data["event_context"]["days_before"] for r in reminders] == [30, 7]
    sent = db.session.scalars(select(PointsExpiryReminder)).all()
    assert sorted((r.expires_on, r.days_before, r.points) for r in sent) == [
        (date(2026, 4, 10), 7, 120),
        (date(2026, 4, 10), 30, 120),
    ]


def test_a_missed_reminder_day_sends_the_next_one_only(app):
    brand = expiring_brand("inactivity", months=2)
    person = factories.user(brands=[brand])
    earn(person, brand, 60, datetime(2026, 1, 20, 12))  # the wallet expires on 20 March

    daily.program_daily(brand.id, date(2026, 3, 15))  # 5 days before: the 30-day one passed

    [reminder] = events(person, "points_expiring")
    assert reminder.event_data["event_context"]["days_before"] == 7
    assert reminder.event_data["event_context"]["points"] == 60


def test_spent_points_are_not_announced(app):
    brand = expiring_brand("rolling", months=3)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 10, 12))
    earn(person, brand, 100, datetime(2026, 3, 1, 12))
    pay(person, brand, 100, datetime(2026, 3, 2, 12))

    daily.program_daily(brand.id, date(2026, 3, 11))

    assert events(person, "points_expiring") == []


def test_a_second_run_of_the_day_changes_nothing_more(app):
    brand = expiring_brand("rolling", months=1)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 10, 12))

    first = daily.program_daily(brand.id, date(2026, 2, 10))
    again = daily.program_daily(brand.id, date(2026, 2, 10), force=True)

    assert first.changed["points_expired"] == 1
    assert again.changed == {"points_expired": 0, "points_expiring": 0, "tiers": 0, "birthdays": 0}
    assert len(expired_rows(person, brand)) == 1
    assert len(events(person, "points_expired")) == 1


def test_another_brand_keeps_its_points(app):
    brand = expiring_brand("inactivity", months=1)
    other = factories.brand()
    person = factories.user(brands=[brand, other])
    earn(person, brand, 100, datetime(2026, 1, 1, 12))
    earn(person, other, 250, datetime(2026, 1, 1, 12))

    daily.program_daily(brand.id, date(2026, 3, 1))
    daily.program_daily(other.id, date(2026, 3, 1))

    assert wallet(person, brand).points_balance == 0
    assert wallet(person, other).points_balance == 250
    assert db.session.get(User, person.id).points_balance == 250
    assert expired_rows(person, other) == []


def test_the_next_expiry_of_a_member(app):
    brand = expiring_brand("rolling", months=2)
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 10, 12))
    earn(person, brand, 50, datetime(2026, 1, 10, 18))
    earn(person, brand, 70, datetime(2026, 2, 3, 12))
    pay(person, brand, 30, datetime(2026, 2, 4, 12))

    assert expiry.next_expiry(brand, person.id, date(2026, 2, 5)) == expiry.Expiring(
        120, date(2026, 3, 10)
    )
    assert expiry.expiring_within(brand, date(2026, 2, 5)) == 0
    assert expiry.expiring_within(brand, date(2026, 2, 10)) == 120
    assert expiry.expiring_within(brand, date(2026, 3, 5)) == 190
    inactive = expiring_brand("inactivity", months=2)
    factories.member(person, inactive)
    earn(person, inactive, 40, datetime(2026, 1, 31, 12))
    assert expiry.next_expiry(inactive, person.id, date(2026, 2, 5)) == expiry.Expiring(
        40, date(2026, 3, 31)
    )
    assert expiry.expiring_within(inactive, date(2026, 3, 1)) == 40
    assert expiry.expiring_within(inactive, date(2026, 2, 5)) == 0
    assert expiry.expiring_within(brand, date(2026, 3, 5)) == 190  # each brand its own


def test_the_command_runs_expiry_as_of_a_day(app):
    brand = expiring_brand("inactivity", months=1, slug="fade")
    person = factories.user(brands=[brand])
    earn(person, brand, 100, datetime(2026, 1, 1, 12))
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["program", "run-daily", "--brand", "fade", "--as-of", "2026-02-01"]
    )

    assert result.exit_code == 0, result.output
    assert (
        "fade 2026-02-01: 1 changes (points_expired 1, points_expiring 0, tiers 0, birthdays 0)"
        in result.output
    )
    assert wallet(person, brand).points_balance == 0
