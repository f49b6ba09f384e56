"""The points ledger: the one way to change a balance, always under the wallet's row lock.

Every ledger row changes exactly one wallet, the member's wallet at the row's brand.
`lock_member` locks the person (`users`, whose totals move too) and then that wallet, in that
order everywhere. `grant` and `spend` write the `user_action_log` row, move the wallet's
`points_balance` / `lifetime_points` and the person's totals over all wallets by the same
amount (`take_back` takes what a balance still holds, never below zero, and records the
shortfall), keep the wallet's rank on the brand's ladder (recording `rank_changed`) and the
member's goals at that brand current. Nothing here commits: the boundary that runs the
action (a view, job or command) commits once, so the whole action is one transaction.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, event, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from webapp.events.outbox import record_event, record_identify
from webapp.extensions import db
from webapp.jobs import inside_transaction
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.qualifying import QUALIFYING_ACTIONS, period_points, tier_policy
from webapp.loyalty.ranks import MEMBER_RANK_KEY, ladder, position_of, rank_for
from webapp.models import (
    MemberWallet,
    Product,
    TierEntryReward,
    User,
    UserActionLog,
    UserGoal,
)
from webapp.timeutil import utcnow

# INT UNSIGNED: the most a balance or lifetime column holds.
MAX_POINTS = 2**32 - 1
# INT: the most one ledger row (`user_action_log.points_awarded`) holds, either way.
MAX_ENTRY = 2**31 - 1
# session.info key: (the transaction holding a member's locks, (user id, brand id),
# (user, wallet)): the member last locked.
LOCKED_MEMBERS = "locked_members"
# session.info key: the Member inside `settled_once`, whose ledger rows wait for its writes.
SETTLING = "settling_member"


class InsufficientPoints(Exception):
    """The balance does not cover the points asked for."""

    def __init__(self, balance, needed):
        super().__init__(f"You have {balance} points; this needs {needed}.")
        self.balance = balance
        self.needed = needed


class PointsLimitExceeded(ValueError):
    """The change would take a balance (or one ledger row) past what its column holds."""

    def __init__(self, message=None):
        super().__init__(message or f"That would take the balance past {MAX_POINTS:,} points.")


def check_entry(points):
    """PointsLimitExceeded when one change is larger than a ledger row holds."""
    if points > MAX_ENTRY:
        raise PointsLimitExceeded(f"One change can move at most {MAX_ENTRY:,} points.")


@dataclass
class Member:
    """A person and their wallet at one brand, both locked until the transaction ends."""

    user: User
    wallet: MemberWallet
    # Inside `settled_once`: the changes leave their writes and the goals to its end, the
    # member's ledger rows waiting here with the transaction that made them
    # (`write_settled`).
    settle_later: bool = False
    pending: list = field(default_factory=list)

    @property
    def id(self):
        """The person's user id."""
        return self.user.id

    @property
    def brand_id(self):
        """The brand of the wallet."""
        return self.wallet.brand_id


@dataclass
class LedgerEntry:
    """What one change of points did: its log row, the member, the rank before and after."""

    log: UserActionLog
    member: Member
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


