"""Birthdays: a month and a day (no year) the member may give and remove, and the brand's
bonus paid once a year on that day in the brand's time zone by the daily run."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from tests.loyalty.test_concurrency import run_together
from webapp import program_daily as daily
from webapp.extensions import db
from webapp.loyalty import birthdays, program_day
from webapp.loyalty.birthdays import (
    BirthdayError,
    birthday_in,
    check_birthday,
    pay_birthdays,
    set_birthday,
)
from webapp.models import Brand, CustomerIoEventQueue, JurisdictionRule, MemberWallet, UserActionLog

BONUS = {"birthday": {"bonus_points": 150}}


def bonuses(user_id=None):
    """The birthday ledger rows (of one member), oldest first, fresh."""
    db.session.expire_all()
    query = select(UserActionLog).where(UserActionLog.action_type == "birthday_bonus")
    if user_id is not None:
        query = query.where(UserActionLog.user_id == user_id)
    return db.session.scalars(query.order_by(UserActionLog.id)).all()


def wallet_of(user, brand):
    db.session.expire_all()
    return db.session.get(MemberWallet, (user.id, brand.id))


def born(make, brand, month, day, **user_values):
    """A member of `brand` who gave it their birthday."""
    person = make.user(brands=[brand], **user_values)
    set_birthday(person.id, brand.id, month, day)
    db.session.commit()
    return person


@pytest.mark.sqlite_ok
@pytest.mark.parametrize(
    ("month", "day", "expected"),
    [(3, 14, (3, 14)), ("2", "29", (2, 29)), (12, 31, (12, 31)), (None, None, (None, None))],
)
def test_a_birthday_is_a_month_and_a_day_that_exist(month, day, expected):
    assert check_birthday(month, day) == expected


@pytest.mark.sqlite_ok
@pytest.mark.parametrize(
    ("month", "day"), [(2, 30), (4, 31), (13, 1), (0, 5), ("x", 3), (3, None), (None, 7)]
)
def test_a_day_that_does_not_exist_or_half_a_birthday_is_refused(month, day):
    with pytest.raises(BirthdayError):
        check_birthday(month, day)


@pytest.mark.sqlite_ok
def test_29_february_is_celebrated_on_28_february_in_common_years():
    assert birthday_in(2027, 2, 29) == date(2027, 2, 28)
    assert birthday_in(2028, 2, 29) == date(2028, 2, 29)
    assert birthday_in(2027, 3, 1) == date(2027, 3, 1)


@pytest.mark.sqlite_ok
def test_the_bonus_is_paid_once_on_the_day_in_the_brands_time_zone(app, make, monkeypatch):
    brand = make.brand(settings={**BONUS, "timezone": "America/Los_Angeles"})
    member = born(make, brand, 3, 14)
    # 06:00 UTC on 15 March is still 23:00 on 14 March in Los Angeles.
    monkeypatch.setattr(program_day, "utcnow", lambda: datetime(2026, 3, 15, 6, 0))
    run = daily.program_daily(brand.id)
    assert run.day == date(2026, 3, 14) and run.changed["birthdays"] == 1
    [row] = bonuses(member.id)
    assert (row.points_awarded, row.brand_id) == (150, brand.id)
    assert row.action_data == {"year": 2026, "day": "2026-03-14"}
    wallet = wallet_of(member, brand)
    assert (wallet.points_balance, wallet.lifetime_points) == (150, 150)
    # A forced rerun of the day, and the next day, pay nothing more.
    assert daily.program_daily(brand.id, force=True).changed["birthdays"] == 0
    monkeypatch.setattr(program_day, "utcnow", lambda: datetime(2026, 3, 15, 8, 0))
    assert daily.program_daily(brand.id).changed["birthdays"] == 0
    assert len(bonuses(member.id)) == 1


@pytest.mark.sqlite_ok
def test_a_utc_brand_does_not_pay_on_the_eve(app, make, monkeypatch):
    brand = make.brand(settings=BONUS)
    born(make, brand, 3, 14)
    monkeypatch.setattr(program_day, "utcnow", lambda: datetime(2026, 3, 13, 23, 59))
    assert daily.program_daily(brand.id).changed["birthdays"] == 0
    assert bonuses() == []


@pytest.mark.sqlite_ok
def test_as_of_pays_the_day_asked_once_a_year(app, make):
    brand = make.brand(settings=BONUS)
    member = born(make, brand, 7, 1)
    assert daily.program_daily(brand.id, date(2026, 6, 30)).changed["birthdays"] == 0
    assert daily.program_daily(brand.id, date(2026, 7, 1)).changed["birthdays"] == 1
    # The member moves their birthday after it was paid: no second bonus that year.
    set_birthday(member.id, brand.id, 8, 1)
    db.session.commit()
    assert daily.program_daily(brand.id, date(2026, 8, 1)).changed["birthdays"] == 0
    assert daily.program_daily(brand.id, date(2027, 8, 1)).changed["birthdays"] == 1
    assert [row.action_data["year"] for row in bonuses(member.id)] == [2026, 2027]
    assert wallet_of(member, brand).points_balance == 300


@pytest.mark.sqlite_ok
def test_the_command_takes_as_of(app, make):
    brand = make.brand(slug="bday", settings=BONUS)
    born(make, brand, 5, 2)
    result = app.test_cli_runner().invoke(
        args=["program", "run-daily", "--brand", "bday", "--as-of", "2026-05-02"]
    )
    assert result.exit_code == 0, result.output
    assert "birthdays 1" in result.output
    assert len(bonuses()) == 1


@pytest.mark.sqlite_ok
def test_29_february_birthdays_are_paid_on_28_february_in_common_years(app, make):
    brand = make.brand(settings=BONUS)
    leapling = born(make, brand, 2, 29)
    born(make, brand, 2, 28)
    assert daily.program_daily(brand.id, date(2027, 2, 28)).changed["birthdays"] == 2
    assert daily.program_daily(brand.id, date(2027, 3, 1)).changed["birthdays"] == 0
    # In a leap year the 29th is theirs, and the 28th is not.
    assert daily.program_daily(brand.id, date(2028, 2, 28)).changed["birthdays"] == 1
    assert daily.program_daily(brand.id, date(2028, 2, 29)).changed["birthdays"] == 1
    assert [row.action_data["day"] for row in bonuses(leapling.id)] == [
        "2027-02-28",
        "2028-02-29",
    ]


@pytest.mark.sqlite_ok
def test_no_bonus_when_off_nor_for_deleted_guests_or_the_birthdayless(app, make):
    off = make.brand()
    born(make, off, 4, 4)
    assert daily.program_daily(off.id, date(2026, 4, 4)).changed["birthdays"] == 0
    brand = make.brand(settings=BONUS)
    born(make, brand, 4, 4, deleted_at=datetime(2026, 1, 1))
    born(make, brand, 4, 4, is_guest=True)
    make.user(brands=[brand])  # gave no birthday
    paid = born(make, brand, 4, 4)
    assert daily.program_daily(brand.id, date(2026, 4, 4)).changed["birthdays"] == 1
    assert [row.user_id for row in bonuses()] == [paid.id]


@pytest.mark.sqlite_ok
def test_no_bonus_where_the_region_forbids_earning(app, make):
    brand = make.brand(settings=BONUS)
    db.session.add_all(
        [
            JurisdictionRule(brand_id=brand.id, region="US-OR", name="Oregon"),
            JurisdictionRule(
                brand_id=brand.id, region="US-WA", name="Washington", earning_allowed=False
            ),
        ]
    )
    db.session.commit()
    oregon, washington, unknown = (born(make, brand, 9, 9) for _ in range(3))
    for person, region in ((oregon, "US-OR"), (washington, "US-WA")):
        db.session.get(MemberWallet, (person.id, brand.id)).region = region
    db.session.commit()
    assert daily.program_daily(brand.id, date(2026, 9, 9)).changed["birthdays"] == 1
    assert [row.user_id for row in bonuses()] == [oregon.id]
    assert unknown.id not in {row.user_id for row in bonuses()}


@pytest.mark.sqlite_ok
def test_the_step_checks_the_birthday_again_under_the_lock(app, make):
    brand = make.brand(settings=BONUS)
    member = born(make, brand, 6, 6)
    listed = birthdays.birthday_members(brand, date(2026, 6, 6))
    assert listed == [member.id]
    set_birthday(member.id, brand.id, None, None)  # removed between the listing and the pay
    db.session.commit()
    assert pay_birthdays(brand, date(2026, 6, 6), listed) == 0
    assert bonuses() == []


@pytest.mark.sqlite_ok
def test_the_bonus_records_its_event(app, make):
    brand = make.brand(settings=BONUS)
    member = born(make, brand, 10, 10)
    daily.program_daily(brand.id, date(2026, 10, 10))
    [event] = db.session.scalars(
        select(CustomerIoEventQueue).where(CustomerIoEventQueue.event_name == "birthday_bonus")
    ).all()
    assert event.user_id == member.id and event.brand_id == brand.id
    context = event.event_data["event_context"]
    assert (context["points_awarded"], context["year"], context["birthday"]) == (
        150,
        2026,
        "2026-10-10",
    )


@pytest.mark.sqlite_ok
def test_a_full_wallet_is_not_paid_and_nothing_is_half_written(app, make):
    from webapp.loyalty.ledger import MAX_POINTS

    brand = make.brand(settings=BONUS)
    member = born(make, brand, 1, 2, points_balance=MAX_POINTS - 10)
    assert daily.program_daily(brand.id, date(2026, 1, 2)).changed["birthdays"] == 0
    assert bonuses() == [] and wallet_of(member, brand).points_balance == MAX_POINTS - 10


@pytest.mark.sqlite_ok
def test_a_birthday_lives_on_the_wallet_of_one_brand(app, make):
    first, second = make.brand(settings=BONUS), make.brand(settings=BONUS)
    person = make.user(brands=[first, second])
    set_birthday(person.id, first.id, 11, 5)
    db.session.commit()
    assert (wallet_of(person, first).birth_month, wallet_of(person, first).birth_day) == (11, 5)
    assert wallet_of(person, second).birth_month is None
    assert daily.program_daily(second.id, date(2026, 11, 5)).changed["birthdays"] == 0
    assert daily.program_daily(first.id, date(2026, 11, 5)).changed["birthdays"] == 1


def test_two_runs_at_once_pay_once(app, make):
    brand = make.brand(settings=BONUS)
    members = [born(make, brand, 12, 1) for _ in range(5)]
    user_ids = [member.id for member in members]
    day = date(2026, 12, 1)
    brand_id = brand.id
    results = run_together(
        app, [lambda: pay_birthdays(db.session.get(Brand, brand_id), day, user_ids)] * 4
    )
    assert sum(results) == 5
    assert sorted(row.user_id for row in bonuses()) == sorted(user_ids)
    total = db.session.scalar(
        select(func.sum(MemberWallet.points_balance)).where(MemberWallet.brand_id == brand.id)
    )
    assert total == 5 * 150
