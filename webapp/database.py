"""Engine options per database engine (UTC sessions on MySQL; foreign keys and write-locking
transactions on SQLite)."""

from sqlalchemy import event
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
        # pysqlite would start the transaction only at the first write, after the reads a
        # rule decides on: SQLAlchemy's `begin` event below starts it instead.
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(connection):
    """SQLite has no `SELECT ... FOR UPDATE`: every transaction takes the write lock when it
    begins (`BEGIN IMMEDIATE`), so a read-decide-write rule never runs on stale reads."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
