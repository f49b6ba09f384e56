"""Read scaling against a real replica: a private primary `mariadbd` and a private replica
replicating from it by GTID. Routed admin reads answer from the replica; when it stops
replicating, lags past REPLICA_MAX_LAG_SECONDS or dies, they answer from the primary."""

import subprocess
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import literal_column, select, text

from tests import factories
from tests.conftest import app_config
from tests.reliability.services import PrivateMariaDB, wait_until
from webapp import create_app
from webapp.extensions import db
from webapp.replica import read_engine, replica_state, replication_verdict

HOST = "http://replica-brand.test"
MAX_LAG = 2


def sql(server, statement):
    """Run `statement` as root on a private server; returns its tab-separated output."""
    return subprocess.run(
        ["mariadb", f"--socket={server.socket}", "--user=root", "-N", "-B", "-e", statement],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def replicate(primary, replica):
    """Point the replica at the primary (GTID, from the start) and start replicating."""
    sql(
        primary,
        "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';"
        "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'",
    )
    sql(
        replica,
        f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
        "MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, "
        "MASTER_CONNECT_RETRY=1; START SLAVE",
    )


def caught_up(primary, replica):
    """Whether the replica has applied everything the primary wrote."""
    position = sql(primary, "SELECT @@gtid_binlog_pos")
    return sql(replica, "SELECT @@gtid_slave_pos") == position


@pytest.fixture(scope="module")
def servers():
    """(primary, replica), replicating; both removed at the end."""
    primary = PrivateMariaDB("--server-id=1", "--log-bin=primary-bin", "--binlog-format=ROW")
    replica = PrivateMariaDB("--server-id=2", "--read-only=1", "--relay-log=replica-relay")
    try:
        primary.install().start()
        replica.install().start()
        replicate(primary, replica)
        primary.create_database("app")
        wait_until(lambda: caught_up(primary, replica), timeout=30)
        yield primary, replica
    finally:
        primary.close()
        replica.close()


@pytest.fixture(scope="module")
def routed_app(servers):
    """An app on the private primary with DATABASE_REPLICA_URL pointing at the replica."""
    primary, replica = servers
    app = create_app(
        app_config(
            primary.database_url("app"),
            REDIS_URL=None,
            DATABASE_REPLICA_URL=replica.database_url("app"),
            REPLICA_CHECK_SECONDS=0,
            REPLICA_MAX_LAG_SECONDS=MAX_LAG,
        )
    )
    with app.app_context():
        upgrade()
        brand = factories.brand(hosts=["replica-brand.test"])
        owner = factories.user(brands=[], email="replica-owner@example.com")
        factories.staff(owner, brand, "owner")
        member = factories.user(brands=[brand], first_name="Primary")
        app.config["TEST_MEMBER_ID"] = member.id
        db.session.remove()
        db.engine.dispose()
    wait_until(lambda: caught_up(primary, replica), timeout=30)
    yield app
    with app.app_context():
        db.engine.dispose()
        if replica_state(app):
            replica_state(app).engine.dispose()


@pytest.fixture
def staff_client(routed_app):
    """A client signed in as the brand's owner."""
    client = routed_app.test_client()
    response = client.post(
        "/login",
        data={"email": "replica-owner@example.com", "password": factories.DEFAULT_PASSWORD},
        base_url=HOST,
    )
    assert response.status_code == 303
    return client


def server_id_of_routed_read(app):
    """Which server (1 primary, 2 replica) answers a routed plain read, and a locking one."""
    with app.test_request_context("/admin/members", base_url=HOST):
        from flask import g

        g.replica_engine = read_engine()
        plain = db.session.scalar(text("SELECT @@server_id"))
        locking = db.session.scalar(select(literal_column("@@server_id")).with_for_update())
        db.session.rollback()
        return plain, locking


def member_name_on_members_page(client):
    """Which first name the members list shows for the test member."""
    page = client.get("/admin/members", base_url=HOST)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    return "OnReplica" if "OnReplica" in body else "Primary" if "Primary" in body else None


def test_routed_reads_answer_from_the_replica_and_locking_reads_from_the_primary(routed_app):
    assert server_id_of_routed_read(routed_app) == (2, 1)


def test_unrouted_reads_answer_from_the_primary(routed_app):
    with routed_app.app_context():
        assert db.session.scalar(text("SELECT @@server_id")) == 1


def mark_on_replica(servers, app):
    """Rename the test member on the replica alone (once it has caught up): only a page read
    from the replica shows "OnReplica"."""
    primary, replica = servers
    wait_until(lambda: caught_up(primary, replica), timeout=30)
    member_id = app.config["TEST_MEMBER_ID"]
    sql(replica, f"UPDATE app.users SET first_name = 'OnReplica' WHERE id = {member_id}")


def test_the_members_list_reads_the_replica(servers, routed_app, staff_client):
    mark_on_replica(servers, routed_app)
    assert member_name_on_members_page(staff_client) == "OnReplica"


def test_a_staff_members_own_write_pins_their_reads_to_the_primary(
    servers, routed_app, staff_client
):
    member_id = routed_app.config["TEST_MEMBER_ID"]
    adjusted = staff_client.post(
        f"/admin/members/{member_id}/points",
        data={"delta": "5", "reason": "goodwill"},
        base_url=HOST,
    )
    assert adjusted.status_code == 303
    mark_on_replica(servers, routed_app)
    assert member_name_on_members_page(staff_client) == "Primary"
    fresh = routed_app.test_client()
    fresh.post(
        "/login",
        data={"email": "replica-owner@example.com", "password": factories.DEFAULT_PASSWORD},
        base_url=HOST,
    )
    assert member_name_on_members_page(fresh) == "OnReplica"


def test_stopped_replication_sends_reads_to_the_primary(servers, routed_app, staff_client):
    _, replica = servers
    mark_on_replica(servers, routed_app)
    sql(replica, "STOP SLAVE SQL_THREAD")
    try:
        assert member_name_on_members_page(staff_client) == "Primary"
        assert server_id_of_routed_read(routed_app)[0] == 1
    finally:
        sql(replica, "START SLAVE SQL_THREAD")
    assert server_id_of_routed_read(routed_app)[0] == 2


def test_a_replica_lagging_past_the_limit_is_not_read(servers, routed_app):
    primary, replica = servers
    sql(replica, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=30; START SLAVE")
    try:
        sql(
            primary,
            "CREATE TABLE app.lag_probe (id INT PRIMARY KEY); INSERT INTO app.lag_probe VALUES (1)",
        )
        time.sleep(MAX_LAG + 1.5)
        with replica_state(routed_app).engine.connect() as connection:
            status = connection.execute(text("SHOW REPLICA STATUS")).mappings().first()
        lag = status["Seconds_Behind_Master"]
        assert lag > MAX_LAG
        assert server_id_of_routed_read(routed_app)[0] == 1
        assert replica_state(routed_app).reason.endswith(f"behind (limit {MAX_LAG} s)")
    finally:
        sql(replica, "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE")
    wait_until(lambda: caught_up(primary, replica), timeout=30)
    assert server_id_of_routed_read(routed_app)[0] == 2


def test_the_verdict_reads_mariadb_and_mysql_status_columns():
    assert replication_verdict(None, 5)[0] is False
    mariadb = {"Slave_SQL_Running": "Yes", "Seconds_Behind_Master": 3}
    assert replication_verdict(mariadb, 5) == (True, "3 s behind")
    mysql = {"Replica_SQL_Running": "Yes", "Seconds_Behind_Source": 9}
    assert replication_verdict(mysql, 5) == (False, "9 s behind (limit 5 s)")
    stopped = {"Slave_SQL_Running": "No", "Seconds_Behind_Master": None}
    assert replication_verdict(stopped, 5) == (False, "replication is stopped")


def test_losing_the_replica_sends_reads_to_the_primary_without_an_error(
    servers, routed_app, staff_client
):
    _, replica = servers
    mark_on_replica(servers, routed_app)
    # The probe's verdict ("usable") is kept for an hour: the loss is found by the page's
    # own statement, which then runs again on the primary.
    replica_state(routed_app).check_seconds = 3600
    assert member_name_on_members_page(staff_client) == "OnReplica"
    replica.kill()
    assert member_name_on_members_page(staff_client) == "Primary"
    assert replica_state(routed_app).reason.startswith("lost: ")
    assert staff_client.get("/admin/", base_url=HOST).status_code == 200
    assert server_id_of_routed_read(routed_app)[0] == 1
