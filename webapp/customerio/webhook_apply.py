"""Applying stored Customer.io webhooks: predictions, segments, consent, achievements.

A brand's endpoint speaks for that brand only: a webhook naming someone who is not its member
changes nothing. The platform endpoint speaks for the brands that use the platform's own
workspace (no Track credentials of their own), and writes the platform's profile.

Every apply function locks the member (their `users` row) before it reads what it may change,
so two workers applying webhooks about one member take turns, and the ordering checks
(predictions, consent, segments) compare against committed values.
"""

import logging
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from webapp.events.outbox import record_identify
from webapp.extensions import db
from webapp.loyalty.achievements import UnknownAchievement, grant_custom_achievement
from webapp.loyalty.consents import last_consent_time, record_consent
from webapp.loyalty.ledger import PointsLimitExceeded
from webapp.loyalty.membership import NotAMember, sync_marketing_consent
from webapp.models import (
    Brand,
    CustomerIoWebhookLog,
    MemberAiProfile,
    MemberWallet,
    User,
    UserAiProfile,
)
from webapp.timeutil import utcnow

log = logging.getLogger(__name__)

PROBABILITIES = ("churn_probability", "engagement_score", "purchase_probability")
MAX_LIFETIME_VALUE = Decimal("99999999.99")
TEXT_FIELDS = ("recommended_segment", "next_best_action")
MAX_ID = 2**63  # BIGINT ids; anything larger cannot be one of our members
MAX_TIMESTAMP = 2**31  # the last second a TIMESTAMP column holds


class WebhookRejected(ValueError):
    """A stored webhook that cannot be applied, with the reason."""


def _ascii_digits(text):
    return text.isascii() and text.isdigit()


def customer_id_of(payload):
    """Our user id from a payload (top level, data, or data.identifiers), else None."""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    identifiers = data.get("identifiers") if isinstance(data.get("identifiers"), dict) else {}
    for value in (payload.get("customer_id"), data.get("customer_id"), identifiers.get("id")):
        if isinstance(value, bool):
            continue
        if isinstance(value, int) or (isinstance(value, str) and _ascii_digits(value.strip())):
            return int(value) if 0 < int(value) < MAX_ID else None
    return None


def event_time_of(payload):
    """The payload's unix `timestamp` as a naive UTC datetime, else None."""
    value = payload.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 1 <= value < MAX_TIMESTAMP:  # TIMESTAMP columns start at 1970-01-01 00:00:01
        return None
    return datetime.fromtimestamp(int(value), UTC).replace(tzinfo=None)