def lock_member(user_id, brand_id):
    """The person and their wallet at `brand_id`, both locked in one statement (person first:
    InnoDB locks the rows in the join's order, `STRAIGHT_JOIN` keeps it); NotAMember when
    they never joined the brand.

    Locked once per transaction: asked again in the same one (the sign-in of a scan request
    locked them, then the scan asks), the rows it holds are returned without a statement."""
    session = db.session()
    held = session.info.get(LOCKED_MEMBERS)
    if held is not None and held[:2] == (session.get_transaction(), (user_id, brand_id)):
        return Member(*held[2])
    row = db.session.execute(
        select(User, MemberWallet)
        .prefix_with("STRAIGHT_JOIN", dialect="mysql")
        .prefix_with("STRAIGHT_JOIN", dialect="mariadb")
        .join(
            MemberWallet,
            and_(MemberWallet.user_id == User.id, MemberWallet.brand_id == brand_id),
        )
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        lock_user(user_id)  # NoResultFound when there is no such person
        raise NotAMember(brand_id)
    # With the transaction that holds the locks (a later one locks anew), and the rows
    # themselves: the session's identity map keeps only what something else refers to.
    session.info[LOCKED_MEMBERS] = (session.get_transaction(), (user_id, brand_id), tuple(row))
    return Member(*row)


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
    member,
    points,
    action_type,
    *,
    product_id=None,
    action_data=None,
    ip_address=None,
    user_agent=None,
    count_towards_lifetime=True,
):
    """Add `points` (>= 0) to a locked member's wallet (and lifetime), logged as `action_type`.

    A refund of spent points passes `count_towards_lifetime=False`: it restores the balance
    without raising lifetime points (or the rank) a second time. PointsLimitExceeded when a
    balance would pass its column's range (nothing is changed).
    """
    if points < 0:
        raise ValueError("grant() takes a positive amount; use spend() to take points")
    check_entry(points)
    wallet, user = member.wallet, member.user
    lifetime_points = points if count_towards_lifetime else 0
    if (user.points_balance or 0) + points > MAX_POINTS or (
        user.lifetime_points or 0
    ) + lifetime_points > MAX_POINTS:
        raise PointsLimitExceeded()
    wallet.points_balance += points
    wallet.lifetime_points += lifetime_points
    user.points_balance = (user.points_balance or 0) + points
    user.lifetime_points = (user.lifetime_points or 0) + lifetime_points
    details = LogDetails(wallet.brand_id, product_id, action_data, ip_address, user_agent)
    return _record(member, points, action_type, details)


def spend(
    member,
    points,
    action_type,
    *,
    product_id=None,
    action_data=None,
    ip_address=None,
    user_agent=None,
):
    """Take `points` (>= 0) from a locked member's wallet; InsufficientPoints when it is short.

    Only the wallet of the member's brand pays: points another brand issued never do.
    """
    if points < 0:
        raise ValueError("spend() takes a positive amount; use grant() to add points")
    check_entry(points)
    wallet, user = member.wallet, member.user
    if wallet.points_balance < points:
        raise InsufficientPoints(wallet.points_balance, points)
    wallet.points_balance -= points
    user.points_balance = (user.points_balance or 0) - points
    details = LogDetails(wallet.brand_id, product_id, action_data, ip_address, user_agent)
    return _record(member, -points, action_type, details)


def take_back(member, points, action_type, *, product_id=None, action_data=None):
    """Take up to `points` (>= 0) back from a locked member's wallet, never below zero.

    What the balance cannot cover is the shortfall: the row (`-taken` points) records
    `points_asked`, `points_taken` and `shortfall` in its action_data beside `action_data`, so
    a balance already spent leaves a 0-point row that still says what was owed. Lifetime
    points (and so the rank) stay: the points were earned in good faith.
    """
    if points < 0:
        raise ValueError("take_back() takes a positive amount")
    check_entry(points)
    wallet, user = member.wallet, member.user
    taken = min(points, wallet.points_balance)
    wallet.points_balance -= taken
    user.points_balance = (user.points_balance or 0) - taken
    recorded = {
        **(action_data or {}),
        "points_asked": points,
        "points_taken": taken,
        "shortfall": points - taken,
    }
    details = LogDetails(wallet.brand_id, product_id, recorded)
    return _record(member, -taken, action_type, details)


def expire(member, points, *, action_data=None):
    """Take up to `points` of a locked member's balance as `points_expired` (never below zero);
    the expired entry, or None when nothing was left to take.

    Lifetime points (and so the rank) stay: expiry ends points that were earned, as a spend
    does. Expiry is not the member's activity: the wallet's last activity is kept.
    """
    points = min(points, member.wallet.points_balance)
    if points <= 0:
        return None
    last_activity_at = member.wallet.last_activity_at
    entry = spend(member, points, "points_expired", action_data=action_data)
    member.wallet.last_activity_at = last_activity_at
    return entry


