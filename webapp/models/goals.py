"""Wishlist and goal tracking tables (schema section 6)."""

from datetime import datetime

from sqlalchemy import TIMESTAMP, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import created_at_column
from webapp.models.types import ONE, ZERO, BigId, UInt, enum

GOAL_TYPES = ("wishlist_item", "achievement", "custom")


class Wishlist(db.Model):
    """A product a member wants."""

    __tablename__ = "wishlists"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="unique_user_product"),
        Index("idx_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    product_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    added_at: Mapped[datetime | None] = created_at_column()


class UserGoal(db.Model):
    """A points target a member is saving towards."""

    __tablename__ = "user_goals"
    __table_args__ = (
        Index("idx_user_active", "user_id", "is_active"),
        Index("idx_completed", "completed_at"),
        Index("idx_user_brand_active", "user_id", "brand_id", "is_active"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    goal_type: Mapped[str] = mapped_column(enum(*GOAL_TYPES, name="goal_type"), nullable=False)
    target_points: Mapped[int | None] = mapped_column(UInt)
    current_points: Mapped[int | None] = mapped_column(UInt, server_default=ZERO, default=0)
    goal_name: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)
    started_at: Mapped[datetime | None] = created_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Addition: the brand whose wallet the goal follows.
    brand_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("brands.id"))
