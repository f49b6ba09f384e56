"""The points ledger: the one way to change a balance, always under the user's row lock.

`grant` and `spend` write the `user_action_log` row, move `points_balance` /
`lifetime_points`, keep `current_rank_key` (recording `rank_changed`) and the member's goals
current. They never commit: the service that calls them (scan, redeem, ...) commits once with
`webapp.jobs.commit()`, so the whole action is one transaction.
"""

from dataclasses import dataclass

from sqlalchemy import select

from webapp import jobs
from webapp.customerio.outbox import record_event, record_identify
from webapp.extensions import db
from webapp.loyalty.ranks import MEMBER_RANK_KEY, ladder, rank_for
from webapp.models import User, UserActionLog


class InsufficientPoints(Exception):
    """The balance does not cover the points asked for."""

    def __init__(self, balance, needed):
        super().__init__(f"You have {balance} points; this needs {needed}.")
        self.balance = balance
        self.needed = needed


@dataclass
class LedgerEntry:
    """What one change of points did: its log row, the locked user, the rank before and after."""

    log: UserActionLog
    user: User
    old_rank_key: str | None
    new_rank_key: str | None

    @property
    def rank_changed(self):
        """True when the change moved the member to another rank."""
        return (self.old_rank_key or MEMBER_RANK_KEY) != (self.new_rank_key or MEMBER_RANK_KEY)


def lock_user(user_id):
    """The user row, locked (`SELECT ... FOR UPDATE`) until the transaction ends, fresh values."""
    return db.session.scalars(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def log_action(
    user,
    action_type,
    *,
    brand_id,
    product_id=None,
    action_data=None,
    ip_address=None,
    user_agent=None,
):
    """Add a 0-point action log row (a session start, a wishlist change, ...); not committed."""
    return _log_row(
        user,
        action_type,
        0,
        LogDetails(brand_id, product_id, action_data, ip_address, user_agent),
    )


def grant(
    user,
    points,
    action_type,
    *,
    brand_id,
    product_id=None,
    action_data=None,
    ip_address=None,
    user_agent=None,
    count_towards_lifetime=True,
):
    """Add `points` (>= 0) to a locked user's balance and lifetime, logged as `action_type`.

    A refund of spent points passes `count_towards_lifetime=False`: it restores the balance
    without raising lifetime points (or the rank) a second time.
    """
    if points < 0:
        raise ValueError("grant() takes a positive amount; use spend() to take points")
    user.points_balance = (user.points_balance or 0) + points
    if count_towards_lifetime:
        user.lifetime_points = (user.lifetime_points or 0) + points
    details = LogDetails(brand_id, product_id, action_data, ip_address, user_agent)
    return _record(user, points, action_type, details)


def spend(
    user,
    points,
    action_type,
    *,
    brand_id,
    product_id=None,
    action_data=None,
    ip_address=None,
    user_agent=None,
):
    """Take `points` (>= 0) from a locked user's balance; InsufficientPoints when it is short."""
    if points < 0:
        raise ValueError("spend() takes a positive amount; use grant() to add points")
    balance = user.points_balance or 0
    if balance < points:
        raise InsufficientPoints(balance, points)
    user.points_balance = balance - points
    details = LogDetails(brand_id, product_id, action_data, ip_address, user_agent)
    return _record(user, -points, action_type, details)


def adjust(user_id, delta, *, brand_id, reason, staff_user_id):
    """A staff correction of a member's points with its reason; committed.

    Raises InsufficientPoints when a deduction is larger than the balance.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Say why the points change: a reason is required.")
    user = lock_user(user_id)
    action_data = {"reason": reason, "staff_user_id": staff_user_id}
    change = grant if delta >= 0 else spend
    try:
        entry = change(
            user, abs(delta), "points_adjusted", brand_id=brand_id, action_data=action_data
        )
    except InsufficientPoints:
        db.session.rollback()
        raise
    jobs.commit()
    return entry


@dataclass(frozen=True)
class LogDetails:
    """Where and about what an action happened, as written on its log row."""

    brand_id: int | None
    product_id: int | None = None
    action_data: dict | None = None
    ip_address: str | None = None
    user_agent: str | None = None


def _log_row(user, action_type, points, details):
    row = UserActionLog(
        user_id=user.id,
        action_type=action_type,
        points_awarded=points,
        brand_id=details.brand_id,
        product_id=details.product_id,
        action_data=details.action_data,
        ip_address=details.ip_address,
        user_agent=details.user_agent,
    )
    db.session.add(row)
    return row


def _record(user, points, action_type, details):
    row = _log_row(user, action_type, points, details)
    old_rank_key, new_rank_key = _update_rank(user, details.brand_id)
    from webapp.loyalty.goals import sync_goals  # goals builds on the ledger: import late

    sync_goals(user, details.brand_id)
    if details.brand_id is not None:
        record_identify(user, brand_id=details.brand_id)  # balance (and maybe rank) changed
    db.session.flush()
    return LedgerEntry(row, user, old_rank_key, new_rank_key)


def _update_rank(user, brand_id):
    """Keep `current_rank_key` on the brand's ladder; log and record a move."""
    old_key = user.current_rank_key
    new_rank = rank_for(ladder(brand_id), user.lifetime_points)
    if new_rank.key == old_key:
        return old_key, old_key
    user.current_rank_key = new_rank.key
    if (old_key or MEMBER_RANK_KEY) != new_rank.key:
        context = {"old_rank_key": old_key or MEMBER_RANK_KEY, "new_rank_key": new_rank.key}
        log_action(user, "rank_changed", brand_id=brand_id, action_data=context)
        record_event(
            user,
            "rank_changed",
            brand_id=brand_id,
            context={**context, "new_rank_name": new_rank.name},
        )
    return old_key, new_rank.key
