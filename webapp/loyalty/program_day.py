"""A brand's days: its clock, and the shape of a step of its daily program run.

The daily run (`webapp.program_daily.program_daily`) walks the brand's steps — expiry, tier
requalification, birthdays — each a `DailyStep`: `members(brand, day)` lists the user ids to
look at, in id order, and `apply(brand, day, user_ids)` changes what is due for those and
returns how many it changed. `apply` never commits (the run commits after each batch) and is
idempotent: it locks each member through the ledger and checks what this day already did, so
a second run of the same day, or two at once, changes nothing more.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from webapp.brand_settings import settings_of
from webapp.timeutil import utcnow


@dataclass(frozen=True)
class DailyStep:
    """One step of the daily run: who to look at, and what to do for them."""

    name: str
    members: Callable[[object, date], Iterable[int]]
    apply: Callable[[object, date, list[int]], int]


def brand_zone(brand):
    """The brand's time zone (BrandSettings.timezone)."""
    return ZoneInfo(settings_of(brand).timezone)


def brand_today(brand, now=None):
    """The date it is at the brand now (`now`: a naive UTC datetime; default: the clock)."""
    moment = (now or utcnow()).replace(tzinfo=UTC)
    return moment.astimezone(brand_zone(brand)).date()


def day_start(brand, day):
    """The naive UTC datetime at which `day` begins at the brand (its local midnight)."""
    local = datetime.combine(day, time.min, tzinfo=brand_zone(brand))
    return local.astimezone(UTC).replace(tzinfo=None)


def local_time(brand, moment):
    """A naive UTC datetime from the database, as an aware datetime on the brand's clock."""
    return moment.replace(tzinfo=UTC).astimezone(brand_zone(brand))
