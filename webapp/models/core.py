"""Core entities (schema section 1): users and brands."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import TIMESTAMP, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import Timestamps
from webapp.models.types import ONE, ZERO, BigId, Json, UInt


class User(UserMixin, Timestamps, db.Model):
    """A consumer (or staff member): one platform-wide account and wallet."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email", name="email"),
        UniqueConstraint("referral_code", name="referral_code"),
        Index("idx_email", "email"),
        Index("idx_referral_code", "referral_code"),
        Index("idx_rank_key", "current_rank_key"),
        Index("idx_signup_brand", "signup_brand_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    age_verified_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    marketing_consent: Mapped[bool | None] = mapped_column(
        Boolean, server_default=ZERO, default=False
    )
    referral_code: Mapped[str | None] = mapped_column(String(50))
    referred_by_user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    points_balance: Mapped[int | None] = mapped_column(UInt, server_default=ZERO, default=0)
    lifetime_points: Mapped[int | None] = mapped_column(UInt, server_default=ZERO, default=0)
    current_rank_key: Mapped[str | None] = mapped_column(String(50))
    is_guest: Mapped[bool | None] = mapped_column(Boolean, server_default=ZERO, default=False)
    # Additions (DESIGN.md): where the member signed up, consent bookkeeping, anonymisation.
    signup_brand_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="SET NULL")
    )
    marketing_consent_updated_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(TIMESTAMP, nullable=True)
    # Addition: bumped when a session must end everywhere (sign-out, new password).
    session_version: Mapped[int] = mapped_column(
        UInt, nullable=False, server_default=ZERO, default=0
    )
    # Addition: the language the member chose ("en", "es", "fr_CA"); NULL follows the browser.
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)

    def get_id(self):
        """The session and remember-me identity: id and session version, `"<id>:<version>"`."""
        return f"{self.id}:{self.session_version or 0}"

    @property
    def display_name(self):
        """First name, else the part of the email before the @."""
        return self.first_name or self.email.split("@", 1)[0]

    @property
    def is_active(self):
        """Deleted (anonymised) accounts cannot sign in."""
        return self.deleted_at is None

    def __repr__(self):
        return f"<User {self.id}>"


class Brand(Timestamps, db.Model):
    """A cannabis brand running its own program."""

    __tablename__ = "brands"
    __table_args__ = (
        UniqueConstraint("slug", name="slug"),
        Index("idx_slug", "slug"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    slug: Mapped[str] = mapped_column(String(255), nullable=False)
    customer_io_site_id: Mapped[str | None] = mapped_column(String(100))
    customer_io_api_key: Mapped[str | None] = mapped_column(String(255))
    settings: Mapped[dict | None] = mapped_column(Json)
    is_active: Mapped[bool | None] = mapped_column(Boolean, server_default=ONE, default=True)
    # Additions: the inbound webhook secrets (encrypted like the API key) and the region.
    customer_io_region: Mapped[str | None] = mapped_column(String(8))
    customer_io_webhook_signing_key: Mapped[str | None] = mapped_column(String(255))
    customer_io_webhook_token: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self):
        return f"<Brand {self.slug}>"
