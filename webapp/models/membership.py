"""Memberships (added tables): a person's wallet at each brand they joined, brand hosts, and
the configuration stamp that tells every process to reload cached settings."""

from datetime import date, datetime

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import ZERO, BigId, UInt


class MemberWallet(Timestamps, db.Model):
    """A person's membership of one brand: that brand's balance, lifetime points and rank.

    The primary key (user_id, brand_id) is the one-wallet-per-brand rule.
    """

    __tablename__ = "member_wallets"
    __table_args__ = (
        Index("idx_brand_joined", "brand_id", "joined_at"),
        Index("idx_brand_rank", "brand_id", "current_rank_key"),
        Index("idx_brand_balance", "brand_id", "points_balance"),
        Index("idx_brand_activity", "brand_id", "last_activity_at"),
        Index("idx_brand_birthday", "brand_id", "birth_month", "birth_day"),
    )

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), primary_key=True)
    points_balance: Mapped[int] = mapped_column(
        UInt, nullable=False, server_default=ZERO, default=0
    )
    lifetime_points: Mapped[int] = mapped_column(
        UInt, nullable=False, server_default=ZERO, default=0
    )
    current_rank_key: Mapped[str | None] = mapped_column(String(50))
    marketing_consent: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=ZERO, default=False
    )
    marketing_consent_updated_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    joined_at: Mapped[datetime] = mapped_column(TIMESTAMP, nullable=False)
    last_activity_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Additions (compliance): where the member lives (ISO 3166-2, e.g. US-CA), and when they
    # attested to being a registered medical patient (needed in medical-only regions).
    region: Mapped[str | None] = mapped_column(String(10))
    medical_attested_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Addition (birthdays): the birth month and day the member gave this brand for its
    # birthday bonus (never a year; both NULL when they gave none or removed it).
    birth_month: Mapped[int | None] = mapped_column(SmallInteger)
    birth_day: Mapped[int | None] = mapped_column(SmallInteger)
    # Additions (tiers that requalify): the grace of a member whose points of the qualifying
    # period fell short of the rank held (the day it began, the brand's day on which the rank
    # goes down unless requalified), and the last day the daily run lowered the rank.
    tier_grace_started_on: Mapped[date | None] = mapped_column(Date)
    tier_grace_ends_on: Mapped[date | None] = mapped_column(Date)
    tier_dropped_on: Mapped[date | None] = mapped_column(Date)

    def __repr__(self):
        return f"<MemberWallet user={self.user_id} brand={self.brand_id}>"


class BrandHost(db.Model):
    """A host name (as the browser sends it) and the one brand that owns it."""

    __tablename__ = "brand_hosts"
    __table_args__ = (
        UniqueConstraint("host", name="unique_host"),
        Index("idx_brand_id", "brand_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)


class ConfigStamp(db.Model):
    """One counter, raised in the transaction of every configuration change."""

    __tablename__ = "config_stamps"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
