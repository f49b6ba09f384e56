"""Achievement engine tables (schema section 3)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    TIMESTAMP,
    Boolean,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import ONE, ZERO, BigId, Json, UInt, enum

ACHIEVEMENT_TYPES = (
    "scan_count",
    "purchase_amount",
    "referral_count",
    "wishlist_items",
    "achievement_unlocked",
    "custom",
)


class AchievementConfig(Timestamps, db.Model):
    """An achievement a brand (or the platform, brand_id NULL) offers."""

    __tablename__ = "achievement_configs"
    __table_args__ = (
        UniqueConstraint("achievement_key", "brand_id", name="unique_key_brand"),
        Index("idx_brand_id", "brand_id"),
        Index("idx_active", "is_active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int | None] = mapped_column(BigId)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    achievement_key: Mapped[str] = mapped_column(String(100), nullable=False)
    achievement_type: Mapped[str] = mapped_column(
        enum(*ACHIEVEMENT_TYPES, name="achievement_type"), nullable=False
    )
    criteria: Mapped[dict] = mapped_column(Json, nullable=False)
    rewards: Mapped[dict] = mapped_column(Json, nullable=False)
    visibility: Mapped[dict | None] = mapped_column(Json)
    ai_enhancement: Mapped[dict | None] = mapped_column(Json)
    meta: Mapped[dict | None] = mapped_column("metadata", Json)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)

    def __repr__(self):
        return f"<AchievementConfig {self.achievement_key}>"


class UserAchievement(Timestamps, db.Model):
    """A member's progress on (and unlock of) one achievement."""

    __tablename__ = "user_achievements"
    __table_args__ = (
        UniqueConstraint("user_id", "achievement_config_id", name="unique_user_achievement"),
        Index("idx_user_id", "user_id"),
        Index("idx_completed", "completed"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    achievement_config_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("achievement_configs.id"), nullable=False
    )
    progress: Mapped[int | None] = mapped_column(UInt, server_default=ZERO, default=0)
    completed: Mapped[bool | None] = mapped_column(Boolean, server_default=ZERO, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    points_rewarded: Mapped[int | None] = mapped_column(UInt, server_default=ZERO, default=0)
    # Addition: the time-boxed points boost an unlock grants.
    boost_multiplier: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    boost_expires_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
