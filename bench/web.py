"""HTTP throughput of gunicorn configurations with wrk: a member's dashboard (a page) and
POST /scan (a scan: the whole rule behind a form post), each on MariaDB + Redis.

    .venv/bin/python bench/web.py [--seconds 10] [--connections 8] [--repeat 2]
                                   [--configs sync:2:1,sync:4:1,gthread:2:4]

A config is class:workers:threads. Creates a throw-away database with the demo program,
MEMBERS members signed in over HTTP and one fresh code per scan request. Not a test.
"""

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.scan import MARIADB_SERVER_URL, REDIS_URL, server_admin  # noqa: E402
from tests import factories  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.demo import seed_demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.loyalty.codes import new_code  # noqa: E402
from webapp.models import Brand, Product, ScanCode  # noqa: E402

MEMBERS = 16
CODES_PER_THREAD = 5000
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SCAN_LUA = """
local members = {%s}
local codes = {}
for line in io.lines("%s") do codes[#codes + 1] = line end
local first = %d
local counter = 0
local threads = 0
function setup(thread) thread:set("offset", threads); threads = threads + 1 end
request = function()
  counter = counter + 1
  local member = members[(counter %% #members) + 1]
  local code = codes[first + offset * %d + counter] or "none"
  return wrk.format("POST", "/scan", {["Cookie"] = member[1],
    ["Content-Type"] = "application/x-www-form-urlencoded"},
    "csrf_token=" .. member[2] .. "&code=" .. code)
end
"""
PAGE_LUA = """
local members = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local member = members[(counter %% #members) + 1]
  return wrk.format("GET", "/", {["Cookie"] = member[1]})
end
"""


def prepare(env, codes_needed):
    """Migrate, load the demo, add members and codes; returns (emails, codes)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "REDIS_URL": REDIS_URL})
    with app.app_context():
        upgrade()
        seed_demo()
        brand = db.session.scalar(select(Brand))
        emails = [factories.user(brands=[brand]).email for _ in range(MEMBERS)]
        product = db.session.scalar(select(Product).where(Product.points_award > 0))
        codes = [new_code() for _ in range(codes_needed)]
        for start in range(0, len(codes), 5000):
            rows = [{"product_id": product.id, "code": c} for c in codes[start : start + 5000]]
            db.session.execute(insert(ScanCode), rows)
        db.session.commit()
        db.engine.dispose()
    return emails, codes


def start_gunicorn(env, port, worker_class, workers, threads):
    """gunicorn with gunicorn.conf.py and the given shape; waits until /healthz answers."""
    env = dict(env, PORT=str(port), WEB_CONCURRENCY=str(workers))
    env.update(GUNICORN_WORKER_CLASS=worker_class, GUNICORN_THREADS=str(threads))
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("BENCH_GUNICORN_LOG", os.devnull), "a"),  # noqa: SIM115
    )
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def sign_in(base, email):
    """A signed-in session: (cookie header, CSRF token of the scan form)."""
    session = requests.Session()
    session.cookies.set("age_confirmed", "1")
    token = CSRF.search(session.get(f"{base}/login").text).group(1)
    answer = session.post(
        f"{base}/login",
        data={"email": email, "password": factories.DEFAULT_PASSWORD, "csrf_token": token},
    )
    answer.raise_for_status()
    token = CSRF.search(session.get(f"{base}/scan").text).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)
    return cookie, token


def wrk(base, script, seconds, connections):
    """Run wrk; returns (requests/s, p50 ms, p99 ms, non-2xx/3xx count)."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(bad.group(1)) if bad else 0


def _lua_pair(cookie, token):
    return f'{{"{cookie}", "{token}"}}'


def _ms(value):
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def main():
    """Print a Markdown table per configuration and endpoint."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--configs", default="sync:2:1,sync:4:1,gthread:2:4")
    args = parser.parse_args()
    name = f"crbench_{secrets.token_hex(3)}"
    server_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    env = dict(
        os.environ,
        DATABASE_URL=f"{MARIADB_SERVER_URL}/{name}?charset=utf8mb4",
        REDIS_URL=REDIS_URL,
        QUEUE_PREFIX=f"crbench-{secrets.token_hex(3)}",
        SECRET_KEY="bench",
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
        GUNICORN_ACCESS_LOG="/dev/null",
        LOG_LEVEL="WARNING",
    )
    folder = Path(tempfile.mkdtemp(prefix="crbench-"))
    try:
        shapes = args.configs.split(",")
        emails, codes = prepare(env, 2 * CODES_PER_THREAD * len(shapes) * args.repeat)
        (folder / "codes").write_text("\n".join(codes) + "\n")
        print("| config | endpoint | req/s | p50 ms | p99 ms | errors |")
        print("|---|---|---:|---:|---:|---:|")
        run = 0
        for shape in shapes:
            worker_class, workers, threads = shape.split(":")
            for attempt in range(args.repeat):
                port = 18000 + secrets.randbelow(1000)
                base = f"http://127.0.0.1:{port}"
                process = start_gunicorn(env, port, worker_class, int(workers), int(threads))
                try:
                    members = ", ".join(_lua_pair(*sign_in(base, email)) for email in emails)
                    (folder / "page.lua").write_text(PAGE_LUA % members)
                    first, run = run * 2 * CODES_PER_THREAD, run + 1
                    scan = SCAN_LUA % (members, folder / "codes", first, CODES_PER_THREAD)
                    (folder / "scan.lua").write_text(scan)
                    for label in ("page", "scan"):
                        script = str(folder / f"{label}.lua")
                        rate, p50, p99, bad = wrk(base, script, args.seconds, args.connections)
                        print(
                            f"| {shape} #{attempt + 1} | {label} | {rate:,.0f} | {p50:.1f} "
                            f"| {p99:.1f} | {bad} |",
                            flush=True,
                        )
                finally:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=30)
    finally:
        server_admin(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    main()
