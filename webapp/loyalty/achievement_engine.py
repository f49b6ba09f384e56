"""Evaluating achievements inside an action's transaction, with a bounded number of queries.

Per evaluation: the member's progress rows (one query, usually loaded by the caller), the AI
profile (one query, only when a targeted achievement exists), one aggregate query per metric
source, then one INSERT for new progress rows and one UPDATE for changed ones. Each unlock adds
its own ledger row and outbox event.
"""

import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import case, insert, select, update

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.achievement_catalog import active_achievements, load_ai_profile
from webapp.loyalty.achievement_metrics import count_unlocked, measure
from webapp.loyalty.ledger import grant, log_action
from webapp.models import AchievementConfig, UserAchievement
from webapp.timeutil import utcnow

UINT_MAX = 4_294_967_295
COMPARE = {
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "<=": operator.le,
    "<": operator.lt,
}
NOT_MEASURED = ("custom", "achievement_unlocked")
SAVED_COLUMNS = (
    "progress",
    "completed",
    "completed_at",
    "points_rewarded",
    "boost_multiplier",
    "boost_expires_at",
)


@dataclass
class Progress:
    """One `user_achievements` row as plain values."""

    row_id: int | None = None
    config_brand_id: int | None = None
    progress: int = 0
    completed: bool = False
    completed_at: datetime | None = None
    points_rewarded: int = 0
    boost_multiplier: Decimal | None = None
    boost_expires_at: datetime | None = None


@dataclass(frozen=True)
class Unlock:
    """An achievement a member just unlocked, as the portal announces it."""

    key: str
    name: str
    points: int
    badge: str | None
    rarity: str
    boost_multiplier: Decimal | None
    boost_days: int | None
    exclusive_access: bool


@dataclass
class AchievementState:
    """A member's progress on every achievement, loaded in one query under the user lock."""

    user_id: int
    rows: dict = field(default_factory=dict)
    changed: set = field(default_factory=set)

    @classmethod
    def load(cls, user_id):
        """Read the member's rows (the caller holds the user row lock)."""
        result = db.session.execute(
            select(
                UserAchievement.achievement_config_id,
                UserAchievement.id,
                AchievementConfig.brand_id,
                *(getattr(UserAchievement, name) for name in SAVED_COLUMNS),
            )
            .join(AchievementConfig, AchievementConfig.id == UserAchievement.achievement_config_id)
            .where(UserAchievement.user_id == user_id)
        )
        rows = {r[0]: Progress(*r[1:]) for r in result}
        for row in rows.values():
            row.completed = bool(row.completed)
        return cls(user_id, rows)

    def get(self, achievement):
        """The row of `achievement` (a blank one when the member has none yet)."""
        if achievement.id not in self.rows:
            self.rows[achievement.id] = Progress(config_brand_id=achievement.brand_id)
        return self.rows[achievement.id]

    def is_completed(self, achievement):
        """True once the member unlocked it."""
        row = self.rows.get(achievement.id)
        return bool(row and row.completed)

    def boost(self, brand_id, now):
        """The product of the member's unexpired boosts from this brand's or global unlocks."""
        total = Decimal(1)
        for row in self.rows.values():
            live = row.boost_expires_at is not None and row.boost_expires_at > now
            if live and row.boost_multiplier and row.config_brand_id in (None, brand_id):
                total *= row.boost_multiplier
        return total

    def unlocked(self):
        """(completed_at, brand_id) of every unlocked achievement."""
        return [(r.completed_at, r.config_brand_id) for r in self.rows.values() if r.completed]

    def set_progress(self, achievement, value):
        """Record a new progress value (written by `save` when it changed)."""
        row = self.get(achievement)
        if row.progress != value:
            row.progress = value
            self.changed.add(achievement.id)

    def complete(self, achievement, points, now):
        """Mark it unlocked, with its reward points and any time-boxed boost."""
        row = self.get(achievement)
        rewards = achievement.rewards
        row.completed, row.completed_at, row.points_rewarded = True, now, points
        if rewards.multiplier is not None:
            row.boost_multiplier = rewards.multiplier
            row.boost_expires_at = now + timedelta(days=rewards.multiplier_days)
        self.changed.add(achievement.id)

    def save(self, now):
        """Write changed rows: one INSERT for new ones, one UPDATE for the others."""
        new = [cid for cid in self.changed if self.rows[cid].row_id is None]
        old = [cid for cid in self.changed if self.rows[cid].row_id is not None]
        if new:
            db.session.execute(
                insert(UserAchievement.__table__).values(
                    [self._values(cid, now) | {"created_at": now} for cid in new]
                )
            )
        # Only `complete` changes more than progress, and it marks the row completed (pending
        # achievements are never completed ones): without a completed row, only progress moved.
        if old and not any(self.rows[cid].completed for cid in old):
            self._update_progress(old, now)
        elif old:
            self._update(old, now)
        self.changed.clear()

    def _update_progress(self, config_ids, now):
        """Only progress moved (a scan that unlocks nothing): one branch per distinct value,
        each with one expanding list of ids, instead of six columns of a branch per row."""
        by_value = {}
        for cid in config_ids:
            row = self.rows[cid]
            by_value.setdefault(row.progress, []).append(row.row_id)
        table = UserAchievement.__table__
        progress = case(*((table.c.id.in_(ids), value) for value, ids in by_value.items()))
        row_ids = [row_id for ids in by_value.values() for row_id in ids]
        db.session.execute(
            update(table).where(table.c.id.in_(row_ids)).values(progress=progress, updated_at=now)
        )

    def _values(self, config_id, now):
        row = self.rows[config_id]
        values = {name: getattr(row, name) for name in SAVED_COLUMNS}
        return values | {
            "user_id": self.user_id,
            "achievement_config_id": config_id,
            "updated_at": now,
        }

    def _update(self, config_ids, now):
        ids = {self.rows[cid].row_id: self.rows[cid] for cid in config_ids}
        table = UserAchievement.__table__
        values = {
            name: case(
                {row_id: getattr(row, name) for row_id, row in ids.items()}, value=table.c.id
            )
            for name in SAVED_COLUMNS
        }
        db.session.execute(
            update(table).where(table.c.id.in_(ids)).values(**values, updated_at=now)
        )


