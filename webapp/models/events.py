"""Event and interaction tables (schema section 4): the points ledger and the outbox."""

from datetime import date, datetime

from sqlalchemy import TIMESTAMP, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import created_at_column
from webapp.models.types import ZERO, BigId, Json, enum

SPEC_ACTION_TYPES = (
    "product_scanned",
    "referral_initiated",
    "referral_converted",
    "wishlist_added",
    "achievement_unlocked",
    "reward_redeemed",
    "user_session_started",
    "user_session_ended",
)
ADDED_ACTION_TYPES = (
    "points_adjusted",
    "points_refunded",
    "points_expired",
    "referral_bonus",
    "wishlist_removed",
    "goal_set",
    "goal_reached",
    "rank_changed",
    "password_reset",
    "profile_updated",
    # Program economy: a campaign's bonus, the birthday bonus, a tier's entry reward, and the
    # points a recalled batch's codes earned, taken back.
    "campaign_bonus_awarded",
    "birthday_bonus",
    "tier_reward",
    "points_reversed",
)
ACTION_TYPES = SPEC_ACTION_TYPES + ADDED_ACTION_TYPES
OUTBOX_STATUSES = ("pending", "processing", "sent", "failed")
OUTBOX_TYPES = ("event", "identify", "delete")


class UserActionLog(db.Model):
    """One row per action; with points_awarded it is the points ledger."""

    __tablename__ = "user_action_log"
    __table_args__ = (
        Index("idx_user_action", "user_id", "action_type"),
        Index("idx_created_at", "created_at"),
        Index("idx_product_id", "product_id"),
        # A member's scans in a time window, read from the index alone (the scan aggregate's
        # edges of its windows; `MemberScanDay` holds the days between).
        Index("idx_user_scans", "user_id", "action_type", "created_at", "brand_id", "product_id"),
        # Covering for the dashboard: per-brand figures read the index only.
        Index(
            "idx_brand_created",
            "brand_id",
            "action_type",
            "created_at",
            "points_awarded",
            "product_id",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    action_type: Mapped[str] = mapped_column(
        enum(*ACTION_TYPES, name="action_type"), nullable=False
    )
    action_data: Mapped[dict | None] = mapped_column(Json)
    product_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("products.id"))
    points_awarded: Mapped[int | None] = mapped_column(Integer, server_default=ZERO, default=0)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = created_at_column()
    # Addition: the brand in whose program the action happened (dashboards, scoping).
    brand_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="SET NULL")
    )


class UserActionLogArchive(db.Model):
    """Action log rows older than a year, same columns, no foreign keys."""

    __tablename__ = "user_action_log_archive"
    __table_args__ = (
        Index("idx_archive_user_action", "user_id", "action_type"),
        Index("idx_archive_created_at", "created_at"),
        Index(
            "idx_archive_user_scans",
            "user_id",
            "action_type",
            "created_at",
            "brand_id",
            "product_id",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigId, nullable=False)
    action_type: Mapped[str] = mapped_column(
        enum(*ACTION_TYPES, name="action_type"), nullable=False
    )
    action_data: Mapped[dict | None] = mapped_column(Json)
    product_id: Mapped[int | None] = mapped_column(BigId)
    points_awarded: Mapped[int | None] = mapped_column(Integer, server_default=ZERO, default=0)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = created_at_column()
    brand_id: Mapped[int | None] = mapped_column(BigId)


class CustomerIoEventQueue(db.Model):
    """The transactional outbox: rows written with the action, delivered after commit."""

    __tablename__ = "customer_io_event_queue"
    __table_args__ = (
        Index("idx_status_priority", "status", "priority", "created_at"),
        Index("idx_user_id", "user_id"),
        Index("idx_brand_due", "brand_id", "status", "next_attempt_at"),
        Index("idx_event_uid", "event_uid"),
        # Migration 0015: the identify look-up scans made until the identify was coalesced
        # at delivery (kept: the contract lists it), and the purge of sent rows.
        Index("idx_user_brand_waiting", "user_id", "brand_id", "event_type", "status"),
        Index("idx_status_processed", "status", "processed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), nullable=False)
    event_name: Mapped[str] = mapped_column(String(255), nullable=False)
    event_data: Mapped[dict] = mapped_column(Json, nullable=False)
    status: Mapped[str | None] = mapped_column(
        enum(*OUTBOX_STATUSES, name="outbox_status"), server_default="pending", default="pending"
    )
    priority: Mapped[int | None] = mapped_column(Integer, server_default="10", default=10)
    attempt_count: Mapped[int | None] = mapped_column(Integer, server_default=ZERO, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    created_at: Mapped[datetime | None] = created_at_column()
    processed_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Additions: workspace, kind of call, stable dedupe id, retry schedule, last error.
    brand_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="SET NULL")
    )
    event_type: Mapped[str | None] = mapped_column(
        enum(*OUTBOX_TYPES, name="outbox_type"), server_default="event", default="event"
    )
    event_uid: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    # Addition: the end of the retry window after a manual retry (else created_at + window).
    retry_until: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)


class MemberScanDay(db.Model):
    """How many `product_scanned` rows one member has of one product at one brand on one UTC
    day, over the ledger and its archive. Kept by database triggers on both tables (insert,
    update, delete: every way a row arrives, moves or leaves, bulk loads included), never
    by the application; the achievement aggregate reads these days instead of every scan.
    No foreign keys, like the archive it counts (its rows may outlive the person's).
    """

    __tablename__ = "member_scan_days"

    user_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scans: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
