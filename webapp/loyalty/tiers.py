"""The daily step of tiers that requalify: members short of their rank's points keep it
through the grace days, then go down one rank per daily run.

For each member above the lowest rank (or still in a grace) of a period program, on the
brand's day D: the period's points (`qualifying.period_points`, the period D closes) reach the
rank held → any grace is cleared; they fall short → a grace begins (D to D + grace_days, the
day the rank goes down unless requalified); once that day has come → one rank down, recorded as
`rank_changed` (direction down, reason requalification, the day), and the grace goes on while
the new rank is still short. `tier_dropped_on` holds the day of the last drop: a second run of
the same day lowers nobody again.
"""

from datetime import timedelta

from sqlalchemy import and_, or_, select

from webapp.extensions import db
from webapp.loyalty.ledger import lock_member, move_rank
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.program_day import DailyStep
from webapp.loyalty.qualifying import period_points, tier_policy
from webapp.loyalty.ranks import ladder, position_of
from webapp.models import MemberWallet

REASON = "requalification"


def members_to_requalify(brand, day):
    """The brand's members above its lowest rank or in a grace, in id order (none in a
    lifetime program). Reads `idx_brand_rank` (brand_id, current_rank_key)."""
    if tier_policy(brand.id).is_lifetime:
        return []
    lowest = ladder(brand.id)[0].key
    return db.session.scalars(
        select(MemberWallet.user_id)
        .where(
            MemberWallet.brand_id == brand.id,
            or_(
                and_(
                    MemberWallet.current_rank_key.is_not(None),
                    MemberWallet.current_rank_key != lowest,
                ),
                MemberWallet.tier_grace_ends_on.is_not(None),
            ),
        )
        .order_by(MemberWallet.user_id)
    ).all()


def requalify_members(brand, day, user_ids):
    """Evaluate each member (locked through the ledger); how many changed."""
    changed = 0
    for user_id in user_ids:
        try:
            member = lock_member(user_id, brand.id)
        except NotAMember:
            continue  # left the brand since the list was read
        changed += requalify(member, day)
    return changed


def requalify(member, day):
    """Evaluate one locked member on the brand's `day`; 1 when something changed, else 0."""
    wallet, brand_id = member.wallet, member.brand_id
    policy = tier_policy(brand_id)
    if policy.is_lifetime:
        return 0
    steps = ladder(brand_id)
    index = position_of(steps, wallet.current_rank_key)
    if index == 0:
        return _clear_grace(wallet)
    points = period_points(member.id, brand_id, day, policy=policy)
    if points >= steps[index].points_required:
        return _clear_grace(wallet)
    if wallet.tier_dropped_on == day:
        return 0  # this day already lowered the rank: one rank per evaluation
    started = wallet.tier_grace_ends_on is None
    if started:
        wallet.tier_grace_started_on = day
        wallet.tier_grace_ends_on = day + timedelta(days=policy.grace_days)
    if day < wallet.tier_grace_ends_on:
        return int(started)
    lower = steps[index - 1]
    move_rank(member, lower, direction="down", reason=REASON, day=day)
    wallet.tier_dropped_on = day
    if index - 1 == 0 or points >= lower.points_required:
        _clear_grace(wallet)
    return 1


def _clear_grace(wallet):
    if wallet.tier_grace_ends_on is None and wallet.tier_grace_started_on is None:
        return 0
    wallet.tier_grace_started_on = wallet.tier_grace_ends_on = None
    return 1


REQUALIFY_STEP = DailyStep("tiers", members_to_requalify, requalify_members)
