"""Redemptions (added table): rewards members claimed with points, for staff to fulfil."""

from datetime import datetime

from sqlalchemy import TIMESTAMP, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import BigId, UInt, enum

REDEMPTION_STATUSES = ("pending", "fulfilled", "cancelled")


class Redemption(Timestamps, db.Model):
    """A reward redeemed by a member and its shipping details."""

    __tablename__ = "redemptions"
    __table_args__ = (
        Index("idx_user_id", "user_id"),
        Index("idx_brand_status", "brand_id", "status", "created_at"),
        UniqueConstraint("user_id", "idempotency_key", name="unique_user_idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    points_spent: Mapped[int] = mapped_column(UInt, nullable=False)
    status: Mapped[str | None] = mapped_column(
        enum(*REDEMPTION_STATUSES, name="redemption_status"),
        server_default="pending",
        default="pending",
    )
    shipping_name: Mapped[str | None] = mapped_column(String(200))
    shipping_address1: Mapped[str | None] = mapped_column(String(255))
    shipping_address2: Mapped[str | None] = mapped_column(String(255))
    shipping_city: Mapped[str | None] = mapped_column(String(100))
    shipping_region: Mapped[str | None] = mapped_column(String(100))
    shipping_postal_code: Mapped[str | None] = mapped_column(String(20))
    shipping_country: Mapped[str | None] = mapped_column(String(2))
    shipping_phone: Mapped[str | None] = mapped_column(String(20))
    staff_note: Mapped[str | None] = mapped_column(Text)
    handled_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    fulfilled_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Addition: the redeem form's key, so a resubmitted form returns this redemption.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
