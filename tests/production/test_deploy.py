"""gunicorn.conf.py, the Procfile and the example units: settings from the environment, a
real gunicorn that logs JSON with the request id, and a scheduler that stops on SIGTERM."""

import json
import multiprocessing
import os
import re
import runpy
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.reliability.services import ROOT, free_port, wait_until

pytestmark = pytest.mark.sqlite_ok


def _gunicorn_settings(monkeypatch, **env):
    for name in ("WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults_are_the_measured_ones(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, APP_ENV="production")
    assert settings["worker_class"] == "sync"
    assert settings["workers"] == multiprocessing.cpu_count()
    assert settings["threads"] == 1
    assert (settings["timeout"], settings["graceful_timeout"]) == (30, 30)
    assert settings["accesslog"] == "-"
    assert "request_id=%({x-request-id}o)s" in settings["access_log_format"]
    assert "logconfig_dict" in settings  # JSON in production


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    settings = _gunicorn_settings(
        monkeypatch,
        WEB_CONCURRENCY="3",
        GUNICORN_WORKER_CLASS="gthread",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="12",
        PORT="9123",
        LOG_FORMAT="text",
    )
    assert (settings["workers"], settings["worker_class"], settings["threads"]) == (3, "gthread", 4)
    assert settings["timeout"] == 12
    assert settings["bind"] == "127.0.0.1:9123"
    assert "logconfig_dict" not in settings


def test_real_gunicorn_answers_and_logs_json_with_the_request_id(app, tmp_path):
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="deploy-test",
        ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"],
        APP_ENV="production",
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    env.pop("REDIS_URL", None)
    log_file = tmp_path / "gunicorn.log"
    with open(log_file, "w") as sink:
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:
        wait_until(lambda: _answers(port), timeout=30, interval=0.2)
        response = requests.get(
            f"http://127.0.0.1:{port}/readyz", headers={"X-Request-ID": "deploy-test-01"}
        )
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == "deploy-test-01"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=40) == 0  # a graceful stop
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    access = [line for line in lines if line["name"] == "gunicorn.access"]
    assert any("GET /readyz" in a["message"] and "deploy-test-01" in a["message"] for a in access)


def _answers(port):
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_the_scheduler_unit_runs_alone_and_stops_on_sigterm(app, tmp_path):
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        SECRET_KEY="deploy-test",
        ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"],
        QUEUE_PREFIX=app.config["QUEUE_PREFIX"],
    )
    log_file = tmp_path / "scheduler.log"
    with open(log_file, "w") as sink:
        scheduler = subprocess.Popen(
            [sys.executable, "worker.py", "--scheduler-only"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=sink,
        )
    wait_until(lambda: "scheduler running" in log_file.read_text(), timeout=60, interval=0.2)
    time.sleep(1)
    assert scheduler.poll() is None  # still running its periodic jobs
    scheduler.send_signal(signal.SIGTERM)
    assert scheduler.wait(timeout=30) == 0


def test_procfile_and_units_start_web_worker_and_scheduler():
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    assert procfile["web"] == "gunicorn -c gunicorn.conf.py wsgi:app"
    assert procfile["worker"] == "python worker.py --no-scheduler"
    assert procfile["scheduler"] == "python worker.py --scheduler-only"
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert [u.name for u in units] == [
        "cannarewards-scheduler.service",
        "cannarewards-web.service",
        "cannarewards-worker@.service",
    ]
    for unit in units:
        text = unit.read_text()
        assert "Restart=on-failure" in text
        command = re.search(r"^ExecStart=\S+/(\S+ .*)$", text, re.M).group(1)
        assert command.replace(".venv/bin/", "") in {
            "gunicorn -c gunicorn.conf.py wsgi:app",
            "python worker.py --no-scheduler",
            "python worker.py --scheduler-only",
        }


def test_the_proxy_example_buffers_requests_and_forwards_one_hop():
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_request_buffering on;" in config
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    assert "client_body_timeout" in config
