"""The worker runs its jobs in its own process on pooled connections: no work horse forked
and no database connection opened per job (each cost ~50 ms of CPU a delivery)."""

import logging
import os

from sqlalchemy import text

from tests.production.test_request_id import _start_worker, _wait_for_line
from tests.reliability.services import kill_worker
from webapp.extensions import db
from webapp.jobs import enqueue

log = logging.getLogger(__name__)


def note_process_and_connection(marker):
    """A job that logs the process it ran in and its database connection's id."""
    connection_id = db.session.scalar(text("SELECT CONNECTION_ID()"))
    log.info("job %s pid=%s connection=%s", marker, os.getpid(), connection_id)


def _fields(line):
    words = dict(word.split("=") for word in line["message"].split()[2:])
    return int(words["pid"]), int(words["connection"])


def test_jobs_run_in_the_worker_process_on_one_pooled_connection(app, tmp_path):
    for marker in ("first", "second", "third"):
        assert enqueue(note_process_and_connection, marker, queue="low")
    log_file = tmp_path / "worker.log"
    worker = _start_worker(app, log_file)
    try:
        ran = [
            _fields(_wait_for_line(log_file, f"job {marker} "))
            for marker in ("first", "second", "third")
        ]
    finally:
        kill_worker(worker)
    pids = {pid for pid, _ in ran}
    connections = {connection for _, connection in ran}
    assert pids == {worker.pid}, ran
    assert len(connections) == 1, ran
