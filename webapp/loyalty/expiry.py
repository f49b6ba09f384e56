"""Points expiry, per brand (`BrandSettings.points_expiry`): the daily run's two steps.

- `inactivity`: the whole balance expires `months` after the member's last earning at the
  brand (a ledger row that raised lifetime points: a refund is not an earning).
- `rolling`: each award expires `months` after it was earned, the oldest points spent first.

Rolling expiry is computed exactly from the ledger, with no lots table. Every positive row
of the wallet is a lot (a refund too: the points come back as a new lot), every negative row
(a spend, a deduction, a reversal, an earlier expiry) takes from the oldest lots first. Since a
balance never goes below zero, the debits have then used exactly the oldest part of the
credits, so what is still unspent of the lots earned before a moment is
`balance - credited since that moment` (or nothing). That one sum is all expiry needs: it
never takes more than was earned before the cutoff and is still unspent, and never more
than the balance.

An award earned on the brand's local day E expires on the day `add_months(E, months)` (the
last day of a shorter month when the day does not exist there); the run of that day expires
it. Expiry goes through `ledger.expire` (a `points_expired` row, the balance down, lifetime
points and rank kept). Reminders (`points_expiring` events, `reminder_days` before each expiry
date) are recorded in `points_expiry_reminders`, once per member, expiry date and reminder
day; a run that missed days sends the nearest reminder still ahead, not the passed ones.

Both steps first find, without locks, the members of a batch with something due, then lock
each of those through the ledger and work it out again from fresh values, so a second run of
the day, or two at once, changes nothing more. Nothing here commits.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select, union_all

from webapp.brand_settings import settings_of
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.ledger import expire, lock_member
from webapp.loyalty.membership import wallet_of
from webapp.loyalty.program_day import DailyStep, day_start, local_time
from webapp.models import MemberWallet, PointsExpiryReminder, UserActionLog, UserActionLogArchive
from webapp.timeutil import utcnow

NONE, INACTIVITY, ROLLING = "none", "inactivity", "rolling"
# Ledger rows older than a year move to the archive (webapp.archive): a window reaching
# further back than this reads the archive too.
LIVE_LOG_REACH = timedelta(days=330)


@dataclass(frozen=True)
class Expiring:
    """Points that expire on a day, unless spent before."""

    points: int
    on: date


def add_months(day, months):
    """`day` moved by `months` (either way), on the month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_unexpired_day(day, months):
    """The earliest day whose awards have not expired by the end of the run of `day`."""
    earned = add_months(day, -months)
    while add_months(earned, months) <= day:
        earned += timedelta(days=1)
    return earned


def policy_of(brand):
    """The brand's expiry settings (a PointsExpiry section)."""
    return settings_of(brand).points_expiry


# Reading the ledger, for a batch of members at once.


def _tables(since):
    if since is not None and since >= utcnow() - LIVE_LOG_REACH:
        return (UserActionLog,)
    return (UserActionLog, UserActionLogArchive)


def _credits(table, brand_id, user_ids):
    return (
        table.brand_id == brand_id,
        table.user_id.in_(user_ids),
        table.points_awarded > 0,
    )


def credited_since(brand_id, user_ids, since):
    """{user id: points credited to their wallet at the brand from `since` on}."""
    totals = defaultdict(int)
    if not user_ids:
        return totals
    for table in _tables(since):
        rows = db.session.execute(
            select(table.user_id, func.sum(table.points_awarded))
            .where(*_credits(table, brand_id, user_ids), table.created_at >= since)
            .group_by(table.user_id)
        )
        for user_id, points in rows:
            totals[user_id] += int(points or 0)
    return totals


def _credit_rows(brand_id, user_ids, since, until):
    """(user id, created_at, points) of the credits from `since` to before `until`, oldest
    first per member."""
    selects = []
    for table in _tables(since):
        query = select(table.user_id, table.created_at, table.points_awarded, table.id).where(
            *_credits(table, brand_id, user_ids), table.created_at >= since
        )
        if until is not None:
            query = query.where(table.created_at < until)
        selects.append(query)
    rows = db.session.execute(union_all(*selects) if len(selects) > 1 else selects[0]).all()
    return sorted(rows, key=lambda row: (row[0], row[1], row[3]))


def last_earned(brand_id, user_ids):
    """{user id: when they last earned points at the brand} (members who earned there)."""
    found = {}
    remaining = list(user_ids)
    for table in (UserActionLog, UserActionLogArchive):
        if not remaining:
            break
        rows = db.session.execute(
            select(table.user_id, func.max(table.created_at))
            .where(
                *_credits(table, brand_id, remaining),
                table.action_type != "points_refunded",
            )
            .group_by(table.user_id)
        )
        found.update({user_id: moment for user_id, moment in rows if moment is not None})
        remaining = [user_id for user_id in remaining if user_id not in found]
    return found


