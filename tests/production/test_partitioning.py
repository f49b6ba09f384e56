"""Section 9.2 partitioning on MariaDB, each on a database of its own: the conversion keeps
every ledger row and invariant (1,000,000 rows), and the archive job works on both shapes."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import drop_mariadb_database, wipe_tables
from tests.production.databases import (
    app_on_own_database,
    invariant_breaks,
    ledger_fingerprint,
    run,
)
from webapp.archive import ACTION_LOG_AGE, run_archive
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, UserActionLog, UserActionLogArchive
from webapp.partitioning import is_partitioned, month_partitions
from webapp.timeutil import utcnow

LEDGER_ROWS = 1_000_000
PEOPLE = 10_000
SECONDS_APART = 35  # 1,000,000 rows over 405 days: about a month and a half is past a year


@pytest.fixture
def own_app():
    """An app on a database of this test's own (the million-row test)."""
    app, name = app_on_own_database("big")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    drop_mariadb_database(name)


@pytest.fixture(scope="module")
def shared_apps():
    """{"plain": app, "partitioned": app}, each on its own database, for the small tests."""
    apps = {shape: app_on_own_database(shape) for shape in ("plain", "partitioned")}
    with apps["partitioned"][0].app_context():
        partition_tables(apps["partitioned"][0])
    yield {shape: app for shape, (app, _) in apps.items()}
    for app, name in apps.values():
        with app.app_context():
            db.engine.dispose()
        drop_mariadb_database(name)


@pytest.fixture
def plain_app(shared_apps):
    """The unpartitioned app, emptied after the test."""
    yield from _emptied_after(shared_apps["plain"])


@pytest.fixture
def partitioned_app(shared_apps):
    """The partitioned app, emptied after the test."""
    yield from _emptied_after(shared_apps["partitioned"])


def _emptied_after(app):
    with app.app_context():
        yield app
        db.session.rollback()
        wipe_tables()
        db.session.remove()


def load_million_row_ledger():
    """10,000 members of one brand, 1,000,000 ledger rows over 405 days, balances to match."""
    brand = factories.brand()
    product = factories.product(brand)
    run(
        "INSERT INTO users (email, password_hash, points_balance, lifetime_points) "
        "SELECT CONCAT('big', seq, '@example.com'), 'x', 0, 0 FROM seq_1_to_10000"
    )
    first = run("SELECT MIN(id) FROM users")[0][0]
    run(
        "INSERT INTO member_wallets (user_id, brand_id, points_balance, lifetime_points, "
        "joined_at) SELECT id, :brand, 0, 0, UTC_TIMESTAMP() FROM users",
        brand=brand.id,
    )
    run(
        "INSERT INTO user_action_log (user_id, action_type, points_awarded, brand_id, "
        "product_id, created_at) "
        "SELECT :first + seq % :people, IF(seq % 7 = 0, 'reward_redeemed', 'product_scanned'), "
        "IF(seq % 7 = 0, -5, 1 + seq % 50), :brand, :product, "
        "FROM_UNIXTIME(UNIX_TIMESTAMP(UTC_TIMESTAMP()) - seq * :apart) FROM seq_1_to_1000000",
        first=first,
        people=PEOPLE,
        brand=brand.id,
        product=product.id,
        apart=SECONDS_APART,
    )
    run(
        "UPDATE member_wallets w JOIN (SELECT user_id, SUM(points_awarded) AS balance, "
        "SUM(IF(points_awarded > 0 AND action_type <> 'points_refunded', points_awarded, 0)) "
        "AS lifetime FROM user_action_log GROUP BY user_id) s ON s.user_id = w.user_id "
        "SET w.points_balance = s.balance, w.lifetime_points = s.lifetime"
    )
    run(
        "UPDATE users u JOIN member_wallets w ON w.user_id = u.id "
        "SET u.points_balance = w.points_balance, u.lifetime_points = w.lifetime_points"
    )


