"""Admin dashboard queries over a large ledger: each figure timed on MariaDB.

    .venv/bin/python bench/dashboard.py [--rows 1000000] [--members 50000]

Creates a throw-away database with two brands, `--members` members and `--rows` action-log
rows spread over 400 days (half per brand), then times every query of the dashboard
(`webapp.admin.stats`) for one brand, best of three. Not a test: it prints numbers.
"""

import argparse
import os
import random
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.admin import stats  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Brand, Product, User, UserActionLog  # noqa: E402
from webapp.timeutil import utcnow  # noqa: E402

MARIADB_SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
CHUNK = 10_000
FIGURES = (
    "scans_per_day",
    "signups_per_day",
    "points_flow",
    "liability",
    "top_products",
    "rank_distribution",
    "segments",
    "outbox_health",
)


def server_admin(statement):
    """Run one statement on the MariaDB server."""
    engine = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def populate(rows, members):
    """Two brands, their products, `members` members and `rows` ledger rows."""
    now = utcnow()
    brands = [Brand(name=f"Bench {n}", slug=f"bench-{n}", settings={}) for n in (1, 2)]
    db.session.add_all(brands)
    db.session.flush()
    for brand in brands:
        for n in range(20):
            db.session.add(
                Product(
                    brand_id=brand.id,
                    sku=f"B{n}",
                    name=f"Product {n}",
                    msrp=40,
                    points_award=100,
                    points_cost=1500 if n < 3 else None,
                )
            )
    db.session.commit()
    products = {
        b.id: db.session.scalars(select(Product.id).where(Product.brand_id == b.id)).all()
        for b in brands
    }
    for start in range(0, members, CHUNK):
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"m{i}@bench.example",
                    "password_hash": "x",
                    "signup_brand_id": brands[i % 2].id,
                    "points_balance": i % 3000,
                    "lifetime_points": i % 9000,
                    "created_at": now - timedelta(days=i % 400),
                    "current_rank_key": ("member", "bronze", "silver", "gold")[i % 4],
                }
                for i in range(start, min(start + CHUNK, members))
            ],
        )
    user_ids = db.session.scalars(select(User.id)).all()
    db.session.commit()
    rng = random.Random(7)
    for start in range(0, rows, CHUNK):
        batch = []
        for _ in range(min(CHUNK, rows - start)):
            brand = brands[rng.randrange(2)].id
            batch.append(
                {
                    "user_id": rng.choice(user_ids),
                    "brand_id": brand,
                    "product_id": rng.choice(products[brand]),
                    "action_type": "product_scanned",
                    "points_awarded": 100,
                    "created_at": now - timedelta(minutes=rng.randrange(400 * 24 * 60)),
                }
            )
        db.session.execute(insert(UserActionLog), batch)
        db.session.commit()
    db.session.execute(text("ANALYZE TABLE user_action_log, users"))
    return brands[0].id


def best_of_three(fn, brand_id):
    """The fastest of three runs of `fn(brand_id)`, in milliseconds."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        fn(brand_id)
        timings.append((time.perf_counter() - started) * 1000)
    return min(timings)


def main():
    """Populate, then print a Markdown table of query times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=50_000)
    args = parser.parse_args()
    name = f"crbench_{secrets.token_hex(3)}"
    server_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"{MARIADB_SERVER_URL}/{name}?charset=utf8mb4",
            "REDIS_URL": None,
            "SECRET_KEY": "bench",
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        }
    )
    try:
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            brand_id = populate(args.rows, args.members)
            print(
                f"{args.rows:,} ledger rows, {args.members:,} members "
                f"(loaded in {time.perf_counter() - started:.0f} s)\n"
            )
            print("| figure | ms (best of 3) |\n|---|---:|")
            total = 0.0
            for figure in FIGURES:
                elapsed = best_of_three(getattr(stats, figure), brand_id)
                total += elapsed
                print(f"| {figure} | {elapsed:,.1f} |")
            print(f"| whole dashboard | {total:,.1f} |")
            db.engine.dispose()
    finally:
        server_admin(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    main()
