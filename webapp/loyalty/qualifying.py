"""Tiers that requalify: a brand's qualifying period, a member's points in it, the rank held.

`brands.settings.tiers.qualifying` says what a rank is earned on: `lifetime` (lifetime points;
a rank never goes down: the program as it always was), `rolling_12_months` (the points of the
last twelve months) or `calendar_year` (the points since 1 January), on the brand's clock. In a
period program the ledger raises the rank at once when a grant makes the period's points reach
a step (`ledger._update_rank`); only the daily run (`webapp.loyalty.tiers`) lowers it, after
the grace days, one step a day.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.loyalty.ranks import RankProgress, ladder, position_of, rank_for, rank_progress
from webapp.models import Brand, TierEntryReward, UserActionLog
from webapp.timeutil import utcnow

LIFETIME = "lifetime"
ROLLING_12_MONTHS = "rolling_12_months"
CALENDAR_YEAR = "calendar_year"
# The ledger rows whose points count towards a period's qualification: what members earn by
# taking part (scans, referrals, achievements, campaign bonuses), less the earnings reversed.
# Not gifts or bookkeeping: birthday bonuses, tier entry rewards (a rank would pay for the
# next), staff adjustments, refunds of spent points, expiry.
QUALIFYING_ACTIONS = (
    "product_scanned",
    "referral_converted",
    "referral_bonus",
    "achievement_unlocked",
    "campaign_bonus_awarded",
    "points_reversed",
)


@dataclass(frozen=True)
class TierPolicy:
    """A brand's `settings.tiers`, with the time zone its days are read in."""

    qualifying: str = LIFETIME
    grace_days: int = 30
    timezone: str = "UTC"

    @property
    def is_lifetime(self):
        """True when ranks follow lifetime points and never go down."""
        return self.qualifying == LIFETIME

    def today(self, now=None):
        """The brand's date at `now` (a naive UTC datetime; default: the clock)."""
        moment = (now or utcnow()).replace(tzinfo=UTC)
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def day_start(self, day):
        """The naive UTC datetime at which `day` begins at the brand."""
        local = datetime.combine(day, time.min, tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC).replace(tzinfo=None)

    def period_start(self, day):
        """The first day of the qualifying period that `day` closes (None: lifetime)."""
        if self.qualifying == CALENDAR_YEAR:
            return date(day.year, 1, 1)
        if self.qualifying == ROLLING_12_MONTHS:
            return _year_before(day) + timedelta(days=1)
        return None


def _year_before(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _load_policy(brand_id):
    settings = settings_of(db.session.get(Brand, brand_id))
    return TierPolicy(settings.tiers.qualifying, settings.tiers.grace_days, settings.timezone)


_policies = ConfigCache(_load_policy)
invalidate_on_write(Brand, _policies, key_of=lambda row: row.id)


def tier_policy(brand_id):
    """The brand's tier policy (cached like the ladder)."""
    return _policies.get(brand_id)


def period_points(user_id, brand_id, day, *, policy=None, whole_day=True, leaving_out=None):
    """The member's qualifying points at the brand in the period that `day` closes (never
    below 0). `whole_day=False` counts up to now (the ledger, mid-day); `leaving_out` is the
    id of a ledger row not to count (the one being written).

    One sum over the member's own ledger rows of the qualifying actions (`idx_user_action`:
    user_id, action_type); the action log keeps a year (older rows are archived), so the
    range read is bounded by the member's year of activity.
    """
    policy = policy or tier_policy(brand_id)
    start = policy.period_start(day)
    query = select(func.coalesce(func.sum(UserActionLog.points_awarded), 0)).where(
        UserActionLog.user_id == user_id,
        UserActionLog.action_type.in_(QUALIFYING_ACTIONS),
        UserActionLog.brand_id == brand_id,
    )
    if start is not None:
        query = query.where(UserActionLog.created_at >= policy.day_start(start))
    if whole_day:
        query = query.where(UserActionLog.created_at < policy.day_start(day + timedelta(days=1)))
    if leaving_out is not None:
        query = query.where(UserActionLog.id != leaving_out)
    return max(0, int(db.session.scalar(query) or 0))


def held_rank(steps, wallet, policy):
    """The rank the member holds: by lifetime points in a lifetime program (as always), else
    the wallet's rank (which only the ledger raises and the daily run lowers)."""
    if policy.is_lifetime:
        return rank_for(steps, wallet.lifetime_points)
    return steps[position_of(steps, wallet.current_rank_key)]


def member_rank(wallet):
    """The rank the wallet holds on its brand's ladder."""
    return held_rank(ladder(wallet.brand_id), wallet, tier_policy(wallet.brand_id))


def unlocked_reward_ids(user_id, brand_id):
    """The reward products the member's tier entry rewards unlocked at the brand."""
    return set(
        db.session.scalars(
            select(TierEntryReward.product_id).where(
                TierEntryReward.user_id == user_id,
                TierEntryReward.brand_id == brand_id,
                TierEntryReward.product_id.is_not(None),
            )
        )
    )


@dataclass(frozen=True)
class TierStanding:
    """Where a member stands: progress on the ladder and, in a period program, the period's
    points and any grace (`keep_by`: the last day to earn `points_to_keep`)."""

    progress: RankProgress
    qualifying: str = LIFETIME
    period_points: int | None = None
    period_starts_on: date | None = None
    points_to_keep: int = 0
    keep_by: date | None = None
    dropping: bool = False

    @property
    def in_grace(self):
        """True while the member falls short and may still requalify."""
        return self.keep_by is not None and not self.dropping


def tier_standing(wallet, now=None):
    """The member's standing at the wallet's brand (lifetime programs: progress as always)."""
    brand_id = wallet.brand_id
    policy = tier_policy(brand_id)
    if policy.is_lifetime:
        return TierStanding(rank_progress(brand_id, wallet.lifetime_points))
    steps = ladder(brand_id)
    today = policy.today(now)
    points = period_points(wallet.user_id, brand_id, today, policy=policy, whole_day=False)
    index = position_of(steps, wallet.current_rank_key)
    current = steps[index]
    upcoming = steps[index + 1] if index + 1 < len(steps) else None
    if upcoming is None:
        progress = RankProgress(current, None, 0, 100)
    else:
        span = upcoming.points_required - current.points_required
        done = points - current.points_required
        percent = min(99, max(0, done * 100 // span)) if span > 0 else 0
        progress = RankProgress(
            current, upcoming, max(0, upcoming.points_required - points), percent
        )
    short = max(0, current.points_required - points)
    ends_on = wallet.tier_grace_ends_on
    grace = ends_on is not None and short > 0
    return TierStanding(
        progress,
        policy.qualifying,
        points,
        policy.period_start(today),
        short if grace else 0,
        ends_on - timedelta(days=1) if grace else None,
        grace and today >= ends_on,
    )
