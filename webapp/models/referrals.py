"""Referral system tables (schema section 7)."""

from datetime import datetime

from sqlalchemy import TIMESTAMP, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import created_at_column
from webapp.models.types import ONE, ZERO, BigId, enum

REFERRAL_STATUSES = ("pending", "converted", "expired")


class ReferralCode(db.Model):
    """A member's shareable referral code."""

    __tablename__ = "referral_codes"
    __table_args__ = (
        UniqueConstraint("code", name="code"),
        Index("idx_code", "code"),
        Index("idx_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    code: Mapped[str] = mapped_column(String(50), nullable=False)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)
    created_at: Mapped[datetime | None] = created_at_column()


class Referral(db.Model):
    """One referrer -> referee link, pending until the referee's first scan."""

    __tablename__ = "referrals"
    __table_args__ = (
        Index("idx_referrer_status", "referrer_user_id", "status"),
        Index("idx_code_email", "referral_code", "email"),
        Index("idx_converted_at", "converted_at"),
        UniqueConstraint("referee_user_id", name="unique_referee"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referrer_user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    referee_user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    referral_code: Mapped[str] = mapped_column(String(50), nullable=False)
    email: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(
        enum(*REFERRAL_STATUSES, name="referral_status"),
        server_default="pending",
        default="pending",
    )
    converted_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    points_awarded_to_referrer: Mapped[int | None] = mapped_column(
        Integer, server_default=ZERO, default=0
    )
    created_at: Mapped[datetime | None] = created_at_column()
    # Additions: the brand whose rules apply, the referee's bonus, the last nudge.
    brand_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="SET NULL")
    )
    points_awarded_to_referee: Mapped[int | None] = mapped_column(
        Integer, server_default=ZERO, default=0
    )
    last_nudged_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
