"""Rank ladders: the implicit member rank, the brand's active ranks, progress to the next."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.models import Rank

MEMBER_RANK_KEY = "member"


@dataclass(frozen=True)
class RankStep:
    """One rung of a ladder, detached from the session."""

    key: str
    name: str
    points_required: int
    multiplier: Decimal
    benefits: str | None = None
    # What reaching the rank gives, once per member ever (ranks.entry_points/entry_product_id).
    entry_points: int | None = None
    entry_product_id: int | None = None


@dataclass(frozen=True)
class RankProgress:
    """Where a member stands on the ladder: the rank held and the distance to the next."""

    current: RankStep
    next: RankStep | None
    points_to_next: int
    percent: int


MEMBER_RANK = RankStep(MEMBER_RANK_KEY, "Member", 0, Decimal("1.00"), None)


def _load_ladder(brand_id):
    rows = db.session.scalars(
        select(Rank)
        .where(Rank.brand_id == brand_id, Rank.is_active.is_(True))
        .order_by(Rank.points_required, Rank.id)
    )
    steps = [
        RankStep(
            r.key,
            r.name,
            r.points_required,
            r.point_multiplier or Decimal("1.00"),
            r.benefits,
            r.entry_points,
            r.entry_product_id,
        )
        for r in rows
    ]
    if not steps or steps[0].points_required > 0:
        steps.insert(0, MEMBER_RANK)
    return tuple(steps)


_ladders = ConfigCache(_load_ladder)
invalidate_on_write(Rank, _ladders)


def ladder(brand_id):
    """The brand's active ranks, lowest first, starting with the implicit member rank (cached)."""
    return _ladders.get(brand_id)


def rank_for(steps, lifetime_points):
    """The highest step whose threshold `lifetime_points` reaches."""
    current = steps[0]
    for step in steps:
        if step.points_required <= (lifetime_points or 0):
            current = step
    return current


def stored_rank(steps, wallet):
    """The rank the wallet holds, as the ledger stored it (`current_rank_key`, kept current by
    every grant); a stored rank no longer on the ladder reads as the one its points reach."""
    key = wallet.current_rank_key or MEMBER_RANK_KEY
    for step in steps:
        if step.key == key:
            return step
    return rank_for(steps, wallet.lifetime_points)


def position_of(steps, rank_key):
    """The index of `rank_key` on the ladder (0, the lowest step, when it is not on it)."""
    for index, step in enumerate(steps):
        if step.key == rank_key:
            return index
    return 0


def rank_progress(brand_id, lifetime_points):
    """The member's rank, the next one, the points still needed and the percent of the way."""
    steps = ladder(brand_id)
    lifetime_points = lifetime_points or 0
    current = rank_for(steps, lifetime_points)
    higher = [s for s in steps if s.points_required > lifetime_points]
    if not higher:
        return RankProgress(current, None, 0, 100)
    upcoming = higher[0]
    span = upcoming.points_required - current.points_required
    done = lifetime_points - current.points_required
    percent = min(99, max(0, done * 100 // span)) if span > 0 else 0
    return RankProgress(current, upcoming, upcoming.points_required - lifetime_points, percent)


def rank_name_for(brand, rank_key):
    """The display name of `rank_key` in the brand's ladder ("Member" when unknown)."""
    if brand is None or not rank_key:
        return MEMBER_RANK.name
    for step in ladder(brand.id):
        if step.key == rank_key:
            return step.name
    return MEMBER_RANK.name
