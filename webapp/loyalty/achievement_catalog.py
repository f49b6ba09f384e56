"""The achievements a brand offers (its own and the global ones), cached in-process."""

import logging
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import or_, select

from webapp.extensions import db
from webapp.loyalty.achievement_metrics import MetricSpec
from webapp.loyalty.achievement_schemas import AchievementParts, parse_parts
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.loyalty.personalisation import ai_profile_for
from webapp.models import AchievementConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AiProfile:
    """What the predictions say about a member, as targeting needs it."""

    segments: frozenset
    churn_probability: Decimal | None


@dataclass(frozen=True)
class Achievement:
    """An active achievement with its validated parts, detached from the session."""

    id: int
    brand_id: int | None
    key: str
    name: str
    description: str | None
    parts: AchievementParts

    @property
    def achievement_type(self):
        """scan_count, purchase_amount, referral_count, wishlist_items, achievement_unlocked
        or custom."""
        return self.parts.achievement_type

    @property
    def criteria(self):
        """What unlocks it."""
        return self.parts.criteria

    @property
    def rewards(self):
        """What unlocking gives."""
        return self.parts.rewards

    @property
    def is_targeted(self):
        """Offered only to members whose AI profile matches."""
        return self.parts.ai_enhancement.is_targeted

    def metric_spec(self):
        """The number its criteria compare (counted in its brand; everywhere when global)."""
        criteria = self.parts.criteria
        return MetricSpec(criteria.metric, criteria.timeframe, criteria.filters, self.brand_id)

    def offered_to(self, profile):
        """True when the member may earn it: untargeted, or the profile matches the target."""
        if not self.is_targeted:
            return True
        if profile is None:
            return False
        target = self.parts.ai_enhancement
        if target.segments and not profile.segments.intersection(target.segments):
            return False
        churn = profile.churn_probability
        low, high = target.min_churn_probability, target.max_churn_probability
        if low is not None and (churn is None or churn < low):
            return False
        return high is None or (churn is not None and churn <= high)

    def bonus_for(self, profile):
        """The AI bonus on its reward points for this member (1 when none applies)."""
        bonus = self.parts.ai_enhancement.bonus_multiplier
        if bonus is None or not self.offered_to(profile):
            return Decimal(1)
        return bonus


def _load_catalog(brand_id):
    rows = db.session.scalars(
        select(AchievementConfig)
        .where(
            AchievementConfig.is_active.is_(True),
            or_(AchievementConfig.brand_id == brand_id, AchievementConfig.brand_id.is_(None)),
        )
        .order_by(AchievementConfig.id)
    )
    achievements = []
    for row in rows:
        try:
            parts = parse_parts(
                row.achievement_type,
                row.criteria,
                row.rewards,
                row.visibility,
                row.ai_enhancement,
                row.meta,
            )
        except ValidationError as error:
            # Saved through the admin, configurations are valid; a hand-edited row is skipped.
            log.warning("achievement %s is not valid and is skipped: %s", row.id, error)
            continue
        if parts.visibility.active:
            achievements.append(
                Achievement(
                    row.id, row.brand_id, row.achievement_key, row.name, row.description, parts
                )
            )
    achievements.sort(key=lambda a: (a.parts.visibility.priority, a.id))
    return tuple(achievements)


_catalogs = ConfigCache(_load_catalog)
invalidate_on_write(AchievementConfig, _catalogs)


def active_achievements(brand_id):
    """The brand's active achievements and the global ones, by priority (cached).

    As in the outbox, a lower priority number comes first.
    """
    return _catalogs.get(brand_id)


def invalidate_achievements(brand_id=None):
    """Forget a brand's cached achievements (every brand when None, e.g. a global change)."""
    _catalogs.invalidate(brand_id)


def load_ai_profile(user_id, brand_id):
    """The member's segments and churn probability as the brand sees them (None without a
    profile)."""
    row = ai_profile_for(user_id, brand_id)
    if row is None:
        return None
    return AiProfile(_segment_names(row.segments, row.recommended_segment), row.churn_probability)


def _segment_names(segments, recommended):
    if isinstance(segments, dict):
        names = {str(name) for name, member in segments.items() if member}
    else:
        names = {str(name) for name in segments or ()}
    if recommended:
        names.add(recommended)
    return frozenset(names)
