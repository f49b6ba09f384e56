"""Timestamp columns shared by most tables."""

from datetime import datetime

from sqlalchemy import TIMESTAMP
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.types import NOW, NOW_ON_UPDATE
from webapp.timeutil import utcnow


def created_at_column():
    """`created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP` (nullable, as the contract says)."""
    return mapped_column(TIMESTAMP, server_default=NOW, default=utcnow, nullable=True)


def updated_at_column():
    """`updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP`."""
    return mapped_column(
        TIMESTAMP, server_default=NOW_ON_UPDATE, default=utcnow, onupdate=utcnow, nullable=True
    )


class Timestamps:
    """created_at + updated_at."""

    created_at: Mapped[datetime | None] = created_at_column()
    updated_at: Mapped[datetime | None] = updated_at_column()
