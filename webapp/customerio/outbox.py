"""The transactional outbox: Customer.io calls recorded in the same transaction as the action."""

import os
import time

from webapp.extensions import db
from webapp.models import CustomerIoEventQueue
from webapp.timeutil import to_unix, utcnow

ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PRIORITIES = {
    "password_reset_requested": 1,
    "guest_activation_requested": 1,
    "product_scanned": 5,
    "user_session_started": 20,
    "user_session_ended": 20,
}
DEFAULT_PRIORITY = 10
IDENTIFY_PRIORITY = 15


def new_event_uid():
    """A ULID (48-bit ms time + 80 random bits): Customer.io dedupes events by it."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(ULID_ALPHABET[(value >> shift) & 31] for shift in range(125, -1, -5))


def user_snapshot(user):
    """Who the member is at the moment of the event: identity, economy, status, engagement."""
    return {
        "identity": {
            "id": str(user.id),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_guest": bool(user.is_guest),
        },
        "economy": {
            "points_balance": user.points_balance or 0,
            "lifetime_points": user.lifetime_points or 0,
        },
        "status": {"rank_key": user.current_rank_key or "member"},
        "engagement": {
            "marketing_consent": bool(user.marketing_consent),
            "created_at": to_unix(user.created_at),
        },
    }


def product_snapshot(product):
    """The product involved: identity, economy, taxonomy (None when there is none)."""
    if product is None:
        return None
    return {
        "identity": {"id": product.id, "sku": product.sku, "name": product.name},
        "economy": {
            "points_award": product.points_award,
            "points_cost": product.points_cost,
            "msrp": str(product.msrp) if product.msrp is not None else None,
        },
        "taxonomy": {
            "product_form": product.product_form,
            "product_line": product.product_line,
            "strain_name": product.strain_name,
            "strain_type": product.strain_type,
            "potency_thc_percent": _decimal(product.potency_thc_percent),
            "potency_cbd_percent": _decimal(product.potency_cbd_percent),
            "dominant_terpene": product.dominant_terpene,
            "tags": product.tags or [],
        },
    }


def _decimal(value):
    return None if value is None else str(value)


def record_event(user, name, *, brand_id, product=None, context=None, priority=None):
    """Add an event row to the session (committed with the caller's transaction)."""
    now = utcnow()
    event_context = {"brand_id": brand_id, "timestamp": to_unix(now), **(context or {})}
    row = CustomerIoEventQueue(
        user_id=user.id,
        brand_id=brand_id,
        event_type="event",
        event_name=name,
        event_uid=new_event_uid(),
        status="pending",
        created_at=now,
        priority=priority if priority is not None else PRIORITIES.get(name, DEFAULT_PRIORITY),
        event_data={
            "user_snapshot": user_snapshot(user),
            "product_snapshot": product_snapshot(product),
            "event_context": event_context,
        },
    )
    db.session.add(row)
    return row
