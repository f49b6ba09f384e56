"""Admin fixtures: two brands on their own hosts, staff of every role, objects of brand A."""

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests import factories
from webapp.code_batches import generate_codes
from webapp.extensions import db
from webapp.models import (
    AchievementConfig,
    Campaign,
    CustomerIoEventQueue,
    CustomerIoWebhookLog,
    CustomField,
    JurisdictionRule,
    Redemption,
)
from webapp.timeutil import utcnow

HOST_A = "http://a.test"
HOST_B = "http://b.test"


@pytest.fixture
def world(app):
    """Brand A with staff of each role, a consumer, objects; brand B with its own owner."""
    with app.app_context():
        brand_a = factories.brand(settings={"hosts": ["a.test"]})
        brand_b = factories.brand(settings={"hosts": ["b.test"]})
        # Staff run a program; they are nobody's members unless they join one.
        people = {
            "consumer": factories.user(brands=[]),
            "support": factories.user(brands=[]),
            "manager": factories.user(brands=[]),
            "owner": factories.user(brands=[]),
            "other_owner": factories.user(brands=[]),
        }
        staff_rows = {
            role: factories.staff(people[role], brand_a, role)
            for role in ("support", "manager", "owner")
        }
        factories.staff(people["other_owner"], brand_b, "owner")
        product = factories.product(brand_a)
        rank = factories.rank(brand_a, "gold", 1000)
        field = CustomField(
            brand_id=brand_a.id, field_key="fav", field_label="Favourite", field_type="text"
        )
        db.session.add(field)
        # A member of brand A and a redemption that leave the dashboard's figures unchanged.
        member = factories.user(signup_brand_id=brand_a.id, created_at=utcnow() - timedelta(400))
        redemption = Redemption(
            user_id=member.id, brand_id=brand_a.id, product_id=product.id, points_spent=0,
            status="pending", shipping_name="Ada Member", shipping_address1="1 Harbor Way",
            shipping_city="Portland", shipping_region="OR", shipping_postal_code="97201",
            shipping_country="US",
        )  # fmt: skip
        db.session.add(redemption)
        achievement = AchievementConfig(
            brand_id=brand_a.id, achievement_key="first", name="First",
            achievement_type="scan_count", criteria={"metric": "scan_count", "value": 1},
            rewards={"points": 10},
        )  # fmt: skip
        # In flight, so the dashboard's outbox figures stay those its own test adds.
        event = CustomerIoEventQueue(
            user_id=member.id, brand_id=brand_a.id, event_name="product_scanned", event_data={},
            status="processing", error_message="HTTP 400",
        )  # fmt: skip
        webhook = CustomerIoWebhookLog(
            brand_id=brand_a.id, webhook_type="segment_update", payload={"customer_id": "x"},
            processed_successfully=False, error_message="unknown user",
        )  # fmt: skip
        # Brand A runs in one region, so its members' region is implied.
        rule = JurisdictionRule(brand_id=brand_a.id, region="US-OR", name="Oregon", min_age=21)
        # A campaign of brand A that starts long after every test's scans.
        campaign = Campaign(
            brand_id=brand_a.id, name="Later", multiplier=Decimal(2),
            starts_at=datetime(2031, 1, 1), ends_at=datetime(2031, 1, 3),
        )  # fmt: skip
        db.session.add_all([achievement, event, webhook, rule, campaign])
        db.session.commit()
        batch = generate_codes(brand_a.id, product.id, 3)
        return SimpleNamespace(
            brand_a=brand_a,
            brand_b=brand_b,
            emails={key: user.email for key, user in people.items()},
            users=people,
            staff=staff_rows,
            ids={
                "product_id": product.id,
                "batch_id": batch.id,
                "rank_id": rank.id,
                "field_id": field.id,
                "staff_id": staff_rows["support"].id,
                "member_id": member.id,
                "redemption_id": redemption.id,
                "achievement_id": achievement.id,
                "event_id": event.id,
                "log_id": webhook.id,
                "rule_id": rule.id,
                "campaign_id": campaign.id,
            },
        )


def sign_in(client, email, host=HOST_A):
    """Sign `client` in on `host`."""
    response = client.post(
        "/login", data={"email": email, "password": factories.DEFAULT_PASSWORD}, base_url=host
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def owner(client, world):
    """A client signed in as brand A's owner."""
    return sign_in(client, world.emails["owner"])


@pytest.fixture
def inline_jobs(app):
    """Run jobs inline (no Redis) for the test, then restore the setting."""
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = None
    yield
    app.config["REDIS_URL"] = saved