def _balances(brand_id, user_ids):
    """{user id: balance} of the members among `user_ids` with points at the brand."""
    return dict(
        db.session.execute(
            select(MemberWallet.user_id, MemberWallet.points_balance).where(
                MemberWallet.brand_id == brand_id,
                MemberWallet.user_id.in_(user_ids),
                MemberWallet.points_balance > 0,
            )
        ).all()
    )


# What is due.


def points_due(brand, day, balances):
    """{user id: points that have expired by the end of the run of `day`} for the members
    of `balances` ({user id: balance})."""
    settings = policy_of(brand)
    user_ids = [user_id for user_id, balance in balances.items() if balance > 0]
    if settings.policy == NONE or not user_ids:
        return {}
    if settings.policy == ROLLING:
        since = day_start(brand, first_unexpired_day(day, settings.months))
        credited = credited_since(brand.id, user_ids, since)
        due = {user_id: balances[user_id] - credited[user_id] for user_id in user_ids}
        return {user_id: points for user_id, points in due.items() if points > 0}
    last = last_earned(brand.id, user_ids)
    return {
        user_id: balances[user_id]
        for user_id in user_ids
        if user_id in last and _inactive_until(brand, last[user_id], settings.months) <= day
    }


def _inactive_until(brand, last_earning, months):
    return add_months(local_time(brand, last_earning).date(), months)


def upcoming(brand, after, balances, until=None):
    """{user id: [Expiring, ...]} for the members of `balances`: the points that expire after
    the run of day `after`, by date (up to the day `until` when given). Points already due by
    `after` and not yet taken (its run has not happened) show on the day after it."""
    settings = policy_of(brand)
    user_ids = [user_id for user_id, balance in balances.items() if balance > 0]
    if settings.policy == NONE or not user_ids:
        return {}
    if settings.policy == INACTIVITY:
        return _inactivity_plans(brand, after, balances, user_ids, until)
    return _rolling_plans(brand, after, balances, user_ids, until)


def _inactivity_plans(brand, after, balances, user_ids, until):
    months, next_day = policy_of(brand).months, after + timedelta(days=1)
    plans = {}
    for user_id, last in last_earned(brand.id, user_ids).items():
        on = max(_inactive_until(brand, last, months), next_day)
        if until is None or on <= until:
            plans[user_id] = [Expiring(balances[user_id], on)]
    return plans


def _rolling_plans(brand, after, balances, user_ids, until):
    """The unspent part of each lot, first in first out, by the day it expires."""
    months, next_day = policy_of(brand).months, after + timedelta(days=1)
    since = day_start(brand, first_unexpired_day(after, months))
    end = day_start(brand, first_unexpired_day(until, months)) if until else None
    credited = credited_since(brand.id, user_ids, since)
    by_day = {user_id: defaultdict(int) for user_id in user_ids}
    spent = {}
    for user_id in user_ids:
        # Debits beyond the lots before `since` took the oldest lots after it.
        spent[user_id] = max(0, credited[user_id] - balances[user_id])
        overdue = max(0, balances[user_id] - credited[user_id])
        if overdue:
            by_day[user_id][next_day] += overdue
    for user_id, created_at, points, _row_id in _credit_rows(brand.id, user_ids, since, end):
        taken = min(spent[user_id], points)
        spent[user_id] -= taken
        if points > taken:
            earned_on = local_time(brand, created_at).date()
            by_day[user_id][add_months(earned_on, months)] += points - taken
    plans = {}
    for user_id, days in by_day.items():
        ahead = [Expiring(points, on) for on, points in sorted(days.items()) if points > 0]
        if ahead:
            plans[user_id] = ahead
    return plans


def next_expiry(brand, user_id, today):
    """The member's next points to expire (Expiring) from `today` on, or None; nothing read
    where points never expire, and the wallet from the session when it holds it (a page's
    member)."""
    if policy_of(brand).policy == NONE:
        return None
    wallet = wallet_of(user_id, brand.id)
    if wallet is None or wallet.points_balance <= 0:
        return None
    plan = upcoming(brand, today - timedelta(days=1), {user_id: wallet.points_balance})
    return plan[user_id][0] if user_id in plan else None


def expiring_within(brand, today, days=30):
    """How many points of the brand's members expire from `today` to `days` days ahead (and
    any already due that a run has not taken yet): two grouped queries, for the dashboard."""
    settings = policy_of(brand)
    if settings.policy == NONE:
        return 0
    cutoff = day_start(brand, first_unexpired_day(today + timedelta(days=days), settings.months))
    balance = MemberWallet.points_balance
    if settings.policy == ROLLING:
        credits = _grouped(brand.id, "points_awarded", func.sum, cutoff, _credit_since(cutoff))
        left = balance - func.coalesce(credits.c.value, 0)
        amount = func.sum(case((left > 0, left), else_=0))
    else:
        credits = _grouped(brand.id, "created_at", func.max, None, _earning)
        amount = func.sum(case((credits.c.value < cutoff, balance), else_=0))
    total = db.session.scalar(
        select(amount)
        .select_from(MemberWallet)
        .outerjoin(credits, credits.c.user_id == MemberWallet.user_id)
        .where(MemberWallet.brand_id == brand.id, balance > 0)
    )
    return int(total or 0)


