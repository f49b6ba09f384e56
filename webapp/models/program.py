"""The program's days (added table): which daily runs of a brand's program have finished."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.mixins import created_at_column
from webapp.models.types import BigId


class ProgramDay(db.Model):
    """One finished `program_daily` run: a brand's day (in the brand's time zone), once."""

    __tablename__ = "program_days"

    brand_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # How many members the run's steps changed, for the operator.
    changed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[datetime | None] = created_at_column()
