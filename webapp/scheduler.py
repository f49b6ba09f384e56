"""Periodic jobs (outbox sweep and purge, referral expiry, archive, daily program jobs), run
in-process.

The scheduler does not need Redis: it runs each job itself when its period comes, so the
sweep (which delivers directly while the queue is unreachable) keeps going through a Redis
outage. On MariaDB a named lock makes one process at a time run a given job; several
schedulers may run, each keeping its own clock.
"""

import logging
import time

from flask import current_app

from webapp.extensions import db
from webapp.named_locks import NamedLock

log = logging.getLogger(__name__)

DAY = 24 * 3600
HOUR = 3600
TICK_SECONDS = 1
DEFAULT_SWEEP_SECONDS = 15
PERIODIC_JOBS = {}


def every(seconds):
    """Register a periodic job: `@every(DAY)` makes a daily job (the daily program hook)."""

    def register(job):
        PERIODIC_JOBS[job.__name__] = (job, seconds)
        return job

    return register


def sweep_period():
    """Seconds between sweeps (SWEEP_SECONDS): reclaims, due retries and queued webhooks."""
    return current_app.config.get("SWEEP_SECONDS") or DEFAULT_SWEEP_SECONDS


def register_default_jobs():
    """The jobs every deployment runs."""
    from webapp.archive import run_archive
    from webapp.code_batches import finish_lost_reversals
    from webapp.deliveries.purge import purge_sent_outbox
    from webapp.deliveries.sweep import sweep_outbox
    from webapp.loyalty.referrals import expire_referrals
    from webapp.program_daily import run_program_days

    every(sweep_period())(sweep_outbox)
    every(HOUR)(expire_referrals)
    every(HOUR)(run_program_days)
    every(HOUR)(finish_lost_reversals)
    every(DAY)(run_archive)
    every(HOUR)(purge_sent_outbox)


def run_job(name, job):
    """Run one periodic job under its lock; a failure is logged and retried next period."""
    try:
        with NamedLock(name) as granted:
            if granted:
                job()
                db.session.commit()
    except Exception:
        log.exception("periodic job %s failed", name)
    finally:
        db.session.remove()


def run_due_jobs(last_run, now):
    """Run every job whose period has passed since this process last ran it."""
    for name, (job, seconds) in list(PERIODIC_JOBS.items()):
        if now - last_run.get(name, -seconds) >= seconds:
            last_run[name] = now
            run_job(name, job)


def run_forever(app, stop):
    """Tick until `stop` is set, running due jobs inside the app context."""
    last_run = {}
    with app.app_context():
        register_default_jobs()
    while not stop.is_set():
        with app.app_context():
            run_due_jobs(last_run, time.monotonic())
        stop.wait(TICK_SECONDS)
