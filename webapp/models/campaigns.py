"""Campaigns (added tables): a brand's time-boxed bonuses on scans, and what members earned
under a cap (per campaign, or the brand's daily earning caps)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import BigId, Json, UInt, enum

CAP_KINDS = ("points", "scans")
CAP_PERIODS = ("day", "week", "campaign")
# What a campaign's `targets` JSON may list; an empty or missing list matches everything.
PRODUCT_TARGETS = ("forms", "lines", "strain_types", "tags", "skus")
MEMBER_TARGETS = ("ranks", "segments")


class Campaign(Timestamps, db.Model):
    """A bonus on the scans of a window: a multiplier and/or fixed points, for the products
    and members it targets, within a per-member cap and a budget of points."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("idx_campaigns_brand_ends", "brand_id", "ends_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="CASCADE"), nullable=False
    )
    # What the member reads on the scan result: "Double points weekend: +150".
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    # Naive UTC; staff enter them on the brand's clock (BrandSettings.timezone).
    starts_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    multiplier: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    bonus_points: Mapped[int | None] = mapped_column(UInt)
    # {"forms": [...], "lines": [...], "strain_types": [...], "tags": [...], "skus": [...],
    #  "ranks": [...], "segments": [...]}
    targets: Mapped[dict | None] = mapped_column(Json)
    cap_kind: Mapped[str | None] = mapped_column(enum(*CAP_KINDS, name="campaign_cap_kind"))
    cap_period: Mapped[str | None] = mapped_column(enum(*CAP_PERIODS, name="campaign_cap_period"))
    cap_amount: Mapped[int | None] = mapped_column(UInt)
    budget_points: Mapped[int | None] = mapped_column(UInt)
    # Raised only by the conditional UPDATE of webapp.loyalty.campaigns.spend_budget.
    spent_points: Mapped[int] = mapped_column(UInt, nullable=False, default=0, server_default="0")

    def __repr__(self):
        return f"<Campaign {self.name}>"


class MemberEarningCount(db.Model):
    """What one member earned by scanning in one period of one cap: `scope` is "earning"
    (the brand's daily earning caps) or "campaign:<id>"; `period_start` the brand-local day
    the period begins (the day, the week's Monday, or the campaign's first day)."""

    __tablename__ = "member_earning_counts"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(UInt, nullable=False, default=0, server_default="0")
    scans: Mapped[int] = mapped_column(UInt, nullable=False, default=0, server_default="0")
