"""The daily program run of a brand: `program_daily(brand_id, as_of)`.

Run once a day per brand by the scheduler (`run_program_days`, hourly: each brand whose local
day has no finished run yet) and by operators with `flask --app wsgi program run-daily`.
Each step (`webapp.loyalty.program_day.DailyStep`) is applied to its members in batches, one
commit per batch, so a large brand never holds one long transaction; a finished day is
recorded in `program_days`. Idempotent: the steps check what the day already did for each
member, a finished day is not run again, and on MariaDB a named lock keeps two runs of one
brand from overlapping.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.loyalty import expiry
from webapp.loyalty.birthdays import BIRTHDAY_STEP
from webapp.loyalty.program_day import brand_today
from webapp.loyalty.tiers import REQUALIFY_STEP
from webapp.models import Brand, ProgramDay
from webapp.named_locks import NamedLock

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# The steps, in order; each a DailyStep of the rules.
STEPS = (
    expiry.EXPIRE_STEP,  # points due by the day expire first,
    expiry.REMIND_STEP,  # then the reminders announce what is left to expire;
    REQUALIFY_STEP,  # ranks short of their period's points go down after the grace;
    BIRTHDAY_STEP,  # and today's birthdays get their bonus
)


@dataclass
class DailyRun:
    """What one run did: members changed per step; `skipped` says why nothing ran."""

    brand_id: int
    day: object
    changed: dict = field(default_factory=dict)
    skipped: str | None = None

    @property
    def total(self):
        """Members changed over all steps."""
        return sum(self.changed.values())


def steps():
    """The daily steps, in the order they run."""
    return STEPS


def program_daily(brand_id, as_of=None, progress=None, *, force=False):
    """Run the brand's day `as_of` (a date; default: today at the brand). `progress(done,
    total)` is told the members visited after each batch, as `code_batches.fill_batch` does.
    A finished day runs again only with `force` (its steps still change nothing done)."""
    brand = db.session.get(Brand, brand_id)
    if brand is None:
        raise LookupError(f"no brand {brand_id}")
    day = as_of or brand_today(brand)
    run = DailyRun(brand_id, day)
    with NamedLock(f"program_daily:{brand_id}") as granted:
        if not granted:
            run.skipped = "another run of this brand is going"
            return run
        if not force and _finished(brand_id, day):
            run.skipped = "this day has already run"
            return run
        work = [(step, list(step.members(brand, day))) for step in steps()]
        db.session.commit()  # end the read before the batches take their locks
        total, done = sum(len(user_ids) for _, user_ids in work), 0
        for step, user_ids in work:
            run.changed[step.name] = 0
            for start in range(0, len(user_ids), BATCH_SIZE):
                batch = user_ids[start : start + BATCH_SIZE]
                run.changed[step.name] += step.apply(brand, day, batch)
                db.session.commit()
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        _mark_finished(brand_id, day, run.total)
    log.info("program day %s of brand %s: %s", day, brand_id, run.changed)
    return run


def _finished(brand_id, day):
    return (
        db.session.scalar(
            select(ProgramDay.brand_id).where(
                ProgramDay.brand_id == brand_id, ProgramDay.day == day
            )
        )
        is not None
    )


def _mark_finished(brand_id, day, changed):
    existing = db.session.get(ProgramDay, (brand_id, day))
    if existing is not None:
        existing.changed += changed
    else:
        db.session.add(ProgramDay(brand_id=brand_id, day=day, changed=changed))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # a run beside this one recorded the day first


def run_program_days():
    """The scheduler's hourly job: each active brand whose local day has not run yet."""
    brand_ids = db.session.scalars(select(Brand.id).where(Brand.is_active.is_not(False))).all()
    for brand_id in brand_ids:
        try:
            program_daily(brand_id)
        except Exception:
            db.session.rollback()
            log.exception("program day of brand %s failed; the next hour tries again", brand_id)
