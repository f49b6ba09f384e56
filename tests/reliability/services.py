"""Private services for fault tests: a redis-server and a mariadbd of the test's own, the
worker as a subprocess, and the checks every fault scenario ends with."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import case, func, select

from tests.customerio.conftest import API_KEY, SITE_ID
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, User, UserActionLog

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, interval=0.1):
    """Poll `predicate` until true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)


def _listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PrivateRedis:
    """A throwaway redis-server on its own port and directory."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-")
        self.process = None

    @property
    def url(self):
        """The redis:// URL of this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        """Start (or restart, empty) the server and wait until it answers."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _listening(self.port), timeout=10, interval=0.05)
        return self

    def kill(self):
        """SIGKILL the server (everything in it is lost)."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)

    def pause(self):
        """SIGSTOP: the port still accepts connections, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        """SIGCONT after `pause`."""
        os.kill(self.process.pid, signal.SIGCONT)

    def close(self):
        """Kill the server and remove its directory."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateMariaDB:
    """A throwaway mariadbd on its own port, socket and data directory; `options` are added
    to (and override) the server's command line."""

    def __init__(self, *options):
        self.options = list(options)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mariadb-"))
        self.socket = self.dir / "mysqld.sock"
        self.process = None

    def database_url(self, name):
        """The SQLAlchemy URL of database `name` on this server, through its socket."""
        return f"mysql+pymysql://root@localhost/{name}?unix_socket={self.socket}&charset=utf8mb4"

    def create_database(self, name):
        """Create an empty utf8mb4 database."""
        subprocess.run(
            ["mariadb", f"--socket={self.socket}", "--user=root", "-e"]
            + [f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"],
            check=True,
        )
        return self.database_url(name)

    def install(self):
        """Create the system tables in the data directory."""
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.dir / 'data'}",
                "--auth-root-authentication-method=normal",
            ]
            + ["--skip-test-db", "--user=root"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def start(self):
        """Start the server and wait until it takes connections."""
        self.process = subprocess.Popen(
            [
                shutil.which("mariadbd") or "mariadbd",
                "--no-defaults",
                f"--datadir={self.dir / 'data'}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.dir / 'mysqld.pid'}",
                "--user=root",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=16M",
                "--skip-name-resolve",
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=60, interval=0.1)
        return self

    def _answers(self):
        result = subprocess.run(
            ["mariadb-admin", f"--socket={self.socket}", "--user=root", "ping"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return result.returncode == 0

    def kill(self):
        """SIGKILL the server (a crash: InnoDB recovers on the next start)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def close(self):
        """Kill the server and remove its data directory."""
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_worker(app, fake, **env_overrides):
    """`worker.py` as a subprocess against the test database, the given Redis and the fake."""
    env = dict(
        os.environ,
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        QUEUE_PREFIX=app.config["QUEUE_PREFIX"],
        CUSTOMERIO_TRACK_URL=fake.url,
        CUSTOMERIO_SITE_ID=SITE_ID,
        CUSTOMERIO_API_KEY=API_KEY,
        SECRET_KEY="worker-test-secret",
        ENCRYPTION_KEY=app.config["ENCRYPTION_KEY"],
        SWEEP_SECONDS="1",
    )
    env.update({key: str(value) for key, value in env_overrides.items()})
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_worker(process):
    """SIGKILL the worker and its work horse."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def outbox_rows():
    """Every outbox row, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(select(CustomerIoEventQueue).order_by(CustomerIoEventQueue.id)).all()


def assert_every_event_reached(fake):
    """Every event row is sent and Customer.io took its id at least once."""
    rows = [row for row in outbox_rows() if row.event_type == "event"]
    assert rows and all(row.status == "sent" for row in rows)
    delivered = {event["id"] for event in fake.events()}
    assert {row.event_uid for row in rows} <= delivered


def copies_by_id(fake):
    """How many times Customer.io took each event id."""
    counts = {}
    for event in fake.events():
        counts[event["id"]] = counts.get(event["id"], 0) + 1
    return counts


def assert_ledger_invariants():
    """Every balance is the sum of its ledger rows, never negative; lifetime is what was earned."""
    db.session.expire_all()
    earned = (UserActionLog.points_awarded > 0) & (UserActionLog.action_type != "points_refunded")
    for user in db.session.scalars(select(User)):
        total, positive = db.session.execute(
            select(
                func.coalesce(func.sum(UserActionLog.points_awarded), 0),
                func.coalesce(func.sum(case((earned, UserActionLog.points_awarded), else_=0)), 0),
            ).where(UserActionLog.user_id == user.id)
        ).one()
        assert user.points_balance >= 0
        assert user.points_balance == Decimal(total)
        assert user.lifetime_points == Decimal(positive)
