"""Named locks: one process at a time runs a given periodic job or a brand's daily run."""

from flask import current_app
from sqlalchemy import text

from webapp.extensions import db


class NamedLock:
    """MariaDB GET_LOCK on a connection of its own (SQLite has one writer: always granted)."""

    def __init__(self, name):
        self.name = f"{current_app.config['QUEUE_PREFIX']}:{name}"[:64]
        self.connection = None

    def __enter__(self):
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            return True
        self.connection = db.engine.connect()
        got = self.connection.scalar(text("SELECT GET_LOCK(:name, 0)"), {"name": self.name})
        return bool(got)

    def __exit__(self, *exc_info):
        if self.connection is not None:
            try:
                self.connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": self.name})
            finally:
                self.connection.close()
