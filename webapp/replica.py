"""Read scaling: the admin dashboard, lists and exports read from DATABASE_REPLICA_URL while
the replica answers and lags at most REPLICA_MAX_LAG_SECONDS; otherwise, and for everything
else (every write, every locking read, every money path), the primary answers.

A view opts in with `@reads_from_replica`; the choice is made once per request, so one page
reads one server. After a staff member's own POST commits, their next reads go to the primary
for REPLICA_MAX_LAG_SECONDS, so nobody is shown a page older than what they just did.
"""

import functools
import logging
import threading
import time
from contextlib import contextmanager

from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Select, TextClause, create_engine, event, text

log = logging.getLogger(__name__)

PRIMARY_UNTIL = "read_primary_until"
LOCKING = ("FOR UPDATE", "LOCK IN SHARE MODE", "FOR SHARE")
CONNECT_TIMEOUT_SECONDS = 2


class ReplicaState:
    """One replica engine per app and what its last probe found."""

    def __init__(self, app):
        self.url = app.config["DATABASE_REPLICA_URL"]
        self.max_lag = app.config["REPLICA_MAX_LAG_SECONDS"]
        self.check_seconds = app.config["REPLICA_CHECK_SECONDS"]
        self.engine = _replica_engine(self.url, app.config.get("SQLALCHEMY_ENGINE_OPTIONS"))
        self.lock = threading.RLock()  # a failed probe reports its loss while holding it
        self.checked_at = None
        self.usable = False
        self.reason = "not checked yet"
        event.listen(self.engine, "handle_error", self._lost)

    def is_usable(self):
        """Whether reads may go to the replica now (probed at most every check_seconds)."""
        with self.lock:
            now = time.monotonic()
            if self.checked_at is None or now - self.checked_at >= self.check_seconds:
                self.usable, self.reason = self._probe()
                self.checked_at = now
                if not self.usable:
                    log.warning("replica not used: %s", self.reason)
            return self.usable

    def _probe(self):
        try:
            with self.engine.connect() as connection:
                status = connection.execute(text("SHOW REPLICA STATUS")).mappings().first()
        except Exception as error:  # noqa: BLE001 - an unreachable replica is just not used
            return False, f"unreachable: {error}"
        return replication_verdict(status, self.max_lag)

    def _lost(self, context):
        """A statement on the replica failed: stop using it until the next probe."""
        if context.is_disconnect or context.connection is None:
            with self.lock:
                self.usable, self.reason = False, f"lost: {context.original_exception}"
                self.checked_at = time.monotonic()


def replication_verdict(status, max_lag):
    """(usable, reason) from a `SHOW REPLICA STATUS` row (MariaDB or MySQL 8 column names)."""
    if status is None:
        return False, "not a replica (SHOW REPLICA STATUS is empty)"
    running = status.get("Slave_SQL_Running", status.get("Replica_SQL_Running"))
    lag = status.get("Seconds_Behind_Master", status.get("Seconds_Behind_Source"))
    if running != "Yes" or lag is None:
        return False, "replication is stopped"
    if lag > max_lag:
        return False, f"{lag} s behind (limit {max_lag} s)"
    return True, f"{lag} s behind"


def _replica_engine(url, options):
    options = dict(options or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    options["connect_args"] = connect_args
    return create_engine(url, **options)


def replica_state(app=None):
    """The app's ReplicaState, or None when no DATABASE_REPLICA_URL is set."""
    app = app or current_app
    if not app.config.get("DATABASE_REPLICA_URL"):
        return None
    state = app.extensions.get("replica")
    if state is None:
        with _setup_lock:
            state = app.extensions.setdefault("replica", ReplicaState(app))
    return state


_setup_lock = threading.Lock()


def read_engine():
    """The replica's engine when this request's reads may use it, else None."""
    state = replica_state()
    if state is None or _wrote_recently():
        return None
    return state.engine if state.is_usable() else None


def _wrote_recently():
    return has_request_context() and session.get(PRIMARY_UNTIL, 0) > time.time()


def reads_from_replica(view):
    """Let this read-only view's SELECTs go to the replica (when it is usable)."""

    @functools.wraps(view)
    def routed(*args, **kwargs):
        g.replica_engine = read_engine()
        return view(*args, **kwargs)

    return routed


@contextmanager
def replica_reads():
    """Outside a request (a report job, the CLI): reads in the block may use the replica."""
    saved = g.get("replica_engine")
    g.replica_engine = read_engine()
    try:
        yield g.replica_engine
    finally:
        g.replica_engine = saved


def _is_plain_read(clause):
    if isinstance(clause, Select):
        return clause._for_update_arg is None
    if not isinstance(clause, TextClause):
        return False
    statement = " ".join(clause.text.upper().split())
    return statement.startswith("SELECT") and not any(lock in statement for lock in LOCKING)


class RoutingSession(FlaskSession):
    """The app's session: plain SELECTs of a replica-reading view go to the replica."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        """The replica for a routed plain read; the primary (Flask-SQLAlchemy's choice) else."""
        if bind is None and not self._flushing and has_app_context():
            engine = g.get("replica_engine")
            if engine is not None and _is_plain_read(clause):
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def _remember_own_write(response):
    wrote = request.method not in ("GET", "HEAD") and g.get("database_commit_attempted")
    if wrote and request.blueprint == "admin":
        session[PRIMARY_UNTIL] = time.time() + current_app.config["REPLICA_MAX_LAG_SECONDS"]
    return response


def register(app):
    """Read-your-writes: a staff member's own committed POST pins their reads to the primary."""
    if app.config.get("DATABASE_REPLICA_URL"):
        app.after_request(_remember_own_write)
