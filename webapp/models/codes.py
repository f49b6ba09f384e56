"""Scan codes (added table): one single-use code per package, generated in batches."""

from datetime import datetime

from sqlalchemy import TIMESTAMP, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import created_at_column
from webapp.models.types import ZERO, BigId, UInt, enum

BATCH_STATUSES = ("pending", "running", "done", "failed")


class CodeBatch(db.Model):
    """A run of codes generated for one product."""

    __tablename__ = "code_batches"
    __table_args__ = (Index("idx_brand_id", "brand_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(UInt, nullable=False)
    generated_count: Mapped[int | None] = mapped_column(UInt, server_default=ZERO, default=0)
    status: Mapped[str | None] = mapped_column(
        enum(*BATCH_STATUSES, name="batch_status"), server_default="pending", default="pending"
    )
    error_message: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime | None] = created_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Additions (recalls): when staff asked for the points of the batch's claimed codes back
    # (set once), and when the reversal finished.
    points_reversal_requested_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    points_reversed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)


class ScanCode(db.Model):
    """The code printed on one package; claimed once by one member."""

    __tablename__ = "scan_codes"
    __table_args__ = (
        UniqueConstraint("code", name="unique_code"),
        Index("idx_batch_id", "batch_id"),
        Index("idx_product_id", "product_id"),
        Index("idx_claimed_by", "claimed_by_user_id", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("products.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    batch_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("code_batches.id"))
    claimed_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    created_at: Mapped[datetime | None] = created_at_column()
