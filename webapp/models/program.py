"""The program's days (added table): which daily runs of a brand's program have finished."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import created_at_column
from webapp.models.types import ZERO, BigId, UInt


class ProgramDay(db.Model):
    """One finished `program_daily` run: a brand's day (in the brand's time zone), once."""

    __tablename__ = "program_days"

    brand_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # How many members the run's steps changed, for the operator.
    changed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[datetime | None] = created_at_column()


class TierEntryReward(db.Model):
    """A rank's entry reward paid to a member: once per member, brand and rank, ever (the
    primary key), whatever drops and returns follow."""

    __tablename__ = "tier_entry_rewards"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    rank_key: Mapped[str] = mapped_column(String(50), primary_key=True)
    points: Mapped[int] = mapped_column(UInt, nullable=False, server_default=ZERO, default=0)
    # The reward unlocked for the member (kept when the product is deleted: SET NULL).
    product_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("products.id", ondelete="SET NULL")
    )
    granted_at: Mapped[datetime | None] = created_at_column()


class PointsExpiryReminder(db.Model):
    """A `points_expiring` reminder recorded for a member (added table): once per brand,
    expiry date and reminder day."""

    __tablename__ = "points_expiry_reminders"
    __table_args__ = (Index("idx_expiry_reminders_brand", "brand_id", "expires_on"),)

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    expires_on: Mapped[date] = mapped_column(Date, primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The points the reminder announced.
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[datetime | None] = created_at_column()
