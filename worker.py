"""RQ worker that outlives Redis outages, with the periodic jobs' scheduler beside it."""

import logging
import os
import signal
import threading
import time

import redis
from rq import Worker

from webapp import create_app
from webapp.extensions import db
from webapp.jobs import QUEUE_NAMES, get_queue, redis_connection
from webapp.scheduler import run_forever

app = create_app()
log = logging.getLogger("worker")

BACKOFF_SECONDS = (1, 2, 4, 8, 15)
HEALTHY_RUN_SECONDS = 60


class AppWorker(Worker):
    """A worker whose forked work horse gets fresh database connections and an app context."""

    stop_requested = False

    def perform_job(self, job, queue):
        """Run the job in the horse, inside the app context."""
        with app.app_context():
            # Connections inherited from the parent must not be shared with it after fork.
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()

    def request_stop(self, signum, frame):
        """A signal asked the worker to stop: the supervising loop must not start it again."""
        AppWorker.stop_requested = True
        super().request_stop(signum, frame)


def work_once():
    """One rq work loop; returns when it stops (on a signal, or when Redis went away)."""
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        AppWorker(queues, connection=redis_connection()).work()


def reap_horses():
    """Collect work horses left behind by a work loop that ended while they ran."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def supervise(stop):
    """Run the work loop again, with backoff, whenever it ends without being asked to stop."""
    failures = 0
    while not (stop.is_set() or AppWorker.stop_requested):
        started = time.monotonic()
        try:
            work_once()
        except redis.RedisError as error:
            log.warning("Redis unavailable (%s); the work loop restarts", error)
        if AppWorker.stop_requested:
            break
        failures = 1 if time.monotonic() - started > HEALTHY_RUN_SECONDS else failures + 1
        reap_horses()
        stop.wait(BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS)) - 1])


def main():
    """Work the queues in priority order (and run the periodic jobs) until stopped."""
    stop = threading.Event()
    scheduler = threading.Thread(target=run_forever, args=(app, stop), daemon=True)
    scheduler.start()
    if not app.config.get("REDIS_URL"):
        log.info("REDIS_URL is not set: jobs run inline; running the periodic jobs only.")
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            stop.set()
        return
    try:
        supervise(stop)
    finally:
        stop.set()
        scheduler.join(timeout=30)


if __name__ == "__main__":
    main()
