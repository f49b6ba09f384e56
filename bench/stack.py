"""`make bench`: the whole stack over real HTTP, each endpoint as a ratio to a floor.

    .venv/bin/python bench/stack.py [--smoke] [--seconds 20] [--concurrency 8]
        [--workers 2] [--worker-class sync] [--threads 1] [--only floor,scan-20,...]

Starts gunicorn with gunicorn.conf.py (the production settings, BENCH_ENDPOINTS on), an RQ
worker with its scheduler (worker.py), the local fake Customer.io, on MariaDB and Redis (which
must answer: `make services`); loads the data set (bench/dataset.py) into a database of its
own; signs members in over HTTP (session cookie, CSRF token); then drives each endpoint from
separate processes (bench/driver.py) and prints one table: requests/s, p50/p95/p99, errors,
database round trips per request (counted at the connection by webapp/benchmark.py), each with
its ratio to the floor endpoint of the same run. After the run it checks the ledger invariants,
that every scan has exactly one ledger row and one claimed code, that every stored webhook was
applied, and that every outbox row reached the fake. Exits 1 when a check fails.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench import checks, dataset, driver  # noqa: E402
from tests import fake_customerio  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402

MARIADB_SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SIGNING_KEY = "bench-signing-key"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SCENARIOS = ("floor", "scan-20", "scan-1", "dashboard", "rewards", "webhook", "healthz")


def server_admin(statement):
    """Run one statement on the MariaDB server."""
    engine = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url, fake_url, counts_dir, args):
    """What gunicorn and the worker see: production settings on loopback."""
    env = dict(
        os.environ,
        APP_ENV="production",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        QUEUE_PREFIX=f"crbench-{secrets.token_hex(3)}",
        SECRET_KEY=secrets.token_hex(16),
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
        PUBLIC_URL="http://127.0.0.1",
        DEFAULT_BRAND=dataset.FIRST_BRAND_SLUG,
        CUSTOMERIO_TRACK_URL=fake_url,
        CUSTOMERIO_SITE_ID="bench-site",
        CUSTOMERIO_API_KEY="bench-key",
        CUSTOMERIO_WEBHOOK_SIGNING_KEY=SIGNING_KEY,
        BENCH_ENDPOINTS="1",
        BENCH_COUNTS_DIR=str(counts_dir),
        GUNICORN_ACCESS_LOG="/dev/null",
        LOG_LEVEL="WARNING",
        SWEEP_SECONDS="5",
        MEDIA_FOLDER=str(counts_dir / "media"),
    )
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    if args.worker_class:
        env["GUNICORN_WORKER_CLASS"] = args.worker_class
    if args.threads:
        env["GUNICORN_THREADS"] = str(args.threads)
    return env


def start_gunicorn(env, port, log_path):
    env = dict(env, PORT=str(port))
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "a"),  # noqa: SIM115 - the child keeps it
    )
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.RequestException:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log_path}") from None
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def start_worker(env, log_path):
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "a"),  # noqa: SIM115
    )


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _insecure(session, answer):
    """Production cookies are Secure; the benchmark speaks plain HTTP on loopback, so the
    client sends them anyway (the app never sees the difference)."""
    for cookie in session.cookies:
        cookie.secure = False
    return answer


def sign_in(base, email):
    """A signed-in member: (cookie header, CSRF token)."""
    session = requests.Session()
    session.cookies.set("age_confirmed", "1")
    token = CSRF.search(_insecure(session, session.get(f"{base}/login")).text).group(1)
    answer = session.post(
        f"{base}/login",
        data={"email": email, "password": dataset.factories.DEFAULT_PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    _insecure(session, answer)
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"sign-in of {email} answered {answer.status_code}")
    token = CSRF.search(_insecure(session, session.get(f"{base}/scan")).text).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return cookie, token


def webhook_bodies(count, user_ids):
    """Signed reporting webhooks (email opened), each with its own event id."""
    now = str(int(time.time()))
    bodies = []
    for n in range(count):
        user_id = str(user_ids[n % len(user_ids)])
        body = json.dumps(
            {
                "event_id": f"bench-{secrets.token_hex(8)}",
                "object_type": "email",
                "metric": "opened",
                "timestamp": int(now),
                "data": {"customer_id": user_id, "identifiers": {"id": user_id}},
            }
        ).encode()
        signed = b"v0:" + now.encode() + b":" + body
        signature = hmac.new(SIGNING_KEY.encode(), signed, hashlib.sha256).hexdigest()
        bodies.append((body, now, signature))
    return bodies


def read_round_trips(folder):
    totals = {}
    for path in Path(folder).glob("round-trips-*.json"):
        for label, counts in json.loads(path.read_text()).items():
            entry = totals.setdefault(label, {"requests": 0, "round_trips": 0})
            entry["requests"] += counts["requests"]
            entry["round_trips"] += counts["round_trips"]
    return totals


def quantile(values, q):
    if not values:
        return float("nan")
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def table(results, trips, labels):
    """The Markdown table: each figure and its ratio to the floor's."""
    floor = results.get("floor")
    rows = [
        "| endpoint | req/s | ratio | p50 ms | p95 ms | p99 ms | p99 / floor p99 | errors "
        "| round trips/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in labels:
        result = results.get(label)
        if result is None:
            continue
        rate = result["requests"] / result["seconds"]
        ratio = rate / (floor["requests"] / floor["seconds"]) if floor else float("nan")
        p99 = quantile(result["latencies"], 99)
        p99_ratio = p99 / quantile(floor["latencies"], 99) if floor else float("nan")
        counted = trips.get(label)
        per_request = f"{counted['round_trips'] / counted['requests']:.1f}" if counted else "n/a"
        rows.append(
            f"| {label} | {rate:,.0f} | {ratio:.2f} | {quantile(result['latencies'], 50):.1f} "
            f"| {quantile(result['latencies'], 95):.1f} | {p99:.1f} | {p99_ratio:.1f} "
            f"| {result['errors']} | {per_request} |"
        )
    return "\n".join(rows)


def prepare_database(database_url, sizes, media):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": None,
            "SECRET_KEY": "bench",
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "MEDIA_FOLDER": str(media),
        }
    )
    with app.app_context():
        upgrade()
        loaded = dataset.load(sizes)
        user_ids = checks.user_ids_of(loaded.emails)
        db.engine.dispose()
    return app, loaded, user_ids


