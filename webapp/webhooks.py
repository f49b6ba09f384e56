"""Inbound Customer.io webhooks: authenticate, store raw, answer 202; a job applies them."""

import hashlib
import hmac
import json
import math
import re
import time

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.customerio.credentials import webhook_secrets
from webapp.customerio.webhook_apply import customer_id_of, event_time_of
from webapp.deliveries.webhook_batches import apply_stored_webhooks
from webapp.extensions import csrf, db
from webapp.jobs import enqueue_after_commit
from webapp.models import Brand, CustomerIoWebhookLog
from webapp.timeutil import utcnow

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)

MAX_STORED_RAW_CHARS = 10_000
# MariaDB's JSON functions (and so the payload column's json_valid check) stop at 32 levels.
MAX_NESTING = 16
UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


def error(status, message):
    """A JSON error answer."""
    return jsonify({"status": status, "error": message}), status


def signature_problem(raw, signing_key):
    """Why the X-CIO signature headers do not prove the body (None when they do)."""
    timestamp = request.headers.get("X-CIO-Timestamp", "")
    signature = request.headers.get("X-CIO-Signature", "")
    if not UNIX_SECONDS.fullmatch(timestamp):
        return "X-CIO-Timestamp is missing or not unix seconds"
    if abs(time.time() - int(timestamp)) > current_app.config["WEBHOOK_REPLAY_WINDOW"]:
        return "X-CIO-Timestamp is outside the replay window"
    signed = b"v0:" + timestamp.encode() + b":" + raw
    expected = hmac.new(signing_key.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        return "X-CIO-Signature does not match the body"
    return None


def authentication_problem(raw, brand):
    """Why the request is not from Customer.io (None when it is)."""
    signing_key, token = webhook_secrets(brand)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        if token and hmac.compare_digest(authorization[7:].strip().encode(), token.encode()):
            return None
        return "the bearer token is not valid"
    if request.headers.get("X-CIO-Signature"):
        if not signing_key:
            return "no webhook signing key is configured"
        return signature_problem(raw, signing_key)
    return "send X-CIO-Signature and X-CIO-Timestamp, or Authorization: Bearer <token>"


def webhook_type_of(payload):
    """`type` for our own payloads, `<object_type>.<metric>` for reporting webhooks (never
    `invalid`, which marks the bodies we refused)."""
    if payload.get("type") == "invalid":
        return None
    if isinstance(payload.get("type"), str) and payload["type"]:
        return payload["type"][:100]
    if isinstance(payload.get("object_type"), str) and isinstance(payload.get("metric"), str):
        return f"{payload['object_type']}.{payload['metric']}"[:100]
    return None


def store_invalid(raw, brand, reason):
    """Keep a malformed delivery for inspection; it is never applied."""
    db.session.add(
        CustomerIoWebhookLog(
            webhook_type="invalid",
            brand_id=brand.id if brand else None,
            payload={"raw": raw.decode("utf-8", "replace")[:MAX_STORED_RAW_CHARS]},
            processed_successfully=False,
            error_message=reason,
            processed_at=utcnow(),
        )
    )
    db.session.commit()
    return error(400, reason)


def _finite_number(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def nesting_depth(value):
    """How many arrays and objects deep `value` goes (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def storable_problem(payload):
    """Why a parsed object can't be stored as JSON text (None when it can)."""
    if nesting_depth(payload) > MAX_NESTING:
        return f"the body is nested deeper than {MAX_NESTING} levels"
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "the body holds a lone surrogate (text that is not Unicode)"
    return None


def parse(raw):
    """The JSON object in the body, or the reason it is not one."""
    try:
        payload = json.loads(raw, parse_float=_finite_number, parse_constant=_no_constants)
    except RecursionError:
        return None, f"the body is nested deeper than {MAX_NESTING} levels"
    except (ValueError, UnicodeDecodeError) as exc:
        return None, f"the body is not valid JSON: {exc}"[:300]
    if not isinstance(payload, dict):
        return None, "the body must be a JSON object"
    problem = storable_problem(payload)
    return (None, problem) if problem else (payload, None)


def dedupe_key_of(payload):
    """Reporting webhooks dedupe by `event_id`; other signed bodies by their signature, so a
    replay within the window is stored once."""
    if payload.get("event_id"):
        return f"cio:{payload['event_id']}"[:191]
    signature = request.headers.get("X-CIO-Signature")
    if signature and not request.headers.get("Authorization", "").startswith("Bearer "):
        return f"sig:{signature.strip().lower()}"[:191]
    return None


@bp.post("/customerio", defaults={"brand_slug": None})
@bp.post("/customerio/<brand_slug>")
def customerio(brand_slug):
    """Receive one Customer.io webhook (reporting webhook or workflow webhook action)."""
    brand = None
    if brand_slug is not None:
        brand = db.session.scalar(select(Brand).where(Brand.slug == brand_slug))
        if brand is None:
            return error(404, f"no brand {brand_slug!r}")
    limit = current_app.config["WEBHOOK_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        return error(413, f"the body is over {limit} bytes")
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        return error(413, f"the body is over {limit} bytes")
    problem = authentication_problem(raw, brand)
    if problem:
        return error(401, problem)
    payload, problem = parse(raw)
    webhook_type = webhook_type_of(payload) if payload is not None else None
    if payload is not None and webhook_type is None:
        problem = "the body has neither `type` nor `object_type` and `metric`"
    if problem:
        return store_invalid(raw, brand, problem)
    row = CustomerIoWebhookLog(
        webhook_type=webhook_type,
        brand_id=brand.id if brand else None,
        user_id=customer_id_of(payload),
        payload=payload,
        dedupe_key=dedupe_key_of(payload),
        event_timestamp=event_time_of(payload),
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return jsonify({"status": "duplicate"}), 200
    enqueue_after_commit(apply_stored_webhooks, once=True)
    db.session.commit()
    return jsonify({"status": "accepted", "id": row.id}), 202
