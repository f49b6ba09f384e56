"""RQ worker with the periodic jobs; without Redis it runs the periodic jobs inline."""

import logging
import threading
import time

import redis
from rq import Worker

from webapp import create_app
from webapp.customerio.sweep import sweep_outbox
from webapp.extensions import db
from webapp.jobs import QUEUE_NAMES, enqueue, get_queue, queue_name, redis_connection
from webapp.loyalty.referrals import expire_referrals

app = create_app()
log = logging.getLogger("worker")

SWEEP_SECONDS = 60
REFERRAL_EXPIRY_SECONDS = 3600
TICK_SECONDS = 5


PERIODIC_JOBS = [
    (sweep_outbox, SWEEP_SECONDS),
    (expire_referrals, REFERRAL_EXPIRY_SECONDS),
]


class AppWorker(Worker):
    """A worker whose forked work horse gets fresh database connections and an app context."""

    def perform_job(self, job, queue):
        """Run the job in the horse, inside the app context."""
        with app.app_context():
            # Connections inherited from the parent must not be shared with it after fork.
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


def claim_period(job, seconds):
    """True for exactly one worker per period (a Redis lock that expires with the period)."""
    key = f"{queue_name('periodic')}:{job.__name__}"
    return bool(redis_connection().set(key, "1", nx=True, ex=seconds))


def schedule_periodic_jobs(stop):
    """Every few seconds, enqueue each periodic job whose period no other worker claimed."""
    while not stop.wait(TICK_SECONDS):
        with app.app_context():
            for job, seconds in PERIODIC_JOBS:
                try:
                    if claim_period(job, seconds):
                        enqueue(job, queue="low")
                except redis.RedisError:
                    # Redis being down must not stop the schedule; the next tick tries again.
                    log.exception("could not schedule %s", job.__name__)


def run_inline_forever():
    """Without Redis: run the periodic jobs in this process (the web process runs the rest)."""
    last_run = {}
    while True:
        for job, seconds in PERIODIC_JOBS:
            if time.monotonic() - last_run.get(job, -seconds) >= seconds:
                last_run[job] = time.monotonic()
                with app.app_context():
                    try:
                        job()
                    except Exception:
                        log.exception("periodic job %s failed", job.__name__)
                    finally:
                        db.session.remove()
        time.sleep(TICK_SECONDS)


def main():
    """Work the queues in priority order (and keep the periodic jobs going) until stopped."""
    if not app.config.get("REDIS_URL"):
        log.info("REDIS_URL is not set: jobs run inline; running the periodic jobs only.")
        run_inline_forever()
        return
    stop = threading.Event()
    threading.Thread(target=schedule_periodic_jobs, args=(stop,), daemon=True).start()
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        try:
            AppWorker(queues, connection=redis_connection()).work(with_scheduler=True)
        finally:
            stop.set()


if __name__ == "__main__":
    main()