def evaluate_achievements(member, *, state=None, now=None, force=None, source=None):
    """Unlock every achievement the member now meets (chains included); returns the unlocks.

    `member` is locked (`ledger.lock_member`); the brand is its wallet's, and a global
    achievement's points go to that wallet. `force`: a custom achievement granted by `source`
    (staff or a webhook), unlocked first. Nothing is committed: the calling service commits
    the whole action.
    """
    now = now or utcnow()
    user, brand_id = member.user, member.brand_id
    state = state or AchievementState.load(user.id)
    catalog = active_achievements(brand_id)
    profile = load_ai_profile(user.id, brand_id) if any(a.is_targeted for a in catalog) else None
    pending = [a for a in catalog if a.offered_to(profile) and not state.is_completed(a)]
    values = measure(
        user.id,
        {a.metric_spec() for a in pending if a.achievement_type not in NOT_MEASURED},
        now,
    )
    unlock = _Unlocker(member, state, profile, now)
    if force is not None:
        unlock(force, source=source)
        pending = [a for a in pending if a.id != force.id]
    while True:  # a fixed point: each round only raises achievement_unlocked counts
        current = {a.id: _value(a, values, state, now) for a in pending}
        for achievement in pending:
            if current[achievement.id] is not None:
                state.set_progress(achievement, _progress(achievement, current[achievement.id]))
        reached = [a for a in pending if _satisfied(a, current[a.id])]
        if not reached:
            break
        for achievement in reached:
            unlock(achievement)
        pending = [a for a in pending if a not in reached]
    state.save(now)
    return unlock.unlocks


class _Unlocker:
    """Unlocks achievements for one member: reward through the ledger, row, event."""

    def __init__(self, member, state, profile, now):
        self.member, self.user, self.brand_id = member, member.user, member.brand_id
        self.state = state
        self.profile, self.now = profile, now
        self.unlocks = []

    def __call__(self, achievement, source=None):
        rewards = achievement.rewards
        bonus = achievement.bonus_for(self.profile)
        points = int((rewards.points * bonus).to_integral_value(ROUND_FLOOR))
        data = {"achievement_key": achievement.key, "achievement_id": achievement.id}
        if source:
            data["source"] = source
        if points:
            grant(self.member, points, "achievement_unlocked", action_data=data)
        else:
            log_action(self.user, "achievement_unlocked", brand_id=self.brand_id, action_data=data)
        self.state.complete(achievement, points, self.now)
        found = Unlock(
            achievement.key,
            achievement.name,
            points,
            rewards.badge,
            achievement.parts.metadata.rarity,
            rewards.multiplier,
            rewards.multiplier_days,
            rewards.exclusive_access,
        )
        context = {**data, "name": achievement.name, "points": points, "badge": rewards.badge}
        record_event(self.user, "achievement_unlocked", brand_id=self.brand_id, context=context)
        self.unlocks.append(found)
        return found


def _value(achievement, values, state, now):
    kind = achievement.achievement_type
    if kind == "custom":
        return None
    if kind == "achievement_unlocked":
        return count_unlocked(achievement.metric_spec(), state.unlocked(), now)
    return values[achievement.metric_spec()]


def _satisfied(achievement, value):
    if value is None:
        return False
    criteria = achievement.criteria
    return COMPARE[criteria.operator](value, criteria.value)


def _progress(achievement, value):
    criteria = achievement.criteria
    if criteria.operator in (">=", ">"):
        value = min(value, criteria.value)
    return int(min(max(value, 0), UINT_MAX))
