"""Every request has an id: the caller's when sane, else a fresh one; it is returned in
X-Request-ID, carried on every log line and into the jobs the request enqueues."""

import json
import logging
import os
import re
import subprocess
import sys
import time

import pytest

from tests.reliability.services import ROOT, kill_worker
from webapp.jobs import enqueue, get_queue, with_request_id
from webapp.logs import accepted_request_id, current_request_id

log = logging.getLogger(__name__)


def note_request_id(marker):
    """A job that logs one line (the worker's log shows the id it ran under)."""
    log.info("job ran %s", marker)


@pytest.mark.sqlite_ok
def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.sqlite_ok
def test_a_sane_incoming_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-4f2a.77:9"})
    assert response.headers["X-Request-ID"] == "lb-4f2a.77:9"


@pytest.mark.sqlite_ok
@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "x" * 129, "<script>id"])
def test_an_insane_incoming_id_is_replaced(client, incoming):
    returned = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert returned != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", returned)
    assert accepted_request_id(incoming) != incoming


@pytest.mark.sqlite_ok
def test_log_lines_of_a_request_carry_its_id(app, caplog):
    with app.test_request_context("/healthz", headers={"X-Request-ID": "trace-0001"}):
        app.preprocess_request()
        with caplog.at_level(logging.INFO):
            log.info("inside the request")
        assert current_request_id() == "trace-0001"
    assert caplog.records[-1].request_id == "trace-0001"
    assert current_request_id() is None


@pytest.mark.sqlite_ok
def test_enqueue_options_carry_the_request_id(app):
    assert with_request_id({"job_timeout": 5}) == {"job_timeout": 5}
    with app.test_request_context("/", headers={"X-Request-ID": "trace-0002"}):
        app.preprocess_request()
        options = with_request_id({"meta": {"kept": 1}})
    assert options == {"meta": {"kept": 1, "request_id": "trace-0002"}}


def test_a_queued_job_logs_under_the_request_id(app, tmp_path):
    with app.test_request_context("/", headers={"X-Request-ID": "trace-job-0003"}):
        app.preprocess_request()
        assert enqueue(note_request_id, "m-0003", queue="low")
        assert get_queue("low").jobs[-1].meta["request_id"] == "trace-job-0003"
    log_file = tmp_path / "worker.log"
    worker = _start_worker(app, log_file)
    try:
        line = _wait_for_line(log_file, "job ran m-0003")
    finally:
        kill_worker(worker)
    assert line["request_id"] == "trace-job-0003"
    assert line["level"] == "INFO"


def _start_worker(app, log_file):
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        QUEUE_PREFIX=app.config["QUEUE_PREFIX"],
        SECRET_KEY="worker-test-secret",
        ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"],
        LOG_FORMAT="json",
    )
    with open(log_file, "w") as sink:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py"), "--no-scheduler"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )


def _wait_for_line(log_file, text, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for raw in log_file.read_text().splitlines():
            if text in raw and raw.startswith("{"):
                return json.loads(raw)
        time.sleep(0.2)
    raise AssertionError(f"no log line with {text!r}:\n{log_file.read_text()[-2000:]}")
