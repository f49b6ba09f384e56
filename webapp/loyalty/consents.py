"""The consent ledger: every consent a member gives or withdraws, per brand and channel.

Rows are only ever added; the newest per (member, brand, channel) is the current state. Email
consent is also kept on the wallet and on `users` (the fast copies Customer.io and the
existing rules read); they change together here. Nothing is committed here.
"""

import hashlib
import hmac

from flask import current_app
from sqlalchemy import func, select, update

from webapp.events.identify import wallet_of
from webapp.extensions import db
from webapp.loyalty.membership import set_marketing_consent
from webapp.models import CONSENT_CHANNELS, ConsentEvent
from webapp.timeutil import utcnow

DOCUMENT_CHANNELS = ("loyalty_terms", "privacy")


def record_consent(
    user_id,
    brand_id,
    channel,
    granted,
    source,
    *,
    version=None,
    ip_address=None,
    staff_user_id=None,
    at=None,
):
    """Add one consent event (flushed with the caller's transaction)."""
    event = ConsentEvent(
        user_id=user_id,
        brand_id=brand_id,
        channel=channel,
        granted=bool(granted),
        source=source,
        version=(str(version)[:50] if version is not None else None),
        ip_address=(ip_address or "")[:45] or None,
        staff_user_id=staff_user_id,
        created_at=at or utcnow(),
    )
    db.session.add(event)
    return event


def latest_consents(user_id, brand_id, channels=CONSENT_CHANNELS):
    """The newest event per channel for the member at the brand: {channel: ConsentEvent}."""
    rows = db.session.scalars(
        select(ConsentEvent)
        .where(
            ConsentEvent.user_id == user_id,
            ConsentEvent.brand_id == brand_id,
            ConsentEvent.channel.in_(channels),
        )
        .order_by(ConsentEvent.created_at, ConsentEvent.id)
    )
    return {row.channel: row for row in rows}


def has_consent(user_id, brand_id, channel):
    """True when the member's newest event on `channel` at the brand grants it."""
    row = db.session.scalar(
        select(ConsentEvent)
        .where(
            ConsentEvent.user_id == user_id,
            ConsentEvent.brand_id == brand_id,
            ConsentEvent.channel == channel,
        )
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    return bool(row and row.granted)


def last_consent_time(user_id, brand_id, channel):
    """When the member's consent on `channel` at the brand last changed, or None."""
    return db.session.scalar(
        select(func.max(ConsentEvent.created_at)).where(
            ConsentEvent.user_id == user_id,
            ConsentEvent.brand_id == brand_id,
            ConsentEvent.channel == channel,
        )
    )


def consent_history(user_id, brand_id=None):
    """Every consent event of the member (at one brand, or all), oldest first."""
    query = select(ConsentEvent).where(ConsentEvent.user_id == user_id)
    if brand_id is not None:
        query = query.where(ConsentEvent.brand_id == brand_id)
    return list(db.session.scalars(query.order_by(ConsentEvent.created_at, ConsentEvent.id)))


def change_email_consent(user, brand_id, consent, source, *, ip_address=None, **who):
    """The member's email marketing choice at the brand: wallet, `users` and the ledger move
    together; True when it changed."""
    changed_at = utcnow()
    if not set_marketing_consent(user, brand_id, consent, changed_at):
        return False
    record_consent(
        user.id, brand_id, "email", consent, source, ip_address=ip_address, at=changed_at, **who
    )
    return True


def change_sms_consent(user, brand_id, consent, source, *, version=None, ip_address=None, **who):
    """Record an SMS consent change at the brand when it differs from the current state;
    True when it changed."""
    if has_consent(user.id, brand_id, "sms") == bool(consent):
        return False
    record_consent(
        user.id, brand_id, "sms", consent, source, version=version, ip_address=ip_address, **who
    )
    return True


def missing_documents(user_id, brand_id, versions):
    """The documents (`loyalty_terms`, `privacy`) whose current version the member has not
    accepted at the brand: {channel: version}."""
    latest = latest_consents(user_id, brand_id, DOCUMENT_CHANNELS)
    missing = {}
    for channel in DOCUMENT_CHANNELS:
        row = latest.get(channel)
        if row is None or not row.granted or row.version != versions[channel]:
            missing[channel] = versions[channel]
    return missing


def accept_documents(user_id, brand_id, versions, source, *, ip_address=None):
    """Record acceptance of the brand's current terms and privacy versions."""
    for channel in DOCUMENT_CHANNELS:
        record_consent(
            user_id,
            brand_id,
            channel,
            True,
            source,
            version=versions[channel],
            ip_address=ip_address,
        )


def subject_hash(email):
    """A keyed hash of an email address (SECRET_KEY): matches a person without naming them."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, (email or "").strip().lower().encode(), hashlib.sha256).hexdigest()


def anonymise_consents(user_id, email, brand_ids):
    """Keep the proof of consent of a deleted account: marketing consents end (a withdrawal
    is recorded), the IPs go, a keyed hash of the email comes; channel, decision, source,
    version and time stay."""
    for brand_id in brand_ids:
        wallet = wallet_of(user_id, brand_id)
        if wallet is not None and wallet.marketing_consent:
            record_consent(user_id, brand_id, "email", False, "profile")
        if has_consent(user_id, brand_id, "sms"):
            record_consent(user_id, brand_id, "sms", False, "profile")
    db.session.flush()
    db.session.execute(
        update(ConsentEvent)
        .where(ConsentEvent.user_id == user_id)
        .values(ip_address=None, subject_hash=subject_hash(email))
    )
