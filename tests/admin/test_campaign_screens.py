"""Campaign screens: create, edit with the preview, end; validation; tenant walls; audit."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests import factories
from tests.admin.conftest import HOST_A, HOST_B, sign_in
from webapp.extensions import db
from webapp.models import Brand, Campaign, StaffAuditLog

pytestmark = pytest.mark.sqlite_ok


def form(**values):
    data = {
        "name": "Double points weekend",
        "starts_at": "2030-09-14T00:00",
        "ends_at": "2030-09-16T00:00",
        "multiplier": "2",
        "bonus_points": "",
        "forms": "",
        "lines": "",
        "strain_types": "",
        "tags": "",
        "skus": "",
        "ranks": "",
        "segments": "",
        "cap_kind": "",
        "cap_period": "campaign",
        "cap_amount": "",
        "budget_points": "",
    }
    data.update(values)
    return data


def test_an_owner_creates_a_campaign_on_the_brands_clock(client, world, owner):
    brand = db.session.get(Brand, world.brand_a.id)
    brand.settings = {**brand.settings, "timezone": "America/Los_Angeles"}
    db.session.commit()
    response = client.post("/admin/campaigns/new", data=form(ranks="gold"), base_url=HOST_A)
    assert response.status_code == 303
    campaign = db.session.scalar(
        select(Campaign).where(Campaign.brand_id == brand.id, Campaign.name != "Later")
    )
    assert str(campaign.starts_at) == "2030-09-14 07:00:00"  # midnight in Los Angeles, in UTC
    assert campaign.multiplier == Decimal(2) and campaign.targets == {"ranks": ["gold"]}
    audit = db.session.scalar(select(StaffAuditLog).where(StaffAuditLog.action == "campaign_saved"))
    assert audit.target_id == campaign.id
    page = client.get(f"/admin/campaigns/{campaign.id}/edit", base_url=HOST_A).get_data(True)
    assert "2030-09-14T00:00" in page
    # The preview: the gold rank (x1.00 in the fixture) earns double the product's points.
    product_points = 100
    assert "A Gold member scanning" in page and f"{product_points * 2:,}" in page
    listing = client.get("/admin/campaigns", base_url=HOST_A).get_data(True)
    assert "Double points weekend" in listing and "Scheduled" in listing


def test_ending_a_campaign_stops_it_and_is_audited(client, world, owner):
    campaign = Campaign(
        brand_id=world.brand_a.id,
        name="Now",
        multiplier=Decimal(2),
        starts_at=factories.utcnow(),
        ends_at=factories.utcnow().replace(year=2031),
    )
    db.session.add(campaign)
    db.session.commit()
    response = client.post(f"/admin/campaigns/{campaign.id}/end", base_url=HOST_A)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).ends_at <= factories.utcnow()
    assert db.session.scalar(select(StaffAuditLog).where(StaffAuditLog.action == "campaign_ended"))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ends_at": "2030-09-13T00:00"}, "The end must come after the start."),
        ({"multiplier": "", "bonus_points": ""}, "Give a multiplier, a fixed bonus, or both."),
        ({"multiplier": "500"}, "Number must be between"),
        ({"skus": "NOPE-1"}, "No skus of this brand is called NOPE-1."),
        ({"ranks": "platinum"}, "No rank keys of this brand is called platinum."),
        ({"cap_kind": "scans"}, "Enter the cap&#39;s amount."),
        ({"starts_at": "tomorrow"}, "Enter when it starts."),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(client, world, owner, values, message):
    response = client.post("/admin/campaigns/new", data=form(**values), base_url=HOST_A)
    assert response.status_code == 200
    assert message in response.get_data(True)
    assert db.session.scalars(select(Campaign.name)).all() == ["Later"]  # the fixture's own


def test_staff_of_another_brand_get_404(client, world):
    campaign = Campaign(
        brand_id=world.brand_a.id,
        name="A's",
        multiplier=Decimal(2),
        starts_at=factories.utcnow(),
        ends_at=factories.utcnow().replace(year=2031),
    )
    db.session.add(campaign)
    db.session.commit()
    sign_in(client, world.emails["other_owner"], HOST_B)
    assert client.get(f"/admin/campaigns/{campaign.id}/edit", base_url=HOST_B).status_code == 404
    assert client.post(f"/admin/campaigns/{campaign.id}/end", base_url=HOST_B).status_code == 404
    assert "A&#39;s" not in client.get("/admin/campaigns", base_url=HOST_B).get_data(True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).ends_at.year == 2031


def test_support_staff_cannot_open_campaigns(client, world):
    sign_in(client, world.emails["support"])
    assert client.get("/admin/campaigns", base_url=HOST_A).status_code == 403
