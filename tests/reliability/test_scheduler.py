"""The scheduler runs each periodic job once per period, one process at a time, and a failing
job never stops the others."""

from sqlalchemy import text

from webapp.extensions import db
from webapp.scheduler import (
    DAY,
    PERIODIC_JOBS,
    NamedLock,
    every,
    register_default_jobs,
    run_due_jobs,
)


def test_jobs_run_once_per_period_and_a_failure_stops_nothing(app):
    runs = []

    def broken():
        runs.append("broken")
        raise RuntimeError("a bug")

    def daily_program_job():
        runs.append("daily")

    saved = dict(PERIODIC_JOBS)
    PERIODIC_JOBS.clear()
    try:
        every(60)(broken)
        every(DAY)(daily_program_job)
        last_run = {}
        with app.app_context():
            run_due_jobs(last_run, now=1000.0)
            run_due_jobs(last_run, now=1030.0)  # neither period has passed
            run_due_jobs(last_run, now=1061.0)  # only the minute job is due again
    finally:
        PERIODIC_JOBS.clear()
        PERIODIC_JOBS.update(saved)
    assert runs == ["broken", "daily", "broken"]


def test_the_default_jobs_are_the_sweep_referral_expiry_and_archive(app):
    saved = dict(PERIODIC_JOBS)
    try:
        with app.app_context():
            register_default_jobs()
        periods = {name: seconds for name, (_, seconds) in PERIODIC_JOBS.items()}
    finally:
        PERIODIC_JOBS.clear()
        PERIODIC_JOBS.update(saved)
    assert periods["sweep_outbox"] <= 15
    assert periods["expire_referrals"] == 3600 and periods["run_archive"] == DAY


def test_a_job_another_process_is_running_is_skipped(app):
    runs = []
    with app.app_context():
        lock_name = NamedLock("skipped_job").name
        with db.engine.connect() as other_process:
            other_process.execute(text("SELECT GET_LOCK(:name, 0)"), {"name": lock_name})
            saved = dict(PERIODIC_JOBS)
            PERIODIC_JOBS.clear()
            try:

                def skipped_job():
                    runs.append("ran")

                every(60)(skipped_job)
                run_due_jobs({}, now=0.0)
            finally:
                PERIODIC_JOBS.clear()
                PERIODIC_JOBS.update(saved)
            other_process.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": lock_name})
    assert runs == []
