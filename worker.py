"""RQ worker that outlives Redis outages, with the periodic jobs' scheduler beside it."""

import argparse
import logging
import multiprocessing
import os
import signal
import threading
import time

import redis
from rq import SimpleWorker

from webapp import create_app
from webapp.extensions import db
from webapp.jobs import QUEUE_NAMES, get_queue, redis_connection
from webapp.logs import bind_request_id, unbind_request_id
from webapp.scheduler import run_forever

app = create_app()
log = logging.getLogger("worker")

BACKOFF_SECONDS = (1, 2, 4, 8, 15)
HEALTHY_RUN_SECONDS = 60


class AppWorker(SimpleWorker):
    """A worker that runs every job in the worker's own process, inside an app context, on
    its pooled database connections (no work horse forked per job: docs/decisions.md,
    "Worker")."""

    stop_requested = False

    def perform_job(self, job, queue):
        """Run the job in the horse, inside the app context, logging under the request id
        of the request that enqueued it."""
        token = bind_request_id(job.meta.get("request_id"))
        with app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()
                unbind_request_id(token)

    def request_stop(self, signum, frame):
        """A signal asked the worker to stop: the supervising loop must not start it again."""
        AppWorker.stop_requested = True
        super().request_stop(signum, frame)


def run_scheduler():
    """The scheduler process: periodic jobs until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("scheduler running (pid %s)", os.getpid())
    with app.app_context():
        db.engine.dispose(close=False)  # never share the parent's connections
    run_forever(app, stop)


def start_scheduler():
    """Fork the scheduler process (it drops the inherited pool and opens its own connections)."""
    process = multiprocessing.get_context("fork").Process(
        target=run_scheduler, name="scheduler", daemon=True
    )
    process.start()
    return process


def work_once():
    """One rq work loop; returns when it stops (on a signal, or when Redis went away)."""
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        AppWorker(queues, connection=redis_connection()).work()


def supervise(scheduler):
    """Run the work loop again, with backoff, whenever it ends without being asked to stop;
    start the scheduler again if it died. Returns the scheduler process."""
    failures = 0
    while not AppWorker.stop_requested:
        started = time.monotonic()
        try:
            work_once()
        except redis.RedisError as error:
            log.warning("Redis unavailable (%s); the work loop restarts", error)
        if AppWorker.stop_requested:
            break
        failures = 1 if time.monotonic() - started > HEALTHY_RUN_SECONDS else failures + 1
        if not scheduler.is_alive():
            scheduler = start_scheduler()
        time.sleep(BACKOFF_SECONDS[min(failures, len(BACKOFF_SECONDS)) - 1])
    return scheduler


def main(argv=None):
    """Work the queues in priority order (and run the periodic jobs) until stopped.

    `--scheduler-only` runs only the periodic jobs (a scheduler unit of its own);
    `--no-scheduler` only works the queues (when a scheduler unit runs them).
    """
    parser = argparse.ArgumentParser(description="CannaRewards worker")
    parser.add_argument("--scheduler-only", action="store_true")
    parser.add_argument("--no-scheduler", action="store_true")
    args = parser.parse_args(argv)
    if args.scheduler_only:
        run_scheduler()
        return
    scheduler = NoScheduler() if args.no_scheduler else start_scheduler()
    try:
        if app.config.get("REDIS_URL"):
            scheduler = supervise(scheduler)
        else:
            log.info("REDIS_URL is not set: jobs run inline; running the periodic jobs only.")
            scheduler.join()
    finally:
        if scheduler.is_alive():
            scheduler.terminate()
            scheduler.join(timeout=30)


class NoScheduler:
    """Stands in for the scheduler process when another unit runs the periodic jobs."""

    def is_alive(self):
        """Always "alive": the supervising loop never starts one."""
        return True

    def join(self, timeout=None):
        """Nothing to wait for."""

    def terminate(self):
        """Nothing to stop."""


if __name__ == "__main__":
    main()
