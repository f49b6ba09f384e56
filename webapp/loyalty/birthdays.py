"""Birthdays: the birth month and day a member may give a brand, and its yearly bonus.

A member gives (or removes) a month and a day, never a year, on their wallet at the brand
(`member_wallets.birth_month` / `birth_day`); the age check still keeps only
`users.age_verified_at`. The daily run's `BIRTHDAY_STEP` pays the brand's
`birthday.bonus_points` (0 = off) once a year, on the member's day in the brand's time zone,
through the ledger as `birthday_bonus` with the year in its action_data, and records the
`birthday_bonus` event. A 29 February birthday is kept on 28 February in years without one.
Nothing here commits.
"""

import calendar
from datetime import date

from sqlalchemy import select

from webapp.brand_settings import settings_of
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.jurisdictions import RegionProblem, earning_problem, member_rule
from webapp.loyalty.ledger import PointsLimitExceeded, grant, lock_member
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.program_day import DailyStep
from webapp.models import MemberWallet, User, UserActionLog
from webapp.translation_marks import N_

ACTION = "birthday_bonus"
# Any leap year: every month and day a birthday can fall on exists in it.
LEAP_YEAR = 2000

NOT_A_DAY = N_("Choose a month and a day that exist, like 14 March.")
BOTH_NEEDED = N_("Choose both the month and the day, or neither.")


class BirthdayError(ValueError):
    """The month and day given are not a birthday; `message` (marked) says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def check_birthday(month, day):
    """(month, day) as ints, or (None, None) for no birthday; BirthdayError otherwise."""
    if month in (None, "") and day in (None, ""):
        return None, None
    if month in (None, "") or day in (None, ""):
        raise BirthdayError(BOTH_NEEDED)
    try:
        month, day = int(month), int(day)
        date(LEAP_YEAR, month, day)
    except (TypeError, ValueError, OverflowError) as error:
        raise BirthdayError(NOT_A_DAY) from error
    return month, day


def set_birthday(user_id, brand_id, month, day):
    """Keep (or with both None, remove) the member's birth month and day at the brand; returns
    the wallet. BirthdayError for a day that does not exist, NotAMember for a non-member."""
    month, day = check_birthday(month, day)
    member = lock_member(user_id, brand_id)
    member.wallet.birth_month, member.wallet.birth_day = month, day
    return member.wallet


def birthday_in(year, month, day):
    """The date of a (month, day) birthday in `year`: 29 February is 28 February when the year
    has no 29th."""
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def is_birthday(month, day, on):
    """True when `on` is the birthday (month, day) that year."""
    return month is not None and day is not None and birthday_in(on.year, month, day) == on


def _days_celebrated(on):
    """The stored (month, day) pairs whose birthday falls on `on`."""
    days = [(on.month, on.day)]
    if (on.month, on.day) == (2, 28) and not calendar.isleap(on.year):
        days.append((2, 29))
    return days


def _bonus_points(brand):
    return settings_of(brand).birthday.bonus_points


def birthday_members(brand, day):
    """User ids of the brand's members whose birthday is `day` (none when the bonus is off);
    deleted accounts and guests never."""
    if not _bonus_points(brand):
        return []
    days = _days_celebrated(day)
    query = (
        select(MemberWallet.user_id)
        .join(User, User.id == MemberWallet.user_id)
        .where(
            MemberWallet.brand_id == brand.id,
            MemberWallet.birth_month == days[0][0],
            MemberWallet.birth_day.in_([birth_day for _, birth_day in days]),
            User.deleted_at.is_(None),
            User.is_guest.is_not(True),
        )
        .order_by(MemberWallet.user_id)
    )
    return db.session.scalars(query).all()


def paid_in(user_id, brand_id, year):
    """True when the member's birthday bonus of `year` at the brand is on the ledger."""
    rows = db.session.scalars(
        select(UserActionLog.action_data).where(
            UserActionLog.user_id == user_id,
            UserActionLog.brand_id == brand_id,
            UserActionLog.action_type == ACTION,
        )
    )
    return any(isinstance(data, dict) and data.get("year") == year for data in rows)


def _may_earn(member):
    """True when the member's region lets them earn points."""
    try:
        return earning_problem(member_rule(member), member.wallet) is None
    except RegionProblem:  # outside the brand's regions, or the region is still unknown
        return False


def pay_birthday(brand, day, user_id):
    """Pay the member's birthday bonus of `day`'s year when `day` is their birthday and it is
    not paid yet; True when it was paid now. The member is locked first (person, wallet), so
    two runs at once pay once."""
    points = _bonus_points(brand)
    if not points:
        return False
    try:
        member = lock_member(user_id, brand.id)
    except NotAMember:
        return False
    user, wallet = member.user, member.wallet
    if user.deleted_at is not None or user.is_guest:
        return False
    if not is_birthday(wallet.birth_month, wallet.birth_day, day):
        return False
    if paid_in(user_id, brand.id, day.year) or not _may_earn(member):
        return False
    details = {"year": day.year, "day": day.isoformat()}
    try:
        with db.session.begin_nested():
            grant(member, points, ACTION, action_data=details)
    except PointsLimitExceeded:  # a full wallet: nothing is paid, nothing is kept
        return False
    record_event(
        user,
        ACTION,
        brand_id=brand.id,
        context={"points_awarded": points, "year": day.year, "birthday": day.isoformat()},
    )
    return True


def pay_birthdays(brand, day, user_ids):
    """The daily step's work: pay the day's birthday bonuses; returns how many were paid."""
    return sum(pay_birthday(brand, day, user_id) for user_id in user_ids)


BIRTHDAY_STEP = DailyStep("birthdays", birthday_members, pay_birthdays)