def scenario_for(label, port, members, codes, user_ids, args):
    """The load of one table row; scans take fresh codes from `codes` (an iterator)."""
    spec = driver.Scenario(label=label, port=port)
    requests_each = args.concurrency * args.codes_per_process
    if label == "floor":
        return spec.get("/_bench/floor", members[1:])
    if label in ("scan-20", "scan-1"):
        batch = [next(codes) for _ in range(requests_each)]
        return spec.scan(members[1:21] if label == "scan-20" else members[:1], batch)
    if label == "webhook":
        return spec.webhooks(webhook_bodies(requests_each, user_ids))
    paths = {"dashboard": "/", "rewards": "/rewards", "healthz": "/healthz"}
    return spec.get(paths[label], members[1:] if label != "healthz" else [("", "")])


def run(args):
    sizes = dataset.Sizes.smoke() if args.smoke else dataset.Sizes.full()
    labels = [label for label in SCENARIOS if not args.only or label in args.only.split(",")]
    if "floor" not in labels:
        labels.insert(0, "floor")
    name = f"crbench_{secrets.token_hex(3)}"
    folder = Path(tempfile.mkdtemp(prefix="crbench-"))
    server_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    database_url = f"{MARIADB_SERVER_URL}/{name}?charset=utf8mb4"
    fake_customerio._Handler.disable_nagle_algorithm = True
    gunicorn = worker = None
    try:
        with fake_customerio.FakeCustomerIO() as fake:
            print(f"loading the data set ({'smoke' if args.smoke else 'full'}) into {name}")
            app, loaded, user_ids = prepare_database(database_url, sizes, folder / "media")
            print(loaded.campaigns)
            env = environment(database_url, fake.url, folder, args)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            worker = start_worker(env, folder / "worker.log")
            gunicorn = start_gunicorn(env, port, folder / "gunicorn.log")
            members = [sign_in(base, email) for email in loaded.emails]
            with app.app_context():
                before = checks.marks()
            codes = iter(loaded.codes)
            results = {}
            for label in labels:
                spec = scenario_for(label, port, members, codes, user_ids, args)
                results[label] = result = driver.drive(spec, args.seconds, args.concurrency)
                ran_out = (
                    f" (its finite load ran out after {result['seconds']:.1f} s)"
                    if result["ran_out"]
                    else ""
                )
                print(f"  {label}: {result['requests'] / result['seconds']:,.0f} req/s{ran_out}")
            with app.app_context():
                applied_in = checks.wait_webhooks_applied(timeout=120)
                delivered_in = checks.wait_outbox_delivered(timeout=300)
            stop(gunicorn)
            trips = read_round_trips(folder)
            print()
            print(table(results, trips, labels))
            print()
            with app.app_context():
                problems = checks.run_all(before, results, fake, applied_in, delivered_in)
                db.engine.dispose()
            print(f"webhooks applied {applied_in:.1f} s after the last was accepted")
            print(f"outbox drained {delivered_in:.1f} s after the load ended")
            for problem in problems:
                print(f"CHECK FAILED: {problem}")
            if not problems:
                print(
                    "checks: ledger invariants hold; one ledger row and one claimed code per "
                    "scan; every webhook applied; every outbox row reached the fake"
                )
            return 1 if problems else 0
    finally:
        for process in (gunicorn, worker):
            if process is not None:
                stop(process)
        server_admin(f"DROP DATABASE IF EXISTS `{name}`")
        if not args.keep_logs:
            subprocess.run(["rm", "-rf", str(folder)], check=False)
        else:
            print(f"logs in {folder}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small data set, short runs")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--only", default=None, help="comma-separated scenarios")
    parser.add_argument("--codes-per-process", type=int, default=None)
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 3.0 if args.smoke else 20.0
    if args.codes_per_process is None:
        args.codes_per_process = 400 if args.smoke else 5000
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
