"""Items 3, 4, 5: predictions, consent and segments from Customer.io apply in the order of
their payload times, whichever worker applies them and whatever the member does meanwhile."""

import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

from tests.loyalty.test_concurrency import run_together
from webapp.customerio import webhook_apply
from webapp.deliveries.webhook_batches import apply_stored_webhook
from webapp.extensions import db
from webapp.loyalty.profiles import update_profile
from webapp.models import CustomerIoWebhookLog, MemberAiProfile, MemberWallet, User
from webapp.timeutil import utcnow

EPOCH = datetime(2026, 1, 1)


def stored(user, brand, webhook_type, at, data=None):
    """A stored webhook of `brand`'s endpoint about `user`, with payload time `at`."""
    payload = {"type": webhook_type, "customer_id": str(user.id), "data": data or {},
               "timestamp": int((at - datetime(1970, 1, 1)).total_seconds())}  # fmt: skip
    row = CustomerIoWebhookLog(
        webhook_type=webhook_type,
        user_id=user.id,
        brand_id=brand.id,
        payload=payload,
        event_timestamp=at,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def profile(user, brand):
    db.session.expire_all()
    return db.session.get(MemberAiProfile, (user.id, brand.id))


def test_an_older_prediction_applied_at_the_same_time_as_a_newer_one_never_wins(
    app, make, monkeypatch
):
    brand = make.brand()
    user = make.user()
    db.session.add(MemberAiProfile(user_id=user.id, brand_id=brand.id, predicted_at=EPOCH))
    db.session.commit()
    older = stored(user, brand, "prediction_update", EPOCH + timedelta(hours=1),
                   {"engagement_score": 0.1})  # fmt: skip
    newer = stored(user, brand, "prediction_update", EPOCH + timedelta(hours=2),
                   {"engagement_score": 0.9})  # fmt: skip
    applying_older = threading.local()
    real_profile_of = webhook_apply.profile_of

    def slow_for_the_older(user_id, brand_id):
        found = real_profile_of(user_id, brand_id)
        if getattr(applying_older, "yes", False):
            time.sleep(0.5)  # the newer one is applied meanwhile
        return found

    monkeypatch.setattr(webhook_apply, "profile_of", slow_for_the_older)

    def apply_older():
        applying_older.yes = True
        apply_stored_webhook(older)

    def apply_newer():
        time.sleep(0.1)  # the older one has read the profile by now
        apply_stored_webhook(newer)

    run_together(app, [apply_older, apply_newer])
    assert profile(user, brand).engagement_score == Decimal("0.9000")


def consent(user, brand):
    db.session.expire_all()
    return db.session.get(MemberWallet, (user.id, brand.id))


def test_a_stale_unsubscribe_then_a_stale_subscribe_never_beat_the_members_later_opt_out(make):
    brand = make.brand()
    user = make.user(marketing_consent=True, marketing_consent_updated_at=utcnow() - timedelta(1))
    update_profile(user.id, brand.id, first_name="Sam", last_name="", phone_number="",
                   marketing_consent=False, custom_values={})  # fmt: skip
    opted_out_at = consent(user, brand).marketing_consent_updated_at
    apply_stored_webhook(
        stored(user, brand, "customer.unsubscribed", opted_out_at - timedelta(hours=2))
    )
    assert consent(user, brand).marketing_consent_updated_at == opted_out_at  # never backwards
    apply_stored_webhook(
        stored(user, brand, "customer.subscribed", opted_out_at - timedelta(hours=1))
    )
    wallet = consent(user, brand)
    assert (wallet.marketing_consent, wallet.marketing_consent_updated_at) == (False, opted_out_at)
    assert db.session.get(User, user.id).marketing_consent is False


def test_an_unsubscribe_wins_over_an_older_subscribe_and_a_tie(make):
    brand = make.brand()
    user = make.user()
    at = EPOCH + timedelta(days=30)
    apply_stored_webhook(stored(user, brand, "customer.subscribed", at))
    apply_stored_webhook(stored(user, brand, "customer.unsubscribed", at))
    apply_stored_webhook(stored(user, brand, "customer.subscribed", at))
    assert consent(user, brand).marketing_consent is False
    apply_stored_webhook(stored(user, brand, "customer.subscribed", at + timedelta(seconds=1)))
    assert consent(user, brand).marketing_consent is True


def test_a_late_or_repeated_entered_never_restores_a_segment_the_member_exited(make):
    brand = make.brand()
    user = make.user()
    entered = {"segment": "vip", "action": "entered"}
    exited = {"segment": "vip", "action": "exited"}
    first = stored(user, brand, "segment_change", EPOCH + timedelta(hours=1), entered)
    apply_stored_webhook(first)
    apply_stored_webhook(stored(user, brand, "segment_change", EPOCH + timedelta(hours=3), exited))
    apply_stored_webhook(stored(user, brand, "segment_change", EPOCH + timedelta(hours=2), entered))
    apply_stored_webhook(stored(user, brand, "segment_change", EPOCH + timedelta(hours=1), entered))
    held = profile(user, brand)
    assert "vip" not in (held.segments or {}) and held.recommended_segment is None
    apply_stored_webhook(stored(user, brand, "segment_change", EPOCH + timedelta(hours=4), entered))
    assert "vip" in profile(user, brand).segments