def partition_tables(app, *args):
    """`flask --app wsgi db partition ARGS`; returns the output."""
    result = app.test_cli_runner().invoke(args=["db", "partition", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_partitioning_a_million_row_ledger_keeps_every_row_and_invariant(own_app):
    load_million_row_ledger()
    before = ledger_fingerprint()
    days_before = scan_days()
    assert sum(days_before.values()) == LEDGER_ROWS - LEDGER_ROWS // 7  # every scan, once
    assert invariant_breaks() == (0, 0)

    partition_tables(own_app)

    assert is_partitioned("user_action_log") and is_partitioned("customer_io_event_queue")
    assert ledger_fingerprint() == before
    assert invariant_breaks() == (0, 0)

    cutoff = utcnow() - ACTION_LOG_AGE
    due = run("SELECT COUNT(*) FROM user_action_log WHERE created_at < :c", c=cutoff)[0][0]
    moved = run_archive()["user_action_log"]

    assert moved == due > 50_000
    assert run("SELECT COUNT(*) FROM user_action_log WHERE created_at < :c", c=cutoff)[0][0] == 0
    assert run("SELECT COUNT(*) FROM user_action_log_archive")[0][0] == due
    assert ledger_fingerprint() == before
    assert scan_days() == days_before
    assert invariant_breaks() == (0, 0)
    oldest_partition_end = month_partitions("user_action_log")[0][1]
    assert oldest_partition_end > cutoff.timestamp()  # whole old months left by exchange


def old_and_new_ledger_rows(now):
    """A member's ledger rows 400, 380, 40 and 10 days old (two would be archived)."""
    brand = factories.brand()
    product = factories.product(brand)
    member = factories.user(brands=[brand])
    for days in (400, 380, 40, 10):
        db.session.add(
            UserActionLog(
                user_id=member.id,
                action_type="product_scanned",
                points_awarded=days,
                brand_id=brand.id,
                product_id=product.id,
                action_data={"days": days},
                created_at=now - timedelta(days=days),
            )
        )
    db.session.commit()
    return member


def archived_days():
    """The `days` of the archived rows and of the live rows, each sorted."""
    db.session.expire_all()
    archived = db.session.scalars(select(UserActionLogArchive.action_data)).all()
    live = db.session.scalars(select(UserActionLog.action_data)).all()
    return sorted(d["days"] for d in archived), sorted(d["days"] for d in live)


@pytest.mark.parametrize("partitioned", [False, True], ids=["plain", "partitioned"])
def test_the_archive_job_works_on_both_shapes(shared_apps, partitioned):
    app = shared_apps["partitioned" if partitioned else "plain"]
    for _ in _emptied_after(app):
        archive_old_rows_of_one_member()
        assert is_partitioned("user_action_log") is partitioned


def archive_old_rows_of_one_member():
    """Two of four rows are over a year old: they move, with their data, once; the member's
    scan days count each scan once before and after (a dropped partition fires no trigger)."""
    now = utcnow()
    old_and_new_ledger_rows(now)
    days = scan_days()
    assert sorted(days.values()) == [1, 1, 1, 1]
    assert run_archive(now=now)["user_action_log"] == 2
    assert archived_days() == ([380, 400], [10, 40])
    assert scan_days() == days
    assert run_archive(now=now)["user_action_log"] == 0  # nothing twice
    assert scan_days() == days


def scan_days():
    """{day: scans} of every member's `member_scan_days` with any scans."""
    rows = run("SELECT day, SUM(scans) FROM member_scan_days GROUP BY day HAVING SUM(scans) <> 0")
    return {day: int(scans) for day, scans in rows}


def test_dry_run_prints_the_ddl_and_changes_nothing(plain_app):
    output = partition_tables(plain_app, "--dry-run")
    assert "DROP FOREIGN KEY `fk_user_action_log_user_id`" in output
    assert "PARTITION BY RANGE (UNIX_TIMESTAMP(created_at))" in output
    assert "SUBPARTITION BY KEY (status) SUBPARTITIONS 4" in output
    assert "ADD PRIMARY KEY (id, created_at, status)" in output
    assert "-- dry run: nothing changed" in output
    assert not is_partitioned("user_action_log")
    assert not is_partitioned("customer_io_event_queue")
    keys = run(
        "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'user_action_log'"
    )[0][0]
    assert keys == 3


def test_a_second_run_has_nothing_to_do_and_a_later_one_adds_months(partitioned_app):
    app = partitioned_app
    assert "nothing to do" in partition_tables(app, "--table", "user_action_log")
    months = len(month_partitions("user_action_log"))
    assert "REORGANIZE PARTITION p_future" in partition_tables(
        app, "--table", "user_action_log", "--months-ahead", "6"
    )
    assert len(month_partitions("user_action_log")) == months + 3


def test_the_outbox_keeps_working_on_its_partitioned_table(partitioned_app):
    brand = factories.brand()
    member = factories.user(brands=[brand])
    row = CustomerIoEventQueue(
        user_id=member.id, brand_id=brand.id, event_name="scan", event_data={}, event_uid="u1"
    )
    db.session.add(row)
    db.session.commit()
    row.status = "processing"
    db.session.commit()
    row.status = "sent"
    db.session.commit()
    by_status = dict(
        db.session.execute(
            select(CustomerIoEventQueue.status, func.count()).group_by(CustomerIoEventQueue.status)
        ).all()
    )
    assert by_status == {"sent": 1}


def test_each_outbox_status_has_a_subpartition_of_its_own(partitioned_app):
    brand = factories.brand()
    member = factories.user(brands=[brand])
    for status in ("pending", "processing", "sent", "failed"):
        db.session.add(
            CustomerIoEventQueue(
                user_id=member.id,
                brand_id=brand.id,
                event_name="scan",
                event_data={},
                event_uid=status,
                status=status,
            )
        )
    db.session.commit()
    month = f"p{utcnow():%Y_%m}"
    found = [
        sorted(
            status
            for (status,) in run(
                f"SELECT status FROM customer_io_event_queue PARTITION ({month}sp{n})"
            )
        )
        for n in range(4)
    ]
    assert sorted(found) == [["failed"], ["pending"], ["processing"], ["sent"]]


def test_orphans_are_reported_where_foreign_keys_were(partitioned_app):
    member = factories.user(brands=[factories.brand()])
    runner = partitioned_app.test_cli_runner()
    assert runner.invoke(args=["db", "orphans"]).exit_code == 0
    run(
        "INSERT INTO user_action_log (user_id, action_type, points_awarded) "
        "VALUES (:gone, 'product_scanned', 1)",
        gone=member.id + 1000,
    )
    result = runner.invoke(args=["db", "orphans"])
    assert result.exit_code == 1
    assert "user_action_log.user_id: 1" in result.output


def test_rows_without_a_time_are_refused_clearly(plain_app):
    member = factories.user(brands=[factories.brand()])
    run(
        "INSERT INTO user_action_log (user_id, action_type, created_at) "
        "VALUES (:u, 'product_scanned', NULL)",
        u=member.id,
    )
    result = plain_app.test_cli_runner().invoke(args=["db", "partition", "--dry-run"])
    assert result.exit_code == 1
    assert "user_action_log has 1 rows with no created_at; fix them first" in result.output


@pytest.mark.sqlite_ok
def test_the_command_refuses_the_embedded_default_clearly(app):
    result = app.test_cli_runner().invoke(args=["db", "partition", "--dry-run"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert result.exit_code == 1
        assert "Partitioning needs MariaDB or MySQL; SQLite has none." in result.output
    else:
        assert result.exit_code == 0
        assert "-- dry run: nothing changed" in result.output