def member(row):
    """The member the webhook is about, locked until the transaction ends, and their wallets
    it speaks for; rejected unless there is at least one."""
    if row.user_id is None:
        raise WebhookRejected("unknown user: customer_id is missing or not one of our member ids")
    user = db.session.scalars(
        select(User)
        .where(User.id == row.user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if user is None:
        raise WebhookRejected(f"unknown user {row.user_id}")
    wallets = wallets_spoken_for(row, user)
    if not wallets:
        raise WebhookRejected(f"user {row.user_id} is not a member of this brand")
    return user, wallets


def wallets_spoken_for(row, user):
    """The member's wallets the webhook may change: at its brand, or, from the platform
    endpoint, at every brand of theirs without a workspace of its own (home brand first)."""
    if row.brand_id is not None:
        wallet = db.session.get(MemberWallet, (user.id, row.brand_id), populate_existing=True)
        return [wallet] if wallet is not None else []
    wallets = db.session.scalars(
        select(MemberWallet)
        .join(Brand, Brand.id == MemberWallet.brand_id)
        .where(MemberWallet.user_id == user.id, Brand.customer_io_site_id.is_(None))
        .order_by(MemberWallet.joined_at, MemberWallet.brand_id)
        .execution_options(populate_existing=True)
    ).all()
    return sorted(wallets, key=lambda wallet: wallet.brand_id != user.signup_brand_id)


def profile_of(user_id, brand_id):
    """The AI profile the webhook writes (the brand's, or the platform's when None), as
    committed (read under the member's lock), created empty when there is none."""
    if brand_id is not None:
        profile = db.session.get(MemberAiProfile, (user_id, brand_id), populate_existing=True)
        if profile is None:
            profile = MemberAiProfile(user_id=user_id, brand_id=brand_id)
            db.session.add(profile)
        return profile
    profile = db.session.scalar(
        select(UserAiProfile)
        .where(UserAiProfile.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    if profile is None:
        profile = UserAiProfile(user_id=user_id)
        db.session.add(profile)
    return profile


def number(data, key, low, high):
    """data[key] as a Decimal within [low, high], or a clear rejection."""
    value = data[key]
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        decimal = Decimal(str(value))
    except InvalidOperation:
        raise WebhookRejected(f"{key} must be a number, got {value!r}") from None
    if not low <= decimal <= high:
        raise WebhookRejected(f"{key} must be between {low} and {high}, got {value}")
    return decimal


def validated_texts(data):
    """The short text fields present in `data`, checked."""
    values = {}
    for key in TEXT_FIELDS:
        if key in data:
            if data[key] is not None and (not isinstance(data[key], str) or len(data[key]) > 100):
                raise WebhookRejected(f"{key} must be text of at most 100 characters")
            values[key] = data[key]
    return values


def validated_affinities(scores):
    """Affinity scores keyed by product form, line or tag, each within 0..1."""
    if not isinstance(scores, dict):
        raise WebhookRejected("product_affinity_scores must be an object of scores")
    return {str(key): float(number(scores, key, 0, 1)) for key in scores}


def validated_prediction(data):
    """The prediction fields present in `data`, checked."""
    values = {}
    for key in PROBABILITIES:
        if key in data:
            values[key] = number(data, key, 0, 1)
    if "predicted_lifetime_value" in data:
        values["predicted_lifetime_value"] = number(
            data, "predicted_lifetime_value", 0, MAX_LIFETIME_VALUE
        )
    values.update(validated_texts(data))
    if "product_affinity_scores" in data:
        values["product_affinity_scores"] = validated_affinities(data["product_affinity_scores"])
    if "insights" in data:
        if not isinstance(data["insights"], dict):
            raise WebhookRejected("insights must be an object")
        values["ai_insights"] = data["insights"]
    return values


def apply_prediction(row):
    """`prediction_update`: update the AI profile unless a newer prediction is applied."""
    user, _wallets = member(row)
    data = row.payload.get("data")
    if not isinstance(data, dict):
        raise WebhookRejected("prediction_update needs a `data` object")
    values = validated_prediction(data)
    predicted_at = row.event_timestamp or row.created_at or utcnow()
    profile = profile_of(user.id, row.brand_id)
    if profile.predicted_at is not None and predicted_at < profile.predicted_at:
        return f"ignored: older than the prediction of {profile.predicted_at:%Y-%m-%d %H:%M:%S}"
    for key, value in values.items():
        setattr(profile, key, value)
    profile.predicted_at = predicted_at
    profile.last_synced_at = utcnow()
    return None


def _unix(moment):
    return int(moment.replace(tzinfo=UTC).timestamp())


def apply_segment_change(row):
    """`segment_change`: track segment memberships and the recommended segment, in the order
    of the payloads' times per segment (a late or repeated change is ignored; an exit wins a
    tie)."""
    user, _wallets = member(row)
    data = row.payload.get("data") if isinstance(row.payload.get("data"), dict) else {}
    segment, action = data.get("segment"), data.get("action")
    if not isinstance(segment, str) or not segment or len(segment) > 100:
        raise WebhookRejected("segment_change needs data.segment (text, at most 100 characters)")
    if action not in ("entered", "exited"):
        raise WebhookRejected("segment_change needs data.action `entered` or `exited`")
    profile = profile_of(user.id, row.brand_id)
    changed_at = _unix(row.event_timestamp or row.created_at or utcnow())
    clock = dict(profile.segment_clock or {})
    last = clock.get(segment)
    if last is not None and (changed_at < last or (changed_at == last and action == "entered")):
        return f"ignored: {segment} changed after this {action}"
    clock[segment] = changed_at
    profile.segment_clock = clock
    segments = dict(profile.segments or {})
    if action == "entered":
        segments[segment] = changed_at
        profile.recommended_segment = segment
    else:
        segments.pop(segment, None)
        if profile.recommended_segment == segment:  # back to the latest segment still held
            profile.recommended_segment = max(segments, key=segments.get) if segments else None
    profile.segments = segments
    return None


def apply_consent(row, subscribed):
    """Reporting (un)subscribe, per membership, in time order: an unsubscribe wins over any
    change up to its time (ties included), a subscribe only over older ones; the consent
    clock never runs backwards."""
    user, wallets = member(row)
    changed_at = row.event_timestamp or row.created_at or utcnow()
    changed = 0
    for wallet in wallets:
        last_change = wallet.marketing_consent_updated_at
        if last_change is not None and (
            changed_at < last_change or (subscribed and changed_at == last_change)
        ):
            continue
        wallet.marketing_consent = subscribed
        wallet.marketing_consent_updated_at = changed_at
        record_consent(user.id, wallet.brand_id, "email", subscribed, "webhook", at=changed_at)
        record_identify(user, brand_id=wallet.brand_id)
        changed += 1
    sync_marketing_consent(user, changed_at)
    return None if changed else "ignored: the member's consent changed after this"


def apply_sms_consent(row, subscribed):
    """An SMS (un)subscribe reported by Customer.io (e.g. a STOP reply), per membership;
    a subscribe never wins over a newer choice of the member's own."""
    user, wallets = member(row)
    changed_at = row.event_timestamp or row.created_at or utcnow()
    changed = 0
    for wallet in wallets:
        last = last_consent_time(user.id, wallet.brand_id, "sms")
        if last is not None and (changed_at < last or (subscribed and changed_at == last)):
            continue
        record_consent(user.id, wallet.brand_id, "sms", subscribed, "webhook", at=changed_at)
        record_identify(user, brand_id=wallet.brand_id)
        changed += 1
    return None if changed else "ignored: the member's SMS consent changed after this"


def apply_achievement_grant(row):
    """`achievement_grant`: unlock a brand's custom achievement through the loyalty rules."""
    user, wallets = member(row)
    data = row.payload.get("data") if isinstance(row.payload.get("data"), dict) else {}
    key = data.get("achievement_key")
    if not isinstance(key, str) or not key:
        raise WebhookRejected("achievement_grant needs data.achievement_key")
    brand_id = wallets[0].brand_id
    try:
        unlocks = grant_custom_achievement(user.id, brand_id, key, source="customerio")
    except (UnknownAchievement, NotAMember, PointsLimitExceeded) as error:
        raise WebhookRejected(str(error)) from error
    return None if unlocks else "ignored: the member already has this achievement"


def apply_payload(row):
    """Apply one stored webhook; returns a note (e.g. why it was ignored) or None."""
    webhook_type = row.webhook_type
    if webhook_type == "prediction_update":
        return apply_prediction(row)
    if webhook_type == "segment_change":
        return apply_segment_change(row)
    if webhook_type == "achievement_grant":
        return apply_achievement_grant(row)
    object_type, _, metric = webhook_type.partition(".")
    if object_type in ("customer", "email") and metric in ("unsubscribed", "subscribed"):
        return apply_consent(row, subscribed=metric == "subscribed")
    if object_type == "sms" and metric in ("unsubscribed", "subscribed"):
        return apply_sms_consent(row, subscribed=metric == "subscribed")
    if metric:
        if row.user_id is not None:
            member(row)  # only the brand's own members' metrics are kept as applied
        return None  # a reporting metric we only log
    raise WebhookRejected(f"unknown webhook type {webhook_type!r}")


def apply_webhook(log_id):
    """Apply a stored webhook once, recording success or the reason it failed (the job that
    runs it commits); a rejected webhook's changes are undone with its savepoint."""
    row = db.session.get(CustomerIoWebhookLog, log_id)
    if row is None or row.processed_at is not None:
        return
    try:
        with db.session.begin_nested():
            note = apply_payload(row)
    except WebhookRejected as rejected:
        row = db.session.get(CustomerIoWebhookLog, log_id)
        row.processed_successfully, row.error_message = False, str(rejected)
        log.warning("webhook %s (%s) not applied: %s", log_id, row.webhook_type, rejected)
    else:
        row.processed_successfully, row.error_message = True, note
    row.processed_at = utcnow()
