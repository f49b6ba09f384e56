"""Scan throughput and latency: the whole scan rule (claim, award, rank, goals, referral,
achievements, outbox) on MariaDB + Redis, from 1..N threads, each its own connection.

    .venv/bin/python bench/scan.py [--scans 2000] [--threads 1,2,4,8]

Creates a throw-away database, loads the demo program (5 achievements, 3 ranks), makes one
member and one code per scan, then times `scan_code` calls. Not a test: it prints numbers.
"""

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.demo import seed_demo  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.jobs import redis_connection  # noqa: E402
from webapp.loyalty.codes import new_code  # noqa: E402
from webapp.loyalty.scan import scan_code  # noqa: E402
from webapp.models import Brand, Product, ScanCode, User  # noqa: E402

MARIADB_SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def server_admin(statement):
    """Run one statement on the MariaDB server."""
    engine = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def prepare(count):
    """`count` new members, each with two unclaimed codes; returns two [(user_id, code)]."""
    product = db.session.scalar(select(Product).where(Product.points_award > 0))
    token = secrets.token_hex(3)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"bench{token}-{i}@example.com",
                "password_hash": "x",
                "points_balance": 0,
                "lifetime_points": 0,
            }
            for i in range(count)
        ],
    )
    codes = [new_code() for _ in range(2 * count)]
    db.session.execute(insert(ScanCode), [{"product_id": product.id, "code": c} for c in codes])
    db.session.commit()
    users = db.session.scalars(
        select(User.id).where(User.email.like(f"bench{token}-%")).order_by(User.id)
    ).all()
    return list(zip(users, codes[:count], strict=True)), list(
        zip(users, codes[count:], strict=True)
    )


def run(app, brand_id, work, threads):
    """Scan every (user, code) of `work` from `threads` threads; returns (rate, latencies)."""
    chunks = [work[i::threads] for i in range(threads)]
    latencies = []
    lock = threading.Lock()

    def scanner(chunk):
        mine = []
        with app.app_context():
            for user_id, code in chunk:
                started = time.perf_counter()
                result = scan_code(user_id, code, brand_id=brand_id, ip_address="127.0.0.1")
                db.session.commit()
                mine.append(time.perf_counter() - started)
                assert result.outcome == "awarded", result.outcome
            db.session.remove()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=scanner, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return len(work) / (time.perf_counter() - started), latencies


def main():
    """Print a Markdown table of scans/s and latency per thread count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--threads", default="1,2,4,8")
    args = parser.parse_args()
    name = f"crbench_{secrets.token_hex(3)}"
    prefix = f"crbench-{secrets.token_hex(3)}"
    server_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"{MARIADB_SERVER_URL}/{name}?charset=utf8mb4",
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 16, "max_overflow": 4},
            "REDIS_URL": REDIS_URL,
            "QUEUE_PREFIX": prefix,
            "SECRET_KEY": "bench",
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }
    )
    try:
        with app.app_context():
            upgrade()
            seed_demo()
            brand_id = db.session.scalar(select(Brand.id))
            print(f"{args.scans} scans per row, MariaDB + Redis, demo program\n")
            print("| scan | threads | scans/s | p50 ms | p95 ms | p99 ms |")
            print("|---|---:|---:|---:|---:|---:|")
            for threads in (int(n) for n in args.threads.split(",")):
                for label, work in zip(
                    ("first (unlocks)", "repeat"), prepare(args.scans), strict=True
                ):
                    rate, lat = run(app, brand_id, work, threads)
                    q = statistics.quantiles([x * 1000 for x in lat], n=100)
                    print(
                        f"| {label} | {threads} | {rate:,.0f} | {q[49]:.1f} | {q[94]:.1f} "
                        f"| {q[98]:.1f} |"
                    )
            db.engine.dispose()
    finally:
        server_admin(f"DROP DATABASE IF EXISTS `{name}`")
        with app.app_context():
            client = redis_connection()
            for key in client.scan_iter(f"*{prefix}*"):
                client.delete(key)


if __name__ == "__main__":
    main()