def _credit_since(since):
    return lambda table: (table.points_awarded > 0, table.created_at >= since)


def _earning(table):
    return (table.points_awarded > 0, table.action_type != "points_refunded")


def _grouped(brand_id, column, aggregate, since, conditions):
    """A subquery (user_id, value): `aggregate` of `column` per member over the brand's ledger
    rows that meet `conditions(table)`, over the archive too when `since` reaches back to it."""
    rows = union_all(
        *(
            select(
                table.user_id,
                getattr(table, column).label("value"),
            ).where(table.brand_id == brand_id, *conditions(table))
            for table in _tables(since)
        )
    ).subquery()
    return (
        select(rows.c.user_id, aggregate(rows.c.value).label("value"))
        .group_by(rows.c.user_id)
        .subquery()
    )


# The daily steps.


def members_with_points(brand, day):
    """The brand's members with a balance, in id order (whom expiry may concern)."""
    if policy_of(brand).policy == NONE:
        return []
    return db.session.scalars(
        select(MemberWallet.user_id)
        .where(MemberWallet.brand_id == brand.id, MemberWallet.points_balance > 0)
        .order_by(MemberWallet.user_id)
    ).all()


def expire_points(brand, day, user_ids):
    """Expire what is due by `day` for these members; how many members lost points."""
    settings = policy_of(brand)
    candidates = points_due(brand, day, _balances(brand.id, user_ids))
    changed = 0
    for user_id in sorted(candidates):
        member = lock_member(user_id, brand.id)
        points = points_due(brand, day, {user_id: member.wallet.points_balance}).get(user_id, 0)
        details = {"day": day.isoformat(), "policy": settings.policy, "months": settings.months}
        entry = expire(member, points, action_data=details)
        if entry is None:
            continue
        record_event(
            member.user,
            "points_expired",
            brand_id=brand.id,
            context={"points": -entry.log.points_awarded, **details},
        )
        changed += 1
    return changed


def _reminder_day(settings, day, expires_on):
    """The reminder due on `day` for points expiring on `expires_on` (days before), or None."""
    days_left = (expires_on - day).days
    ahead = [days for days in settings.reminder_days if days >= days_left]
    return min(ahead) if ahead and days_left > 0 else None


def _due_reminders(brand, day, balances):
    settings = policy_of(brand)
    if not settings.reminder_days:
        return {}
    until = day + timedelta(days=max(settings.reminder_days))
    due = defaultdict(list)
    for user_id, plan in upcoming(brand, day, balances, until).items():
        for expiring in plan:
            days_before = _reminder_day(settings, day, expiring.on)
            if days_before is not None:
                due[user_id].append((expiring, days_before))
    return due


def _sent(brand_id, user_ids, day):
    return set(
        db.session.execute(
            select(
                PointsExpiryReminder.user_id,
                PointsExpiryReminder.expires_on,
                PointsExpiryReminder.days_before,
            ).where(
                PointsExpiryReminder.brand_id == brand_id,
                PointsExpiryReminder.user_id.in_(user_ids),
                PointsExpiryReminder.expires_on > day,
            )
        ).all()
    )


def send_reminders(brand, day, user_ids):
    """Record a `points_expiring` event for each reminder due on `day`, once per member,
    expiry date and reminder day; how many members were reminded."""
    if policy_of(brand).policy == NONE:
        return 0
    due = _due_reminders(brand, day, _balances(brand.id, user_ids))
    sent = _sent(brand.id, list(due), day)
    candidates = [
        user_id
        for user_id, reminders in due.items()
        if any((user_id, e.on, days) not in sent for e, days in reminders)
    ]
    changed = 0
    for user_id in sorted(candidates):
        member = lock_member(user_id, brand.id)
        reminders = _due_reminders(brand, day, {user_id: member.wallet.points_balance})
        already = _sent(brand.id, [user_id], day)
        fresh = [
            (e, days)
            for e, days in reminders.get(user_id, [])
            if (user_id, e.on, days) not in already
        ]
        for expiring, days_before in fresh:
            db.session.add(
                PointsExpiryReminder(
                    user_id=user_id,
                    brand_id=brand.id,
                    expires_on=expiring.on,
                    days_before=days_before,
                    points=expiring.points,
                )
            )
            record_event(
                member.user,
                "points_expiring",
                brand_id=brand.id,
                context={
                    "points": expiring.points,
                    "expires_on": expiring.on.isoformat(),
                    "days_before": days_before,
                    "policy": policy_of(brand).policy,
                },
            )
        if fresh:
            db.session.flush()
            changed += 1
    return changed


EXPIRE_STEP = DailyStep("points_expired", members_with_points, expire_points)
REMIND_STEP = DailyStep("points_expiring", members_with_points, send_reminders)
