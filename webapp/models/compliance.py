"""Compliance (added tables): a brand's rules per region, and the ledger of consents."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps, created_at_column
from webapp.models.types import ONE, ZERO, BigId, enum

CONSENT_CHANNELS = ("email", "sms", "loyalty_terms", "privacy")
CONSENT_SOURCES = ("registration", "profile", "webhook", "staff", "join")


class JurisdictionRule(Timestamps, db.Model):
    """What a brand's program may do for members living in one region (ISO 3166-2)."""

    __tablename__ = "jurisdiction_rules"
    __table_args__ = (UniqueConstraint("brand_id", "region", name="unique_brand_region"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    region: Mapped[str] = mapped_column(String(10), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    min_age: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="21")
    registration_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=ONE)
    earning_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=ONE)
    redemption_allowed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=ONE)
    physical_rewards_allowed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=ONE
    )
    referral_bonuses_allowed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=ONE
    )
    medical_only: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=ZERO)

    def __repr__(self):
        return f"<JurisdictionRule {self.brand_id} {self.region}>"


class ConsentEvent(db.Model):
    """One consent given or withdrawn: who, which brand, which channel, what they were shown.

    Append-only; the newest row per (member, brand, channel) is the current state.
    """

    __tablename__ = "consent_events"
    __table_args__ = (
        Index("idx_member_channel", "user_id", "brand_id", "channel", "created_at"),
        Index("idx_brand_created", "brand_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    channel: Mapped[str] = mapped_column(
        enum(*CONSENT_CHANNELS, name="consent_channel"), nullable=False
    )
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[str] = mapped_column(
        enum(*CONSENT_SOURCES, name="consent_source"), nullable=False
    )
    version: Mapped[str | None] = mapped_column(String(50))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    staff_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set when the account is deleted: a keyed hash of the email it had, so the proof of
    # consent can still be matched to a person who shows that address.
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime | None] = created_at_column()
