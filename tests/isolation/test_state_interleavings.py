"""The wallet invariants, and the Customer.io state rules, under random interleavings of
scans, redemptions, adjustments and cancellations with consent, prediction and segment
webhooks, identifies and (last) the account's deletion, for one person in two programs."""

from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.isolation.test_wallet_invariants import assert_wallet_invariants
from tests.loyalty.test_ledger_properties import STEPS
from tests.money.test_webhook_order import EPOCH, stored
from webapp.deliveries.webhook_batches import apply_stored_webhook
from webapp.events.outbox import record_identify
from webapp.extensions import db
from webapp.loyalty.profiles import delete_account
from webapp.models import CustomerIoEventQueue, MemberAiProfile, MemberWallet

minutes = st.integers(0, 4)
loyalty_steps = st.one_of(
    st.tuples(st.just("scan"), st.sampled_from([1, 7, 100, 333])),
    st.tuples(st.just("redeem"), st.sampled_from([50, 150, 400])),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("adjust"), st.integers(-400, 400)),
)
state_steps = st.one_of(
    st.tuples(st.just("consent"), st.tuples(st.booleans(), minutes)),
    st.tuples(st.just("prediction"), st.tuples(minutes, st.sampled_from([0.1, 0.5, 0.9]))),
    st.tuples(st.just("segment"), st.tuples(st.booleans(), minutes)),
    st.tuples(st.just("identify"), st.just(0)),
)
sequences = st.tuples(
    st.lists(st.tuples(st.sampled_from(["first", "second"]), loyalty_steps | state_steps),
             max_size=14),
    st.booleans(),  # and then the account is deleted
)  # fmt: skip


class Expected:
    """What the state rules say each brand's consent, prediction and segment must be."""

    def __init__(self):
        self.consent, self.prediction, self.segment = {}, {}, {}
        self.transactions = 0  # the steps so far, each its own transaction

    def consent_webhook(self, brand_id, subscribed, at):
        last = self.consent.get(brand_id)
        if last is None or at > last[0] or (at == last[0] and not subscribed):
            self.consent[brand_id] = (at, subscribed)

    def prediction_webhook(self, brand_id, at, score):
        last = self.prediction.get(brand_id)
        if last is None or at >= last[0]:
            self.prediction[brand_id] = (at, score)

    def segment_webhook(self, brand_id, entered, at):
        last = self.segment.get(brand_id)
        if last is None or at > last[0] or (at == last[0] and not entered):
            self.segment[brand_id] = (at, entered)


def apply_state_step(kind, argument, brand, user, expected):
    if kind == "consent":
        subscribed, minute = argument
        at = EPOCH + timedelta(minutes=minute)
        webhook_type = "customer.subscribed" if subscribed else "customer.unsubscribed"
        apply_stored_webhook(stored(user, brand, webhook_type, at))
        expected.consent_webhook(brand.id, subscribed, at)
    elif kind == "prediction":
        minute, score = argument
        at = EPOCH + timedelta(minutes=minute)
        apply_stored_webhook(
            stored(user, brand, "prediction_update", at, {"engagement_score": score})
        )
        expected.prediction_webhook(brand.id, at, score)
    elif kind == "segment":
        entered, minute = argument
        at = EPOCH + timedelta(minutes=minute)
        data = {"segment": "vip", "action": "entered" if entered else "exited"}
        apply_stored_webhook(stored(user, brand, "segment_change", at, data))
        expected.segment_webhook(brand.id, entered, at)
    else:
        record_identify(user, brand_id=brand.id)
        db.session.commit()


def assert_state_rules(user_id, brands, expected):
    db.session.expire_all()
    for brand in brands:
        wallet = db.session.get(MemberWallet, (user_id, brand.id))
        if brand.id in expected.consent:
            assert wallet.marketing_consent is expected.consent[brand.id][1]
        profile = db.session.get(MemberAiProfile, (user_id, brand.id))
        if brand.id in expected.prediction:
            assert float(profile.engagement_score) == expected.prediction[brand.id][1]
        if brand.id in expected.segment:
            assert ("vip" in (profile.segments or {})) is expected.segment[brand.id][1]
        pending_identifies = db.session.scalars(
            select(CustomerIoEventQueue.id).where(
                CustomerIoEventQueue.user_id == user_id,
                CustomerIoEventQueue.brand_id == brand.id,
                CustomerIoEventQueue.event_type == "identify",
                CustomerIoEventQueue.status == "pending",
            )
        ).all()
        # one a transaction at most (the delivery sends one per member and claim)
        assert len(pending_identifies) <= expected.transactions


def assert_deleted_cleanly(user_id):
    db.session.expire_all()
    waiting = db.session.scalars(
        select(CustomerIoEventQueue.event_type).where(
            CustomerIoEventQueue.user_id == user_id, CustomerIoEventQueue.status == "pending"
        )
    ).all()
    assert set(waiting) <= {"delete"} and "delete" in waiting
    consents = db.session.scalars(
        select(MemberWallet.marketing_consent).where(MemberWallet.user_id == user_id)
    ).all()
    assert not any(consents)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=sequences)
@example(  # a stale opt-out after a newer subscribe; a late "entered" after an exit
    plan=(
        [("first", ("consent", (True, 3))), ("first", ("consent", (False, 1))),
         ("second", ("segment", (False, 3))), ("second", ("segment", (True, 2))),
         ("first", ("scan", 100)), ("first", ("redeem", 50))],
        True,
    )
)  # fmt: skip
def test_any_interleaving_of_points_webhooks_identifies_and_deletion_keeps_every_rule(
    make, economy, second_economy, plan
):
    sequence, then_delete = plan
    user = make.user(brands=[economy[0], second_economy[0]])
    programs = {"first": economy, "second": second_economy}
    expected = Expected()
    for which, (kind, argument) in sequence:
        expected.transactions += 1
        if kind in STEPS:
            STEPS[kind](make, programs[which], user, argument)
        else:
            apply_state_step(kind, argument, programs[which][0], user, expected)
        assert_wallet_invariants(user.id)
        assert_state_rules(user.id, [economy[0], second_economy[0]], expected)
    if then_delete:
        delete_account(user.id)
        assert_wallet_invariants(user.id)
        assert_deleted_cleanly(user.id)
