"""The transactional outbox: Customer.io calls recorded in the same transaction as the action.

It sits below the rules (`loyalty`) and the delivery (`customerio`): it names the delivery job
by its import path and announces link events on `event_recorded`, so it imports neither."""

import logging

from blinker import Namespace
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from ulid import ULID

from webapp.events.identify import wallet_of
from webapp.extensions import db
from webapp.jobs import enqueue_after_commit, inside_transaction
from webapp.models import BrandStaff, CustomerIoEventQueue
from webapp.timeutil import to_unix, utcnow

log = logging.getLogger(__name__)

PRIORITIES = {
    "password_reset_requested": 1,
    "guest_activation_requested": 1,
    "email_confirmation_requested": 1,
    "sign_up_with_existing_email": 1,
    "product_scanned": 5,
    "user_session_started": 20,
    "user_session_ended": 20,
}
DEFAULT_PRIORITY = 10
IDENTIFY_PRIORITY = 15
DELETE_PRIORITY = 50
LINK_EVENTS = (
    "password_reset_requested",
    "guest_activation_requested",
    "email_confirmation_requested",
    "sign_up_with_existing_email",
)
DELIVERY_JOB = "webapp.deliveries.outbox.deliver_outbox"

# session.info key: {(user id, brand id): the transaction or savepoint that queued that
# member's identify}.
IDENTIFIES_QUEUED = "identifies_queued"

# Sent with (name, brand_id, context) for each event row added: Customer.io's side listens.
event_recorded = Namespace().signal("event-recorded")


def new_event_uid():
    """A new ULID (48-bit ms time + 80 random bits, python-ulid): Customer.io dedupes events
    by it, and the outbox row keeps it so a resent event keeps its id."""
    return str(ULID())


def may_hear_of(user, brand_id, wallet):
    """A brand's workspace hears only of its members (and of its own staff)."""
    if wallet is not None:
        return True
    return brand_id is not None and (
        db.session.scalar(
            select(BrandStaff.id).where(
                BrandStaff.user_id == user.id, BrandStaff.brand_id == brand_id
            )
        )
        is not None
    )


def user_snapshot(user, wallet=None):
    """Who the member is at the moment of the event: identity, economy and status at the
    event's brand (its wallet), engagement."""
    return {
        "identity": {
            "id": str(user.id),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_guest": bool(user.is_guest),
        },
        "economy": {
            "points_balance": wallet.points_balance if wallet else 0,
            "lifetime_points": wallet.lifetime_points if wallet else 0,
        },
        "status": {"rank_key": (wallet and wallet.current_rank_key) or "member"},
        "engagement": {
            "marketing_consent": bool(wallet and wallet.marketing_consent),
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
    """Add an event row to the session; it is delivered after the caller's commit.

    Only a member (or a staff member) of `brand_id` is heard of in its workspace: for anyone
    else nothing is recorded and None is returned.
    """
    wallet = wallet_of(user.id, brand_id)
    if not may_hear_of(user, brand_id, wallet):
        return None
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
            "user_snapshot": user_snapshot(user, wallet),
            "product_snapshot": product_snapshot(product),
            "event_context": event_context,
        },
    )
    db.session.add(row)
    enqueue_after_commit(DELIVERY_JOB, brand_id, queue="high", once=True)
    event_recorded.send(name, brand_id=brand_id, context=context)
    return row


def record_identify(user, *, brand_id):
    """Ask for an identify of `user` in `brand_id`'s workspace after commit.

    Attributes are read when the row is delivered, and a delivery sends one identify per
    member however many of their rows its claim holds (`deliveries.outbox.prepare`): a burst
    of changes is one identify. A transaction queues one row per member (a scan's several
    grants add one) and never looks for a waiting one: its row is invisible to delivery until
    it commits, so it is always sent with the attributes from after this change. Only
    members are identified.
    """
    if wallet_of(user.id, brand_id) is None:
        return
    session = db.session()
    queued = session.info.setdefault(IDENTIFIES_QUEUED, {})
    if (user.id, brand_id) not in queued:
        _queue_call(user, brand_id, "identify", IDENTIFY_PRIORITY)
        queued[(user.id, brand_id)] = session.get_nested_transaction() or session.get_transaction()
    enqueue_after_commit(DELIVERY_JOB, brand_id, queue="high", once=True)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_identifies(session, previous_transaction):
    """A rolled-back savepoint dropped the row it queued: the next change queues it anew (as
    `enqueue_after_commit` forgets its jobs)."""
    queued = session.info.get(IDENTIFIES_QUEUED)
    if queued:
        session.info[IDENTIFIES_QUEUED] = {
            member: holder
            for member, holder in queued.items()
            if not inside_transaction(holder, previous_transaction)
        }


@event.listens_for(Session, "after_transaction_end")
def _forget_queued_identifies(session, transaction):
    """The outermost transaction's end (a commit, a rollback, a close) ends what it queued."""
    if transaction.parent is None:
        session.info.pop(IDENTIFIES_QUEUED, None)


def record_delete(user, *, brand_id):
    """Ask for the member to be deleted from `brand_id`'s workspace after commit.

    It goes after the member's other pending rows, so none of them re-creates the person.
    """
    _queue_call(user, brand_id, "delete", DELETE_PRIORITY)
    enqueue_after_commit(DELIVERY_JOB, brand_id, queue="high", once=True)


def _queue_call(user, brand_id, kind, priority):
    db.session.add(
        CustomerIoEventQueue(
            user_id=user.id,
            brand_id=brand_id,
            event_type=kind,
            event_name=kind,
            event_uid=new_event_uid(),
            status="pending",
            created_at=utcnow(),
            priority=priority,
            event_data={},
        )
    )
