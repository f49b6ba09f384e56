"""The backup of docs/operations.md: `mariadb-dump --single-transaction` taken while members'
points keep moving, restored into a fresh database, holds every ledger invariant."""

import random
import subprocess
import threading
from urllib.parse import urlparse

from sqlalchemy import text

from tests import factories
from tests.conftest import MARIADB_SERVER_URL, app_config, drop_mariadb_database
from tests.production.databases import app_on_own_database, invariant_breaks, run
from webapp import create_app
from webapp.extensions import db
from webapp.loyalty.ledger import InsufficientPoints, adjust
from webapp.system import migration_heads

SERVER = urlparse(MARIADB_SERVER_URL)
CONNECTION = [f"--host={SERVER.hostname}", f"--port={SERVER.port or 3306}", "--user=root"]


def dump(database, path):
    """The documented backup command."""
    with open(path, "wb") as out:
        subprocess.run(
            ["mariadb-dump", *CONNECTION, "--single-transaction", "--routines", "--triggers"]
            + ["--hex-blob", "--default-character-set=utf8mb4", database],
            stdout=out,
            check=True,
        )


def restore(path, database):
    """The documented restore: a fresh empty database, then the dump into it."""
    subprocess.run(
        ["mariadb", *CONNECTION, "-e", f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4"],
        check=True,
    )
    with open(path, "rb") as dump_file:
        subprocess.run(["mariadb", *CONNECTION, database], stdin=dump_file, check=True)


def keep_adjusting(app, members, staff_id, brand_id, stop):
    """Move points up and down until `stop` is set; returns nothing (runs in a thread)."""
    chance = random.Random(7)
    with app.app_context():
        while not stop.is_set():
            member = chance.choice(members)
            delta = chance.choice([25, 40, -15, -30])
            try:
                adjust(
                    member, delta, brand_id=brand_id, reason="backup test", staff_user_id=staff_id
                )
                db.session.commit()  # the thread is its own boundary
            except InsufficientPoints:
                db.session.rollback()
        db.session.remove()


def test_a_dump_taken_under_writes_restores_with_the_invariants(tmp_path):
    app, source = app_on_own_database("backup")
    copy = f"{source}_restored"
    try:
        with app.app_context():
            brand = factories.brand()
            staff = factories.user(brands=[])
            factories.staff(staff, brand, "owner")
            members = [factories.user(brands=[brand]).id for _ in range(20)]
            for member in members:
                adjust(member, 100, brand_id=brand.id, reason="welcome", staff_user_id=staff.id)
            db.session.commit()
            stop = threading.Event()
            writer = threading.Thread(
                target=keep_adjusting, args=(app, members, staff.id, brand.id, stop)
            )
            writer.start()
            try:
                dump(source, tmp_path / "backup.sql")
            finally:
                stop.set()
                writer.join()
            assert run("SELECT COUNT(*) FROM user_action_log")[0][0] > 20  # writes went on
        restore(tmp_path / "backup.sql", copy)
        restored = create_app(
            app_config(f"{MARIADB_SERVER_URL}/{copy}?charset=utf8mb4", REDIS_URL=None)
        )
        with restored.app_context():
            assert run("SELECT COUNT(*) FROM member_wallets")[0][0] == 20
            assert run("SELECT COUNT(*) FROM user_action_log")[0][0] >= 20
            assert invariant_breaks() == (0, 0)
            applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
            assert applied == migration_heads(restored)
            db.engine.dispose()
        assert restored.test_client().get("/readyz").status_code == 200
    finally:
        with app.app_context():
            db.engine.dispose()
        drop_mariadb_database(source)
        drop_mariadb_database(copy)