def adjust(user_id, delta, *, brand_id, reason, staff_user_id):
    """A staff correction of a member's points with its reason (the caller commits).

    Only the member's wallet at `brand_id` changes. Raises InsufficientPoints when a deduction
    is larger than that balance, PointsLimitExceeded when an addition would overflow it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Say why the points change: a reason is required.")
    action_data = {"reason": reason, "staff_user_id": staff_user_id}
    change = grant if delta >= 0 else spend
    member = lock_member(user_id, brand_id)
    return change(member, abs(delta), "points_adjusted", action_data=action_data)


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
    session = db.session()
    settling = session.info.get(SETTLING)
    if settling is not None and (settling.id, settling.brand_id) == (user.id, details.brand_id):
        # in creation order with the settled grants' rows, written with them
        holder = session.get_nested_transaction() or session.get_transaction()
        settling.pending.append((row, holder))
    else:
        session.add(row)
    return row


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_rows(session, previous_transaction):
    """A savepoint rolled back inside a settled block takes the rows it made with it."""
    settling = session.info.get(SETTLING)
    if settling is not None and settling.pending:
        settling.pending = [
            (row, holder)
            for row, holder in settling.pending
            if not inside_transaction(holder, previous_transaction)
        ]


def _record(member, points, action_type, details):
    row = _log_row(member.user, action_type, points, details)
    member.wallet.last_activity_at = utcnow()
    old_rank_key, new_rank_key = _update_rank(member, row)
    record_identify(member.user, brand_id=member.brand_id)  # balance (and maybe rank) changed
    if not member.settle_later:
        sync_goals(member)
        db.session.flush()
    return LedgerEntry(row, member, old_rank_key, new_rank_key)


def _update_rank(member, row=None):
    """Keep the wallet's `current_rank_key` on its brand's ladder; log and record a move.

    In a lifetime program the rank follows lifetime points. In a period program
    (`qualifying.tier_policy`) a qualifying grant raises it at once when the period's points
    reach a higher step and clears a grace the member has requalified from; it never goes
    down here (the daily run lowers it). Reaching a rank pays its entry reward, once ever.
    `users.current_rank_key` mirrors the rank at the brand the person signed up with (at
    every brand for an account that signed up nowhere, such as staff who joined programs).
    """
    wallet, user, brand_id = member.wallet, member.user, member.brand_id
    old_key = wallet.current_rank_key
    steps = ladder(brand_id)
    policy = tier_policy(brand_id)
    if policy.is_lifetime:
        new_rank = rank_for(steps, wallet.lifetime_points)
    else:
        new_rank = _period_rank(member, steps, policy, row)
    if user.signup_brand_id in (None, brand_id):
        user.current_rank_key = new_rank.key
    if new_rank.key == old_key:
        return old_key, old_key
    wallet.current_rank_key = new_rank.key
    if (old_key or MEMBER_RANK_KEY) == new_rank.key:
        return old_key, new_rank.key
    old_index, new_index = position_of(steps, old_key), position_of(steps, new_rank.key)
    direction = "up" if new_index >= old_index else "down"
    reason = "lifetime_points" if policy.is_lifetime else "period_points"
    # A lifetime program's log row reads as it always did; a period program's says more.
    details = {} if policy.is_lifetime else {"direction": direction, "reason": reason}
    _announce_rank(member, old_key, new_rank, details, direction=direction, reason=reason)
    if direction == "up":
        _pay_entry_rewards(member, steps, old_index, new_index)
    return old_key, new_rank.key


def _period_rank(member, steps, policy, row):
    """The rank after a change (`row`, its ledger row) in a period program: the held one, or
    a higher one the period's points now reach (only a qualifying grant can raise it)."""
    wallet = member.wallet
    held_index = position_of(steps, wallet.current_rank_key)
    held = steps[held_index]
    if row is None or row.action_type not in QUALIFYING_ACTIONS or row.points_awarded <= 0:
        return held
    # The row may be flushed already or still pending: the sum leaves it out either way and
    # adds its points, so it never flushes early (one statement more per qualifying grant).
    with db.session.no_autoflush:
        earlier = period_points(
            member.id,
            member.brand_id,
            policy.today(),
            policy=policy,
            whole_day=False,
            leaving_out=row.id,
        )
    earned = earlier + row.points_awarded
    if earned >= held.points_required and wallet.tier_grace_ends_on is not None:
        wallet.tier_grace_started_on = wallet.tier_grace_ends_on = None  # requalified
    reached = rank_for(steps, earned)
    return reached if position_of(steps, reached.key) > held_index else held


