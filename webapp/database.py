"""Engine options per database engine (UTC sessions on MySQL; foreign keys and write-locking
transactions on SQLite)."""

from sqlalchemy import Select, TextClause, event
from sqlalchemy.engine import Engine


def configure_engine_options(app):
    """Pin MySQL/MariaDB sessions to UTC and utf8mb4 so TIMESTAMPs round-trip unchanged."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith(("mysql", "mariadb")):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("init_command", "SET time_zone = '+00:00'")
        connect_args.setdefault("charset", "utf8mb4")
        options["connect_args"] = connect_args
        options.setdefault("isolation_level", "READ COMMITTED")
    elif uri.startswith("sqlite"):
        options.pop("pool_recycle", None)
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


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
