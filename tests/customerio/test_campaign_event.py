"""A campaign's bonus reaches Customer.io as `campaign_bonus_awarded`, after the scan's event."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.customerio.conftest import run_jobs
from webapp.extensions import db
from webapp.loyalty.scan import scan_code
from webapp.models import Campaign
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


def test_a_campaign_bonus_is_sent_as_its_own_event(cio, make, app):
    brand = make.brand()
    product = make.product(brand, points_award=150)
    user = make.user(signup_brand_id=brand.id)
    now = utcnow()
    campaign = Campaign(
        brand_id=brand.id,
        name="Double points weekend",
        multiplier=Decimal(2),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    db.session.add(campaign)
    db.session.commit()
    assert scan_code(user.id, make.scan_code(product).code, brand_id=brand.id).points == 300
    db.session.commit()
    if app.config.get("REDIS_URL"):
        run_jobs()
    mine = [e for e in cio.events() if e.get("customer_id", str(user.id)) == str(user.id)]
    names = [e["name"] for e in mine]
    assert names.index("product_scanned") < names.index("campaign_bonus_awarded")
    bonus = next(e for e in mine if e["name"] == "campaign_bonus_awarded")
    context = bonus["data"]["event_context"]
    assert context["points_awarded"] == 150
    assert (context["campaign_id"], context["campaign_name"]) == (
        campaign.id,
        "Double points weekend",
    )
    assert bonus["data"]["product_snapshot"]["identity"]["sku"] == product.sku
