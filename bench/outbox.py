"""Outbox delivery throughput of one worker against the local fake Customer.io.

    .venv/bin/python bench/outbox.py [--events 2000] [--sqlite] [--delays 0,50]

Creates a throw-away database (MariaDB at TEST_MARIADB_URL, or SQLite), records events,
then times `deliver_outbox` (what a worker runs) one request per row and in v2 batches, with
the fake answering at once and after each of `--delays` milliseconds. Prints events/s,
requests and requests/s (the workspace's budget is 100 a second).
"""

import argparse
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.fernet import Fernet  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from tests import fake_customerio  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.deliveries.outbox import deliver_outbox  # noqa: E402
from webapp.events.outbox import record_event  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import Brand, CustomerIoEventQueue, MemberWallet, User  # noqa: E402
from webapp.timeutil import utcnow  # noqa: E402

MARIADB_SERVER_URL = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
MODES = (
    ("single, within the 100 requests/s budget", {"OUTBOX_BATCH_SIZE": 1}),
    ("single, budget lifted", {"OUTBOX_BATCH_SIZE": 1, "OUTBOX_REQUESTS_PER_SECOND": 10**6}),
    ("batch of 100", {"OUTBOX_BATCH_SIZE": 100}),
    ("batch of 500", {"OUTBOX_BATCH_SIZE": 500}),
)


def server_admin(statement):
    """Run one statement on the MariaDB server."""
    engine = create_engine(f"{MARIADB_SERVER_URL}/", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


# A port nothing listens on: while recording, the delivery job each commit asks for cannot be
# queued (it would otherwise run inline, with no Redis, and deliver before the timing starts),
# so the rows wait for the measured `deliver_outbox` as they wait for a busy worker.
NO_QUEUE = "redis://127.0.0.1:1/0"


def record(app, count, brand_id, user):
    """Record `count` scan events, committed in chunks like real traffic, left pending."""
    app.config["REDIS_URL"] = NO_QUEUE
    try:
        for start in range(0, count, 100):
            for _ in range(min(100, count - start)):
                record_event(user, "product_scanned", brand_id=brand_id)
            db.session.commit()
    finally:
        app.config["REDIS_URL"] = None
    pending = db.session.scalar(
        select(func.count()).where(CustomerIoEventQueue.status == "pending")
    )
    assert pending == count, f"{pending} of {count} recorded rows left pending"


def measure(app, fake, count, settings, delay):
    """(events/s, requests, seconds) delivering `count` fresh rows with `settings`, the fake
    answering after `delay` seconds."""
    app.config.update(settings)
    db.session.execute(CustomerIoEventQueue.__table__.delete())
    db.session.commit()
    brand_id = db.session.scalar(select(Brand.id))
    record(app, count, brand_id, db.session.scalar(select(User)))
    fake.clear()
    if delay:
        fake.slow(delay)
    started = time.perf_counter()
    while deliver_outbox(brand_id):
        pass
    elapsed = time.perf_counter() - started
    sent = db.session.scalar(select(func.count()).where(CustomerIoEventQueue.status == "sent"))
    received = len({event["id"] for event in fake.events()})
    assert sent == count and received == count, f"{sent} sent, {received} of {count} received"
    return count / elapsed, len(fake.requests), elapsed


def main():
    """Run each mode and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite instead of MariaDB")
    parser.add_argument("--delays", default="0,50", help="the fake's answer delays, ms")
    args = parser.parse_args()
    name = f"crbench_{secrets.token_hex(3)}"
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    else:
        server_admin(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        url = f"{MARIADB_SERVER_URL}/{name}?charset=utf8mb4"
    # The fake writes headers and body separately; without TCP_NODELAY each answer waits
    # for the client's delayed ACK (~40 ms), which would measure the fake, not the outbox.
    fake_customerio._Handler.disable_nagle_algorithm = True
    with fake_customerio.FakeCustomerIO() as fake:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": None,
                "SECRET_KEY": "bench",
                "ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "CUSTOMERIO_TRACK_URL": fake.url,
                "CUSTOMERIO_SITE_ID": "bench-site",
                "CUSTOMERIO_API_KEY": "bench-key",
            }
        )
        try:
            with app.app_context():
                upgrade()
                db.session.add(Brand(name="Bench", slug="bench", settings={}))
                db.session.add(User(email="bench@example.com", password_hash="x"))
                db.session.commit()
                # Only a brand's members are heard of in its workspace (record_event).
                db.session.add(
                    MemberWallet(
                        user_id=db.session.scalar(select(User.id)),
                        brand_id=db.session.scalar(select(Brand.id)),
                        joined_at=utcnow(),
                    )
                )
                db.session.commit()
                print(f"{args.events} events, {db.engine.dialect.name}, one worker\n")
                print("| fake delay | mode | events/s | requests | requests/s |")
                print("|---:|---|---:|---:|---:|")
                for delay in (int(ms) for ms in args.delays.split(",")):
                    for label, settings in MODES:
                        if delay and settings["OUTBOX_BATCH_SIZE"] == 1:
                            continue  # one event per request at 50 ms: 20 a second, known
                        rate, sent, took = measure(app, fake, args.events, settings, delay / 1000)
                        print(
                            f"| {delay} ms | {label} | {rate:,.0f} | {sent} | {sent / took:,.1f} |",
                            flush=True,
                        )
                db.engine.dispose()
        finally:
            if not args.sqlite:
                server_admin(f"DROP DATABASE IF EXISTS `{name}`")


if __name__ == "__main__":
    main()
