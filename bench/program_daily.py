"""The daily program run (points expiry and its reminders) of a large brand, timed on MariaDB.

    .venv/bin/python bench/program_daily.py [--members 100000] [--credits 6]

Creates a throw-away database with one brand under rolling expiry (12 months, reminders 30
and 7 days before) and a second brand without expiry, `--members` members of the first with
`--credits` awards each over the last 15 months and one redemption (balances are the sums of
their ledger rows), bulk-inserted. Then times `program_daily` for today (the first run: every
award past its 12 months expires at once), for tomorrow (an ordinary day) and the admin
dashboard's "expiring in the next 30 days". Not a test: it prints numbers.
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
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.loyalty.expiry import expiring_within  # noqa: E402
from webapp.loyalty.program_day import brand_today  # noqa: E402
from webapp.models import (  # noqa: E402
    Brand,
    CustomerIoEventQueue,
    MemberWallet,
    PointsExpiryReminder,
    User,
    UserActionLog,
)
from webapp.program_daily import program_daily  # noqa: E402
from webapp.timeutil import utcnow  # noqa: E402

MARIADB_SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
CHUNK = 5_000
EXPIRY = {"policy": "rolling", "months": 12, "reminder_days": [30, 7]}


def server_admin(statement):
    """Run one statement on the MariaDB server."""
    engine = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def member_history(rng, now, credits):
    """(ledger rows without user id, balance, lifetime) of one member: awards, one spend."""
    rows, balance = [], 0
    moments = sorted(now - timedelta(minutes=rng.randrange(455 * 24 * 60)) for _ in range(credits))
    for moment in moments:
        points = rng.choice((50, 100, 150, 300))
        balance += points
        rows.append(("product_scanned", points, moment))
    lifetime = balance
    spent = balance // 2
    rows.append(("reward_redeemed", -spent, moments[-1] + timedelta(minutes=1)))
    return rows, balance - spent, lifetime


def populate(members, credits):
    """The two brands, the members of the first, their wallets and their ledger rows."""
    now = utcnow()
    brand = Brand(name="Bench", slug="bench", settings={"points_expiry": EXPIRY})
    other = Brand(name="Other", slug="other", settings={})
    db.session.add_all([brand, other])
    db.session.commit()
    rng = random.Random(11)
    for start in range(0, members, CHUNK):
        numbers = range(start, min(start + CHUNK, members))
        histories = [member_history(rng, now, credits) for _ in numbers]
        db.session.execute(
            insert(User),
            [
                {
                    "email": f"m{n}@bench.example",
                    "password_hash": "x",
                    "signup_brand_id": brand.id,
                    "points_balance": balance,
                    "lifetime_points": lifetime,
                    "created_at": now - timedelta(days=460),
                }
                for n, (_rows, balance, lifetime) in zip(numbers, histories, strict=True)
            ],
        )
        emails = [f"m{n}@bench.example" for n in numbers]
        ids = dict(
            db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all()
        )
        user_ids = [ids[email] for email in emails]
        db.session.execute(
            insert(MemberWallet),
            [
                {
                    "user_id": user_id,
                    "brand_id": brand.id,
                    "points_balance": balance,
                    "lifetime_points": lifetime,
                    "joined_at": now - timedelta(days=460),
                }
                for user_id, (_rows, balance, lifetime) in zip(user_ids, histories, strict=True)
            ],
        )
        db.session.execute(
            insert(UserActionLog),
            [
                {
                    "user_id": user_id,
                    "brand_id": brand.id,
                    "action_type": action,
                    "points_awarded": points,
                    "created_at": moment,
                }
                for user_id, (rows, _balance, _lifetime) in zip(user_ids, histories, strict=True)
                for action, points, moment in rows
            ],
        )
        db.session.commit()
    db.session.execute(text("ANALYZE TABLE user_action_log, member_wallets, users"))
    return brand.id


def timed_run(brand_id, day):
    """One `program_daily` of `day`: (seconds, the run)."""
    started = time.perf_counter()
    run = program_daily(brand_id, day)
    return time.perf_counter() - started, run


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def main():
    """Populate, then print a Markdown table of the runs' times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--credits", type=int, default=6)
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
            brand_id = populate(args.members, args.credits)
            rows = count(UserActionLog)
            print(
                f"{args.members:,} members, {rows:,} ledger rows "
                f"(loaded in {time.perf_counter() - started:.0f} s)\n"
            )
            today = brand_today(db.session.get(Brand, brand_id))
            print("| run | members expired | members reminded | seconds |\n|---|---:|---:|---:|")
            for label, day in (
                ("first run (all overdue history)", today),
                ("the next day", today + timedelta(days=1)),
            ):
                elapsed, run = timed_run(brand_id, day)
                expired = run.changed.get("points_expired", 0)
                reminded = run.changed.get("points_expiring", 0)
                print(f"| {label} | {expired:,} | {reminded:,} | {elapsed:,.1f} |")
            again, run = timed_run(brand_id, today + timedelta(days=1))
            print(f"| the same day again | – | – ({run.skipped}) | {again:,.2f} |")
            started = time.perf_counter()
            soon = expiring_within(db.session.get(Brand, brand_id), today + timedelta(days=1))
            dashboard_ms = (time.perf_counter() - started) * 1000
            print(
                f"\nexpiring in the next 30 days: {soon:,} points ({dashboard_ms:,.0f} ms); "
                f"{count(PointsExpiryReminder):,} reminders, "
                f"{count(CustomerIoEventQueue):,} outbox rows"
            )
            db.engine.dispose()
    finally:
        server_admin(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    main()
