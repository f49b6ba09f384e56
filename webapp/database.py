"""Engine options per database engine (UTC sessions on MySQL; foreign keys and write-locking
transactions on SQLite; a ping only for a connection that sat idle)."""

import time

from sqlalchemy import Select, TextClause, event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool.base import ResetStyle

# A pooled connection idle longer than this is pinged before use (DATABASE_PING_IDLE_SECONDS).
DEFAULT_PING_IDLE_SECONDS = 10


def configure_engine_options(app):
    """Pin MySQL/MariaDB sessions to UTC and utf8mb4 so TIMESTAMPs round-trip unchanged."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith(("mysql", "mariadb")):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("init_command", "SET time_zone = '+00:00'")
        connect_args.setdefault("charset", "utf8mb4")
        if not asks_for_tls(uri, connect_args):
            connect_args.setdefault("ssl_disabled", True)
        options["connect_args"] = connect_args
        options.setdefault("isolation_level", "READ COMMITTED")
    elif uri.startswith("sqlite"):
        options.pop("pool_recycle", None)
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def asks_for_tls(uri, connect_args):
    """Whether the database URL or the engine's connect_args name a TLS option (`ssl_ca`,
    `ssl_verify_cert`, ...).

    Without one, PyMySQL's default is "preferred" TLS: unverified, so no defence against an
    active attacker, and it builds an SSL context on every new connection (~25 ms of CPU
    loading the system's certificates, against 0.6 ms for the connection itself). A database
    reached over a network is asked for TLS explicitly, verified (docs/decisions.md).
    """
    query = make_url(uri).query
    return any(key.startswith("ssl") for key in (*query, *connect_args))


def ping_idle_connections(engine, idle_seconds=DEFAULT_PING_IDLE_SECONDS):
    """Ping a connection on checkout only when it was idle more than `idle_seconds`.

    `pool_pre_ping` costs a round trip on every checkout, one per request; under traffic a
    connection comes back within milliseconds and cannot have been dropped by the server's
    idle timeout. A connection lost while busy (a server restart) fails its statement, which
    `db_retry` runs once more on a fresh connection; a dead idle one is replaced here.
    """

    @event.listens_for(engine, "checkin")
    def _note_idle_since(dbapi_connection, connection_record):
        connection_record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_when_idle(dbapi_connection, connection_record, connection_proxy):
        idle_since = connection_record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: replace the connection
            raise exc.DisconnectionError("idle connection no longer answers") from error


def roll_back_only_open_transactions(engine):
    """Roll a connection back on its return to the pool only when a transaction is open.

    The session ends its transaction itself (commit, or rollback when it closes) and then
    returns the connection, after which the pool's `reset_on_return` sent a second ROLLBACK
    for nothing: one round trip per request. Here a connection is marked open by any statement
    and closed by a commit or rollback; the pool's reset rolls back only an open one (one a
    caller dropped mid-transaction, or garbage collected).
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _opened(connection, *_args):
        connection.info["transaction_open"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _ended(connection):
        # A connection lost mid-transaction is invalidated: its record goes, mark and all
        # (reading `info` there would raise while the session rolls back).
        if not connection.invalidated:
            connection.info["transaction_open"] = False

    @event.listens_for(engine, "reset")
    def _roll_back_if_open(dbapi_connection, connection_record, reset_state):
        info = connection_record.info if connection_record is not None else {}
        if info.get("transaction_open", True) and not reset_state.terminate_only:
            engine.dialect.do_rollback(dbapi_connection)
        info["transaction_open"] = False


def install_idle_ping(app, engine):
    """On MariaDB, pings for idle connections only (see `ping_idle_connections`) and a
    rollback on return only for an open transaction (`roll_back_only_open_transactions`)."""
    if engine.dialect.name in {"mysql", "mariadb"}:
        if not engine.pool._pre_ping:
            seconds = app.config.get("DATABASE_PING_IDLE_SECONDS", DEFAULT_PING_IDLE_SECONDS)
            ping_idle_connections(engine, seconds)
        if engine.pool._reset_on_return is ResetStyle.reset_none:
            roll_back_only_open_transactions(engine)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys and let readers and one writer work together."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # pysqlite would start transactions itself, only at the first write and after the
        # reads a rule decides on: the `begin` and `before_execute` events below do it.
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """SQLite transactions begin deferred (readers never wait) and are read-only so far."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
        connection.info["sqlite_writer"] = False


@event.listens_for(Engine, "before_execute")
def _sqlite_writer_from_the_first_write(connection, clauseelement, *_args):
    """SQLite has no `SELECT ... FOR UPDATE`: a transaction's first write or locking read
    starts it over as `BEGIN IMMEDIATE` (it has only read so far), so it holds the write lock
    from there on and a read-decide-write rule never decides on a stale read."""
    if connection.dialect.name != "sqlite" or connection.info.get("sqlite_writer", True):
        return
    if _only_reads(clauseelement):
        return
    connection.info["sqlite_writer"] = True
    dbapi_connection = connection.connection.dbapi_connection
    dbapi_connection.execute("COMMIT")
    dbapi_connection.execute("BEGIN IMMEDIATE")


def _only_reads(clauseelement):
    if isinstance(clauseelement, str):
        return clauseelement.lstrip().upper().startswith(("SELECT", "PRAGMA"))
    if isinstance(clauseelement, Select):
        return clauseelement._for_update_arg is None
    return isinstance(clauseelement, TextClause) and clauseelement.text.lstrip().upper().startswith(
        "SELECT"
    )
