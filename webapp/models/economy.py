"""Product and economy tables (schema section 2): products and ranks."""

from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import ONE, ZERO, BigId, Json, UInt, enum

STRAIN_TYPES = ("Sativa", "Indica", "Hybrid")


class Product(Timestamps, db.Model):
    """A SKU a brand sells; with a points cost it is also a reward."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("sku", "brand_id", name="unique_sku_brand"),
        Index("idx_brand_id", "brand_id"),
        Index("idx_sku", "sku"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    sku: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    msrp: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    points_award: Mapped[int] = mapped_column(Integer, nullable=False)
    product_line: Mapped[str | None] = mapped_column(String(100))
    product_form: Mapped[str | None] = mapped_column(String(100))
    strain_name: Mapped[str | None] = mapped_column(String(100))
    strain_type: Mapped[str | None] = mapped_column(enum(*STRAIN_TYPES, name="strain_type"))
    potency_thc_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    potency_cbd_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    dominant_terpene: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list | None] = mapped_column(Json)
    is_featured: Mapped[bool | None] = mapped_column(Boolean, server_default=ZERO, default=False)
    is_new: Mapped[bool | None] = mapped_column(Boolean, server_default=ZERO, default=False)
    is_limited: Mapped[bool | None] = mapped_column(Boolean, server_default=ZERO, default=False)
    # Additions (DESIGN.md): rewards, and a catalogue people can read.
    points_cost: Mapped[int | None] = mapped_column(UInt)
    required_rank_key: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(500))
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)

    @property
    def is_reward(self):
        """A product with a points cost can be redeemed."""
        return self.points_cost is not None and self.points_cost > 0

    def __repr__(self):
        return f"<Product {self.sku}>"


class Rank(Timestamps, db.Model):
    """A step of a brand's rank ladder."""

    __tablename__ = "ranks"
    __table_args__ = (
        UniqueConstraint("key", "brand_id", name="unique_key_brand"),
        Index("idx_brand_id", "brand_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    points_required: Mapped[int] = mapped_column(UInt, nullable=False)
    point_multiplier: Mapped[Decimal | None] = mapped_column(
        Numeric(3, 2), server_default="1.00", default=Decimal("1.00")
    )
    benefits: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)
    # Additions (tiers): what reaching the rank gives a member, once ever — points, and/or a
    # reward product unlocked for them (a limited reward they may then redeem).
    entry_points: Mapped[int | None] = mapped_column(UInt)
    entry_product_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("products.id", ondelete="SET NULL")
    )

    def __repr__(self):
        return f"<Rank {self.key}>"
