"""Machine endpoints: the health check."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from webapp.extensions import db
from webapp.models import CustomerIoEventQueue
from webapp.redis_guard import with_fast_redis

bp = Blueprint("system", __name__)


def _database_ok():
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" to a load balancer
        db.session.rollback()
        return False


def _redis_state():
    if not current_app.config.get("REDIS_URL"):
        return "not configured"
    try:
        with_fast_redis(lambda client: client.ping())
        return "ok"
    except Exception:  # noqa: BLE001
        return "error"


@bp.get("/healthz")
def healthz():
    """JSON health: database, redis and the outbox backlog; 503 when the database is down."""
    database_ok = _database_ok()
    redis_state = _redis_state()
    backlog = None
    if database_ok:
        backlog = db.session.scalar(
            select(func.count())
            .select_from(CustomerIoEventQueue)
            .where(CustomerIoEventQueue.status.in_(("pending", "processing")))
        )
    healthy = database_ok and redis_state != "error"
    body = {
        "status": "ok" if healthy else "degraded",
        "database": "ok" if database_ok else "error",
        "redis": redis_state,
        "queue_backlog": backlog,
    }
    return jsonify(body), 200 if database_ok else 503
