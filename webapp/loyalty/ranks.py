"""Rank ladders: the implicit member rank and the brand's active ranks."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from webapp.extensions import db
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


MEMBER_RANK = RankStep(MEMBER_RANK_KEY, "Member", 0, Decimal("1.00"), None)


def ladder(brand_id):
    """The brand's active ranks, lowest first, starting with the implicit member rank."""
    rows = db.session.scalars(
        select(Rank)
        .where(Rank.brand_id == brand_id, Rank.is_active.is_(True))
        .order_by(Rank.points_required, Rank.id)
    )
    steps = [
        RankStep(
            r.key, r.name, r.points_required, r.point_multiplier or Decimal("1.00"), r.benefits
        )
        for r in rows
    ]
    if not steps or steps[0].points_required > 0:
        steps.insert(0, MEMBER_RANK)
    return steps


def rank_for(steps, lifetime_points):
    """The highest step whose threshold `lifetime_points` reaches."""
    current = steps[0]
    for step in steps:
        if step.points_required <= (lifetime_points or 0):
            current = step
    return current


def rank_name_for(brand, rank_key):
    """The display name of `rank_key` in the brand's ladder ("Member" when unknown)."""
    if brand is None or not rank_key:
        return MEMBER_RANK.name
    for step in ladder(brand.id):
        if step.key == rank_key:
            return step.name
    return MEMBER_RANK.name
