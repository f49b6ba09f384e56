"""Achievements as services: create one, evaluate a member, grant a custom one, exclusive access.

The engine is `achievement_engine` (evaluated inside an action's transaction); the JSON parts
are validated by `achievement_schemas`; the cached catalogue is `achievement_catalog`.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.loyalty.achievement_catalog import Achievement, active_achievements, load_ai_profile
from webapp.loyalty.achievement_engine import AchievementState, evaluate_achievements
from webapp.loyalty.achievement_schemas import validate_achievement_config
from webapp.loyalty.ledger import lock_member
from webapp.models import AchievementConfig, UserAchievement

__all__ = [
    "AchievementConfigError",
    "BoardEntry",
    "UnknownAchievement",
    "achievement_board",
    "create_achievement",
    "evaluate_achievements",
    "grant_custom_achievement",
    "has_exclusive_access",
]

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class AchievementConfigError(ValueError):
    """An achievement that cannot be saved; `errors` maps each field to a message."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class UnknownAchievement(LookupError):
    """No active custom achievement with that key in the brand's program."""


def create_achievement(
    *,
    brand_id,
    achievement_key,
    name,
    achievement_type,
    criteria,
    rewards,
    visibility=None,
    ai_enhancement=None,
    metadata=None,
    description=None,
    is_active=True,
):
    """Validate and save an achievement (brand_id None: global, offered by every brand).

    Raises AchievementConfigError with messages per field, including a duplicate key.
    """
    cleaned, errors = validate_achievement_config(
        {
            "achievement_type": achievement_type,
            "criteria": criteria,
            "rewards": rewards,
            "visibility": visibility,
            "ai_enhancement": ai_enhancement,
            "metadata": metadata,
        }
    )
    errors.update(_identity_errors(achievement_key, name))
    if not errors and _key_taken(brand_id, achievement_key):
        errors["achievement_key"] = _duplicate_message(brand_id, achievement_key)
    if errors:
        raise AchievementConfigError(errors)
    config = AchievementConfig(
        brand_id=brand_id,
        achievement_key=achievement_key,
        name=name.strip(),
        description=description,
        achievement_type=cleaned["achievement_type"],
        criteria=cleaned["criteria"],
        rewards=cleaned["rewards"],
        visibility=cleaned["visibility"],
        ai_enhancement=cleaned["ai_enhancement"],
        meta=cleaned["metadata"],
        is_active=is_active,
    )
    try:
        with db.session.begin_nested():
            db.session.add(config)
    except IntegrityError:  # another admin saved the same brand key a moment ago
        raise AchievementConfigError(
            {"achievement_key": _duplicate_message(brand_id, achievement_key)}
        ) from None
    return config


def _identity_errors(achievement_key, name):
    errors = {}
    if not KEY_PATTERN.match(achievement_key or ""):
        errors["achievement_key"] = (
            "Use lowercase letters, digits, '-' or '_' (up to 100), starting with a letter "
            "or digit."
        )
    if not (name or "").strip() or len(name.strip()) > 255:
        errors["name"] = "Give the achievement a name of up to 255 characters."
    return errors


def _key_taken(brand_id, achievement_key):
    same_brand = (
        AchievementConfig.brand_id.is_(None)
        if brand_id is None
        else AchievementConfig.brand_id == brand_id
    )
    return (
        db.session.scalar(
            select(AchievementConfig.id).where(
                AchievementConfig.achievement_key == achievement_key, same_brand
            )
        )
        is not None
    )


def _duplicate_message(brand_id, achievement_key):
    scope = "a global achievement" if brand_id is None else "another achievement of this brand"
    return f"The key '{achievement_key}' is already used by {scope}; choose another."


def grant_custom_achievement(user_id, brand_id, achievement_key, source):
    """Unlock a custom achievement (staff or webhook, named by `source`); the caller
    commits.

    Returns the unlocks (the custom one first, then any it completes a chain for); an empty
    list when the member already had it. Raises UnknownAchievement for a key the brand lacks.
    """
    achievement = _custom_achievement(brand_id, achievement_key)
    member = lock_member(user_id, brand_id)
    state = AchievementState.load(user_id)
    if state.is_completed(achievement):
        return []
    with db.session.begin_nested():  # a refused reward undoes the whole unlock
        return evaluate_achievements(member, state=state, force=achievement, source=source)


def _custom_achievement(brand_id, achievement_key):
    matches = [
        a
        for a in active_achievements(brand_id)
        if a.key == achievement_key and a.achievement_type == "custom"
    ]
    if not matches:
        raise UnknownAchievement(f"There is no active custom achievement '{achievement_key}'.")
    # The brand's own achievement wins over a global one with the same key.
    return sorted(matches, key=lambda a: a.brand_id is None)[0]


def has_exclusive_access(user_id, brand_id):
    """True when the member unlocked an achievement (the brand's or global) giving exclusive
    access, which opens the brand's limited rewards."""
    rewards = db.session.scalars(
        select(AchievementConfig.rewards)
        .join(UserAchievement, UserAchievement.achievement_config_id == AchievementConfig.id)
        .where(
            UserAchievement.user_id == user_id,
            UserAchievement.completed.is_(True),
            or_(AchievementConfig.brand_id == brand_id, AchievementConfig.brand_id.is_(None)),
        )
    )
    return any(isinstance(r, dict) and r.get("exclusive_access") for r in rewards)


@dataclass(frozen=True)
class BoardEntry:
    """One achievement as a member sees it, with their progress."""

    achievement: Achievement
    progress: int
    unlocked: bool
    unlocked_at: datetime | None


def achievement_board(user_id, brand_id):
    """The achievements a member sees, by priority: the ones offered to them
    (targeting), hidden ones only once unlocked, and every one they unlocked."""
    catalog = active_achievements(brand_id)
    profile = load_ai_profile(user_id, brand_id) if any(a.is_targeted for a in catalog) else None
    rows = AchievementState.load(user_id).rows
    board = []
    for achievement in catalog:
        row = rows.get(achievement.id)
        unlocked = bool(row and row.completed)
        hidden = achievement.parts.visibility.hidden_until_unlocked
        if unlocked or (achievement.offered_to(profile) and not hidden):
            board.append(
                BoardEntry(
                    achievement,
                    row.progress if row else 0,
                    unlocked,
                    row.completed_at if row else None,
                )
            )
    return board
