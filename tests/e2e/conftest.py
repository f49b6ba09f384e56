"""Browser-test harness: the app served by gunicorn with an RQ worker, on its own database,
driven by the system Chromium through Playwright."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from tests.conftest import REDIS_URL, create_mariadb_database, drop_mariadb_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
SERVED = {}  # the live server's database URL, for helpers that read what it sent


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test."""
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


def _flask(env, *args):
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    return subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, text=True)


def _server_env(database_url, port, prefix):
    env = dict(os.environ)
    env.update(
        APP_ENV="development",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        QUEUE_PREFIX=prefix,
        SECRET_KEY=secrets.token_urlsafe(32),
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        CUSTOMERIO_TRACK_URL="http://127.0.0.1:9",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CUSTOMERIO_SITE_ID", "CUSTOMERIO_API_KEY", "DEFAULT_BRAND", "TESTING"):
        env.pop(name, None)
    return env


def _stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL, demo data, database URL and environment (for `flask` commands) of a gunicorn
    server (2 sync workers) plus an RQ worker."""
    token = secrets.token_hex(4)
    name, prefix, port = f"cre2e_{token}", f"cre2e-{token}", _free_port()
    env = _server_env(create_mariadb_database(name), port, prefix)
    env["MEDIA_FOLDER"] = str(tmp_path_factory.mktemp("e2e-media"))
    logs = tmp_path_factory.mktemp("e2e-logs")
    processes = []
    try:
        _flask(env, "db", "upgrade")
        demo = json.loads(_flask(env, "seed-demo", "--json").stdout)
        server_command = [str(BIN / "gunicorn"), "-w", "2", "-k", "sync"]
        server_command += ["-b", f"127.0.0.1:{port}", "wsgi:app"]
        for command, log_name in (
            (server_command, "gunicorn.log"),
            ([sys.executable, "worker.py"], "worker.log"),
        ):
            log_file = (logs / log_name).open("w")
            processes.append(
                subprocess.Popen(command, env=env, cwd=ROOT, stdout=log_file, stderr=log_file)
            )
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, processes[0])
        SERVED["database_url"] = env["DATABASE_URL"]
        yield {"url": url, "demo": demo, "database_url": env["DATABASE_URL"], "env": env}
    finally:
        for process in processes:
            _stop(process)
        drop_mariadb_database(name)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


@pytest.fixture(scope="session")
def browser():
    """The Debian Chromium, driven by Playwright (no downloaded browsers)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_server):
    """Open a browser context (phone-sized unless `viewport` says); all closed after the test."""
    contexts = []

    def open_context(age_confirmed=True, **options):
        viewport = options.pop("viewport", PHONE)
        context = browser.new_context(base_url=live_server["url"], viewport=viewport, **options)
        context.set_default_timeout(10_000)
        if age_confirmed:
            context.add_cookies(
                [{"name": "age_confirmed", "value": "1", "url": live_server["url"]}]
            )
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    """A page in a fresh context that has already passed the age gate."""
    return new_context().new_page()


def sign_in(page, email, password):
    """Sign in through the login form."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#points-balance")


def confirmation_path(email):
    """The path of the newest confirmation link the served app sent to `email`."""
    engine = create_engine(SERVED["database_url"])
    try:
        with engine.connect() as conn:
            data = conn.execute(
                text(
                    "SELECT q.event_data FROM customer_io_event_queue q"
                    " JOIN users u ON u.id = q.user_id WHERE u.email = :email"
                    " AND q.event_name = 'email_confirmation_requested' ORDER BY q.id DESC"
                ),
                {"email": email.lower()},
            ).scalar()
    finally:
        engine.dispose()
    link = (json.loads(data) if isinstance(data, str) else data)["event_context"]["link"]
    return "/confirm/" + link.rsplit("/confirm/", 1)[1]


def confirm_sign_up(page, email):
    """After the sign-up form: open the emailed link and confirm, which signs in."""
    page.wait_for_selector("h1:has-text('Check your email')")
    page.goto(confirmation_path(email))
    page.click("text=Confirm and sign in")
    page.wait_for_selector("#points-balance")


def flask_command(live_server, *args):
    """Run `flask --app wsgi ARGS` on the served app's database; returns its stdout."""
    return _flask(live_server["env"], *args).stdout
