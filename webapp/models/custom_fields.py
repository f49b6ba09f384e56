"""Configuration tables (schema section 8): a brand's custom profile fields."""

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import ONE, ZERO, BigId, Json, enum

FIELD_TYPES = ("text", "select", "checkbox", "radio")


class CustomField(Timestamps, db.Model):
    """A profile question a brand asks its members."""

    __tablename__ = "custom_fields"
    __table_args__ = (
        UniqueConstraint("field_key", "brand_id", name="unique_key_brand"),
        Index("idx_brand_id", "brand_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    brand_id: Mapped[int] = mapped_column(BigId, ForeignKey("brands.id"), nullable=False)
    field_key: Mapped[str] = mapped_column(String(100), nullable=False)
    field_label: Mapped[str] = mapped_column(String(255), nullable=False)
    field_type: Mapped[str] = mapped_column(enum(*FIELD_TYPES, name="field_type"), nullable=False)
    field_options: Mapped[list | None] = mapped_column(Json)
    is_required: Mapped[bool | None] = mapped_column(Boolean, server_default=ZERO, default=False)
    field_order: Mapped[int | None] = mapped_column(Integer, server_default=ZERO, default=0)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)


class UserCustomFieldValue(Timestamps, db.Model):
    """A member's answer to a custom field."""

    __tablename__ = "user_custom_field_values"
    __table_args__ = (
        UniqueConstraint("user_id", "custom_field_id", name="unique_user_field"),
        Index("idx_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    custom_field_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("custom_fields.id", ondelete="CASCADE"), nullable=False
    )
    field_value: Mapped[str | None] = mapped_column(Text)
