"""Machine endpoints: liveness (`/healthz`, no I/O) and readiness (`/readyz`)."""

import threading

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from webapp.extensions import db
from webapp.jobs import QUEUE_NAMES, queue_name
from webapp.redis_guard import with_fast_redis

bp = Blueprint("system", __name__)

UNKNOWN = "unknown"
_last_seen = {"database": UNKNOWN, "redis": UNKNOWN, "queue_backlog": None}
_last_seen_lock = threading.Lock()


def migration_heads(app):
    """The head revisions of the app's migrations (read from disk once per process)."""
    heads = app.extensions.get("migration_heads")
    if heads is None:
        directory = app.extensions["migrate"].directory
        heads = frozenset(ScriptDirectory(directory).get_heads())
        app.extensions["migration_heads"] = heads
    return heads


def _database_state():
    """ "ok", "behind" (migrations not at head) or "error"."""
    try:
        applied = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:  # noqa: BLE001 - any failure means "not ready" to a load balancer
        db.session.rollback()
        return "error"
    finally:
        db.session.commit()  # end the read's transaction: a pooled connection holds no snapshot
    return "ok" if applied == migration_heads(current_app) else "behind"


def _queue_depth(client):
    return sum(client.llen(f"rq:queue:{queue_name(name)}") for name in QUEUE_NAMES)


def _redis_state():
    """("ok" | "not configured" | "error", jobs waiting in the queues or None)."""
    if not current_app.config.get("REDIS_URL"):
        return "not configured", None
    try:
        return "ok", with_fast_redis(_queue_depth)
    except Exception:  # noqa: BLE001
        return "error", None


def readiness():
    """What a load balancer needs to know, and the reasons (if any) not to send traffic."""
    database = _database_state()
    redis_state, depth = _redis_state()
    reasons = []
    if database == "error":
        reasons.append("database unreachable")
    elif database == "behind":
        reasons.append("database migrations are not at head (run flask db upgrade)")
    limit = current_app.config["READY_MAX_QUEUE_DEPTH"]
    if limit and depth is not None and depth > limit:
        reasons.append(f"queue depth {depth} over {limit}")
    with _last_seen_lock:
        _last_seen.update(database=database, redis=redis_state, queue_backlog=depth)
    return {
        "status": "ready" if not reasons else "not ready",
        "database": database,
        "redis": redis_state,
        "queue_depth": depth,
        "reasons": reasons,
    }


@bp.get("/healthz")
def healthz():
    """Liveness: 200 while this process serves requests. No database or Redis call: the
    states are what the last `/readyz` found ("unknown" before the first)."""
    with _last_seen_lock:
        seen = dict(_last_seen)
    return jsonify(status="ok", **seen)


@bp.get("/readyz")
def readyz():
    """Readiness: database reachable and migrated to head, queue depth under its limit
    (READY_MAX_QUEUE_DEPTH); 503 with the reasons otherwise. Redis is reported, not
    required: the site keeps working through a Redis outage (the sweep delivers)."""
    body = readiness()
    return jsonify(body), 200 if not body["reasons"] else 503
