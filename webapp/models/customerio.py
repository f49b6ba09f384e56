"""Customer.io integration tables (schema section 5): AI profiles and the webhook log."""

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
from webapp.models.mixins import created_at_column
from webapp.models.types import NOW, NOW_ON_UPDATE, BigId, Json
from webapp.timeutil import utcnow


class PredictionColumns:
    """What a Customer.io prediction holds (shared by the platform's and a brand's profile)."""

    churn_probability: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 4), server_default="0.0000", default=Decimal("0")
    )
    predicted_lifetime_value: Mapped[Decimal | None] = mapped_column(
        Numeric(10, 2), server_default="0.00", default=Decimal("0")
    )
    engagement_score: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 4), server_default="0.0000", default=Decimal("0")
    )
    product_affinity_scores: Mapped[dict | None] = mapped_column(Json)
    purchase_probability: Mapped[Decimal | None] = mapped_column(
        Numeric(5, 4), server_default="0.0000", default=Decimal("0")
    )
    recommended_segment: Mapped[str | None] = mapped_column(String(100))
    next_best_action: Mapped[str | None] = mapped_column(String(100))
    ai_insights: Mapped[dict | None] = mapped_column(Json)
    calculated_at: Mapped[datetime | None] = mapped_column(
        TIMESTAMP, server_default=NOW_ON_UPDATE, default=utcnow, onupdate=utcnow, nullable=True
    )
    last_synced_at: Mapped[datetime | None] = mapped_column(
        TIMESTAMP, server_default=NOW, default=utcnow, nullable=True
    )
    # Additions: the payload time of the newest applied prediction, and segment memberships.
    predicted_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    segments: Mapped[dict | None] = mapped_column(Json)
    # Addition: {segment: unix time of the newest applied enter/exit}, to order them.
    segment_clock: Mapped[dict | None] = mapped_column(Json)


class UserAiProfile(PredictionColumns, db.Model):
    """Predictions the platform's Customer.io workspace sends back about a person."""

    __tablename__ = "user_ai_profiles"
    __table_args__ = (
        UniqueConstraint("user_id", name="user_id"),
        Index("idx_engagement_score", "engagement_score"),
        Index("idx_churn_probability", "churn_probability"),
        Index("idx_segment", "recommended_segment"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )


class MemberAiProfile(PredictionColumns, db.Model):
    """Added: predictions one brand's workspace sends about one of its members."""

    __tablename__ = "member_ai_profiles"
    __table_args__ = (Index("idx_brand_segment", "brand_id", "recommended_segment"),)

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), primary_key=True)


class CustomerIoWebhookLog(db.Model):
    """Every accepted webhook, stored raw before it is acknowledged."""

    __tablename__ = "customer_io_webhook_log"
    __table_args__ = (
        Index("idx_user_id", "user_id"),
        Index("idx_webhook_type", "webhook_type"),
        Index("idx_created_at", "created_at"),
        UniqueConstraint("dedupe_key", name="unique_dedupe_key"),
        Index("idx_unprocessed", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_type: Mapped[str] = mapped_column(String(100), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigId)
    payload: Mapped[dict] = mapped_column(Json, nullable=False)
    processed_successfully: Mapped[bool | None] = mapped_column(Boolean)
    error_message: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    created_at: Mapped[datetime | None] = created_at_column()
    # Additions: the brand whose endpoint received it, the delivery's dedupe key, its time.
    brand_id: Mapped[int | None] = mapped_column(BigId)
    dedupe_key: Mapped[str | None] = mapped_column(String(191))
    event_timestamp: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)


class CustomerIoWebhookLogArchive(db.Model):
    """Webhook log rows older than six months, same columns."""

    __tablename__ = "customer_io_webhook_log_archive"
    __table_args__ = (
        Index("idx_archive_user_id", "user_id"),
        Index("idx_archive_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    webhook_type: Mapped[str] = mapped_column(String(100), nullable=False)
    user_id: Mapped[int | None] = mapped_column(BigId)
    payload: Mapped[dict] = mapped_column(Json, nullable=False)
    processed_successfully: Mapped[bool | None] = mapped_column(Boolean)
    error_message: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    created_at: Mapped[datetime | None] = created_at_column()
    brand_id: Mapped[int | None] = mapped_column(BigId)
    dedupe_key: Mapped[str | None] = mapped_column(String(191))
    event_timestamp: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
