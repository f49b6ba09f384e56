"""The benchmark's floor endpoint and round-trip counter exist only when asked for and count
every exchange with MariaDB; the pool neither pings a busy connection nor rolls back one whose
transaction already ended."""

import time

from sqlalchemy import event, text

from tests.portal.member_world import new_program
from webapp.benchmark import LABEL_HEADER
from webapp.extensions import db
from webapp.loyalty.config_cache import STAMP_CHECK_SECONDS


def sign_in(client, email):
    answer = client.post("/login", data={"email": email, "password": "correct horse battery"})
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)


def test_the_floor_endpoint_is_not_there_unless_the_benchmark_asks(client, app, make):
    program = new_program(make)
    sign_in(client, program.email)
    assert client.get("/_bench/floor").status_code == 404
    assert "bench_round_trips" not in app.extensions


def engine_of(application):
    with application.app_context():
        return db.engine


def sent_by(engine, call):
    """Statements and rollbacks `engine` saw while `call` ran (requests: no outer context)."""
    statements, rollbacks = [], []

    def note_statement(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def note_rollback(_conn):
        rollbacks.append(1)

    event.listen(engine, "before_cursor_execute", note_statement)
    event.listen(engine, "rollback", note_rollback)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", note_statement)
        event.remove(engine, "rollback", note_rollback)
    return statements, rollbacks


def test_the_floor_is_a_signed_in_get_with_one_select(bench_app, app, make):
    with app.app_context():
        email = new_program(make).email
    client = bench_app.test_client()
    assert client.get("/_bench/floor").status_code in (302, 401)  # signed out: not served
    sign_in(client, email)
    answers = []
    sent, _ = sent_by(engine_of(bench_app), lambda: answers.append(client.get("/_bench/floor")))
    assert answers[0].status_code == 200 and answers[0].get_json() == {"points": 0}
    # Flask-Login's user load, then the floor's own indexed SELECT
    assert len(sent) == 2, sent


def test_round_trips_are_counted_per_label_including_the_rollback_on_return(bench_app, app, make):
    with app.app_context():
        email = new_program(make).email
    client = bench_app.test_client()
    sign_in(client, email)
    counter = bench_app.extensions["bench_round_trips"]

    def two_requests():
        for _ in range(2):
            client.get("/_bench/floor", headers={LABEL_HEADER: "floor"})

    sent, rollbacks = sent_by(engine_of(bench_app), two_requests)
    counts = counter.snapshot()["floor"]
    assert counts["requests"] == 2
    # every statement, and the rollback that ends each request's read on return to the pool
    assert len(sent) == 4 and len(rollbacks) == 2
    assert counts["round_trips"] == 6, (counts, sent)


def test_counts_are_written_per_process(tmp_path, bench_app):
    counter = bench_app.extensions["bench_round_trips"]
    counter.start_request("page")
    counter.count()
    counter.write(tmp_path)
    (written,) = tmp_path.glob("round-trips-*.json")
    assert '"page": {"requests": 1, "round_trips": 1}' in written.read_text()


def test_a_connection_dropped_mid_transaction_is_still_rolled_back(bench_app, app, make):
    with app.app_context():
        brand = make.brand()
    engine = engine_of(bench_app)
    connection = engine.connect()
    connection.execute(text("UPDATE brands SET name = 'dropped' WHERE id = :id"), {"id": brand.id})
    connection.connection.close()  # back to the pool with the transaction open, not ended
    # the next checkout gets that same connection: had its transaction been left open, it
    # would read its own uncommitted change
    with engine.connect() as other:
        name = other.scalar(text("SELECT name FROM brands WHERE id = :id"), {"id": brand.id})
    assert name == brand.name


def test_a_busy_connection_is_not_pinged_an_idle_one_is(bench_app):
    engine = engine_of(bench_app)
    pings = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(1) or original(dbapi_connection)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert pings == []
        with engine.connect() as connection:
            record = connection.connection._connection_record
        record.info["idle_since"] -= 3600  # as if it had sat in the pool for an hour
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert pings == [1]
    finally:
        del engine.dialect.do_ping


def test_a_scan_request_locks_its_member_once_as_it_signs_them_in(bench_app, app, make):
    """A scan's request loads its member locked (person and wallet, one statement) and the
    scan reuses those rows: no plain user load, no second lock; then the scan's statements
    and its commit."""
    from tests.loyalty.test_query_bound import (
        EXPECTED_SCAN_STATEMENTS,
        create_configs,
        scan_based_configs,
    )
    from tests.portal.member_world import HTMX, new_code

    with app.app_context():
        program = new_program(make)
        create_configs(program.brand, scan_based_configs(5))
        codes = [new_code(make, program) for _ in range(3)]
    client = bench_app.test_client()
    sign_in(client, program.email)
    for code in codes[:2]:  # warm: the caches filled after the stamp check saw the setup
        assert client.post("/scan", data={"code": code}, headers=HTMX).status_code == 200
        time.sleep(STAMP_CHECK_SECONDS + 0.1)
    counter = bench_app.extensions["bench_round_trips"]
    answers = []
    sent, _ = sent_by(
        engine_of(bench_app),
        lambda: answers.append(
            client.post("/scan", data={"code": codes[2]}, headers={**HTMX, LABEL_HEADER: "scan"})
        ),
    )
    assert answers[0].status_code == 200, answers[0].get_data(as_text=True)
    stamp_checks = [s for s in sent if "config_stamps" in s]  # at most one each 0.5 s
    sent = [s for s in sent if s not in stamp_checks]
    locks = [s for s in sent if "FROM users" in s]
    assert len(locks) == 1 and "JOIN member_wallets" in locks[0] and "FOR UPDATE" in locks[0]
    assert sent[0] == locks[0]
    assert len(sent) == EXPECTED_SCAN_STATEMENTS, "\n".join(sent)
    trips = EXPECTED_SCAN_STATEMENTS + 1 + len(stamp_checks)  # and the COMMIT
    assert counter.snapshot()["scan"]["round_trips"] == trips


def test_other_requests_load_their_member_without_a_lock(bench_app, app, make):
    with app.app_context():
        email = new_program(make).email
    client = bench_app.test_client()
    sign_in(client, email)
    sent, _ = sent_by(engine_of(bench_app), lambda: client.get("/scan"))
    assert [s for s in sent if "FROM users" in s] and not [s for s in sent if "FOR UPDATE" in s]