def move_rank(member, new_rank, *, direction, reason, day=None):
    """Put a locked member's wallet on `new_rank` (a RankStep), logging `rank_changed` with
    its direction (up/down), reason and day, and recording the event (the daily run)."""
    wallet, user = member.wallet, member.user
    old_key = wallet.current_rank_key
    wallet.current_rank_key = new_rank.key
    if user.signup_brand_id in (None, member.brand_id):
        user.current_rank_key = new_rank.key
    details = {"direction": direction, "reason": reason}
    if day is not None:
        details["day"] = day.isoformat()
    _announce_rank(member, old_key, new_rank, details, direction=direction, reason=reason)
    record_identify(user, brand_id=member.brand_id)  # the rank attribute changed


def _announce_rank(member, old_key, new_rank, details, *, direction, reason):
    user, brand_id = member.user, member.brand_id
    context = {"old_rank_key": old_key or MEMBER_RANK_KEY, "new_rank_key": new_rank.key}
    log_action(user, "rank_changed", brand_id=brand_id, action_data={**context, **details})
    record_event(
        user,
        "rank_changed",
        brand_id=brand_id,
        context={
            **context,
            "new_rank_name": new_rank.name,
            "direction": direction,
            "reason": reason,
        },
    )


def _pay_entry_rewards(member, steps, old_index, new_index):
    """Each rank reached above `old_index` (up to `new_index`) pays its entry reward, once
    per member ever: the `tier_entry_rewards` row (primary key member, brand, rank) is the
    proof, written in a savepoint so a rank already paid is simply passed over."""
    for step in steps[old_index + 1 : new_index + 1]:
        if not (step.entry_points or step.entry_product_id):
            continue
        if db.session.get(TierEntryReward, (member.id, member.brand_id, step.key)):
            continue  # reached before: paid then
        points = step.entry_points or 0
        if _would_overflow(member, points):
            points = 0  # a balance at its column's limit takes no more
        record = TierEntryReward(
            user_id=member.id,
            brand_id=member.brand_id,
            rank_key=step.key,
            points=points,
            product_id=step.entry_product_id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(record)
                db.session.flush()
        except IntegrityError:
            continue  # paid by a transaction beside this one
        _pay_entry_reward(member, step, points)


def _would_overflow(member, points):
    return (
        points > MAX_ENTRY
        or (member.user.points_balance or 0) + points > MAX_POINTS
        or member.wallet.points_balance + points > MAX_POINTS
    )


def _pay_entry_reward(member, step, points):
    data = {"rank_key": step.key, "points": points, "product_id": step.entry_product_id}
    if points:
        # Not lifetime or qualifying points: a rank's reward never earns the next rank.
        grant(
            member,
            points,
            "tier_reward",
            product_id=step.entry_product_id,
            action_data=data,
            count_towards_lifetime=False,
        )
    else:
        log_action(
            member.user,
            "tier_reward",
            brand_id=member.brand_id,
            product_id=step.entry_product_id,
            action_data=data,
        )
    product = db.session.get(Product, step.entry_product_id) if step.entry_product_id else None
    record_event(
        member.user,
        "tier_reward",
        brand_id=member.brand_id,
        product=product,
        context={**data, "rank_name": step.name},
    )


@contextmanager
def settled_once(member):
    """The changes of points inside are written together and move the member's goals once,
    at the end: a scan and its bonuses write the person and the wallet once and read the
    goals once. An exception leaves the goals unmoved and the waiting rows unwritten, with
    the rest of the transaction."""
    member.settle_later = True
    db.session.info[SETTLING] = member
    try:
        yield member
    finally:
        member.settle_later = False
        db.session.info.pop(SETTLING, None)
    write_settled(member)
    sync_goals(member)
    db.session.flush()


def write_settled(member):
    """Write what the member's settled changes hold so far with prebuilt Core statements
    instead of the ORM's unit of work (the scan's hot path): the waiting ledger rows in one
    INSERT, then the person's and the wallet's points and rank, each one UPDATE, which their
    objects then hold as committed. A scan calls it before its achievements measure the
    ledger."""
    connection = db.session.connection()
    rows, member.pending = member.pending, []
    if rows:
        connection.execute(_LOG_INSERT, [_log_values(row) for row, _holder in rows])
    now = utcnow()
    for instance, statement, columns in (
        (member.user, _USER_UPDATE, _USER_COLUMNS),
        (member.wallet, _WALLET_UPDATE, _WALLET_COLUMNS),
    ):
        state = inspect(instance)
        if not any(column in state.committed_state for column in columns):
            continue
        if any(column not in state.dict for column in columns):
            continue  # something expired: the ORM's flush writes what changed
        values = {column: state.dict.get(column) for column in columns}
        keys = {
            f"key_{column.key}": value
            for column, value in zip(state.mapper.primary_key, state.identity, strict=True)
        }
        connection.execute(statement, {**values, **keys, "updated_at": now})
        for column, value in {**values, "updated_at": now}.items():
            set_committed_value(instance, column, value)


def _prebuilt_update(model, columns):
    table = model.__table__
    key = [column == bindparam(f"key_{column.key}") for column in table.primary_key.columns]
    changes = {column: bindparam(column) for column in (*columns, "updated_at")}
    return update(table).where(*key).values(changes)


_LOG_INSERT = insert(UserActionLog.__table__)
LOG_COLUMNS = (
    "user_id",
    "action_type",
    "action_data",
    "product_id",
    "points_awarded",
    "ip_address",
    "user_agent",
    "created_at",
    "brand_id",
)
# What a grant changes on the person and on the wallet (`grant`, `_record`, `_update_rank`).
_USER_COLUMNS = ("points_balance", "lifetime_points", "current_rank_key")
_WALLET_COLUMNS = (
    "points_balance",
    "lifetime_points",
    "current_rank_key",
    "last_activity_at",
    "tier_grace_started_on",
    "tier_grace_ends_on",
)
_USER_UPDATE = _prebuilt_update(User, _USER_COLUMNS)
_WALLET_UPDATE = _prebuilt_update(MemberWallet, _WALLET_COLUMNS)


def _log_values(row):
    if row.created_at is None:
        row.created_at = utcnow()
    return {column: getattr(row, column) for column in LOG_COLUMNS}


def sync_goals(member):
    """Move the member's active goals at the wallet's brand to its balance; stamp and announce
    goals just reached.

    Runs inside the caller's transaction (the ledger calls it after every balance change).
    """
    goals = db.session.scalars(
        select(UserGoal).where(
            UserGoal.user_id == member.id,
            UserGoal.brand_id == member.brand_id,
            UserGoal.is_active.is_(True),
        )
    ).all()
    balance = member.wallet.points_balance
    for goal in goals:
        goal.current_points = min(balance, goal.target_points or 0)
        if goal.completed_at is None and balance >= (goal.target_points or 0):
            _complete_goal(member.user, goal, member.brand_id)


def _complete_goal(user, goal, brand_id):
    goal.completed_at = utcnow()
    product = db.session.get(Product, goal.product_id) if goal.product_id else None
    details = {"goal_id": goal.id, "goal_name": goal.goal_name, "target_points": goal.target_points}
    log_action(
        user, "goal_reached", brand_id=brand_id, product_id=goal.product_id, action_data=details
    )
    record_event(user, "goal_reached", brand_id=brand_id, product=product, context=details)
