"""Brand staff (added tables): who runs a brand's program, and what they changed."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps, created_at_column
from webapp.models.types import BigId, Json, enum

STAFF_ROLES = ("owner", "manager", "support")


class BrandStaff(Timestamps, db.Model):
    """A user's role in a brand's admin."""

    __tablename__ = "brand_staff"
    __table_args__ = (
        UniqueConstraint("user_id", "brand_id", name="unique_user_brand"),
        Index("idx_brand_id", "brand_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    role: Mapped[str] = mapped_column(enum(*STAFF_ROLES, name="staff_role"), nullable=False)


class StaffAuditLog(db.Model):
    """Who changed what, and when, in a brand's admin."""

    __tablename__ = "staff_audit_log"
    __table_args__ = (Index("idx_brand_created", "brand_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    staff_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[int | None] = mapped_column(BigId)
    details: Mapped[dict | None] = mapped_column(Json)
    created_at: Mapped[datetime | None] = created_at_column()
