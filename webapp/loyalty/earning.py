"""What a scan earns: the arithmetic the scan and the campaign preview share, the brand's scan
settings (cached), and the counts behind per-member caps.

A scan's own row pays floor(points_award x min(rank x boost, max)). A campaign's bonus row
pays what its multiplier adds on top, floor(points_award x min(rank x boost x campaign, max))
minus the scan row's points, plus its fixed bonus; `max` is the brand's
`scan.max_multiplier`, the most the three multipliers together reach.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.models import Brand, MemberEarningCount

EARNING_SCOPE = "earning"


@dataclass(frozen=True)
class ScanSettings:
    """The brand settings a scan reads, detached from the session."""

    max_multiplier: Decimal
    points_per_day: int | None
    scans_per_day: int | None
    timezone: str

    def local_day(self, moment):
        """The brand's date at `moment` (a naive UTC datetime)."""
        return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone)).date()

    def day_start(self, day):
        """The naive UTC datetime at which the brand's `day` begins."""
        local = datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC).replace(tzinfo=None)


def _load_scan_settings(brand_id):
    settings = settings_of(db.session.get(Brand, brand_id))
    caps = settings.earning_caps
    return ScanSettings(
        settings.scan.max_multiplier, caps.points_per_day, caps.scans_per_day, settings.timezone
    )


_scan_settings = ConfigCache(_load_scan_settings)
invalidate_on_write(Brand, _scan_settings, key_of=lambda row: row.id)


def scan_settings(brand_id):
    """The brand's scan settings (cached)."""
    return _scan_settings.get(brand_id)


def scan_points(points_award, multiplier):
    """floor(points_award x multiplier), exactly."""
    return int((Decimal(points_award) * multiplier).to_integral_value(ROUND_FLOOR))


def scan_multiplier(rank_multiplier, boost, cap):
    """The scan row's multiplier: the rank's times the achievement boost, at most `cap`."""
    return min(rank_multiplier * boost, cap)


def campaign_bonus(points_award, rank_multiplier, boost, cap, multiplier, bonus_points):
    """(bonus points, combined multiplier) of a campaign with `multiplier` (None: x1) and a
    fixed `bonus_points`, on top of the scan row's points."""
    own = scan_multiplier(rank_multiplier, boost, cap)
    combined = min(rank_multiplier * boost * (multiplier or Decimal(1)), cap)
    added = scan_points(points_award, combined) - scan_points(points_award, own)
    return max(0, added) + (bonus_points or 0), combined


def week_start(day):
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


class EarningCount:
    """A member's count in one capped period, read under the member's lock (which serialises
    their scans: the count read is the one every earlier scan left)."""

    def __init__(self, member, scope, period_start: date):
        self._member = member
        self._key = (member.id, member.brand_id, scope, period_start)
        self._row = db.session.scalar(
            select(MemberEarningCount).where(
                MemberEarningCount.user_id == member.id,
                MemberEarningCount.brand_id == member.brand_id,
                MemberEarningCount.scope == scope,
                MemberEarningCount.period_start == period_start,
            )
        )

    @property
    def points(self):
        """Points earned in the period so far."""
        return self._row.points if self._row else 0

    @property
    def scans(self):
        """Scans counted in the period so far."""
        return self._row.scans if self._row else 0

    def add(self, points, scans=1):
        """Count `points` and `scans` more (flushed with the scan's other rows)."""
        if self._row is None:
            user_id, brand_id, scope, period_start = self._key
            self._row = MemberEarningCount(
                user_id=user_id,
                brand_id=brand_id,
                scope=scope,
                period_start=period_start,
                points=0,
                scans=0,
            )
            db.session.add(self._row)
        self._row.points += points
        self._row.scans += scans


@dataclass
class EarningCap:
    """The brand's daily earning caps as they stand for one member's scan."""

    settings: ScanSettings
    count: EarningCount

    @property
    def points_left(self):
        """Points this member may still earn by scanning today (None: no points cap)."""
        if self.settings.points_per_day is None:
            return None
        return max(0, self.settings.points_per_day - self.count.points)

    @property
    def scans_left(self):
        """Scans that may still earn today (None: no scans cap)."""
        if self.settings.scans_per_day is None:
            return None
        return max(0, self.settings.scans_per_day - self.count.scans)


def earning_cap(member, settings, now):
    """The member's daily earning cap at `now`, or None when the brand sets none (no query)."""
    if settings.points_per_day is None and settings.scans_per_day is None:
        return None
    return EarningCap(settings, EarningCount(member, EARNING_SCOPE, settings.local_day(now)))
