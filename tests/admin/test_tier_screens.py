"""Owners set how ranks are earned and each rank's entry reward; bad input gets a clear
message and saves nothing, and no brand offers another brand's rewards."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.admin.conftest import HOST_A, HOST_B, sign_in
from tests.admin.test_screens import SETTINGS
from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.models import Brand, Rank

pytestmark = pytest.mark.sqlite_ok

RANK = {"key": "platinum", "name": "Platinum", "points_required": "5000", "point_multiplier": "2"}


def test_a_rank_keeps_its_entry_reward(app, owner, world):
    with app.app_context():
        gift = factories.product(world.brand_a, name="Platinum gift", points_cost=900).id
    form = {**RANK, "entry_points": "250", "entry_product_id": str(gift)}
    assert owner.post("/admin/ranks/new", data=form, base_url=HOST_A).status_code == 303
    with app.app_context():
        rank = db.session.scalar(select(Rank).where(Rank.key == "platinum"))
        assert (rank.entry_points, rank.entry_product_id) == (250, gift)
        rank_id = rank.id
    listing = owner.get("/admin/ranks", base_url=HOST_A).get_data(as_text=True)
    assert "250 points + Platinum gift" in listing
    page = owner.get(f"/admin/ranks/{rank_id}/edit", base_url=HOST_A).get_data(as_text=True)
    assert f'<option selected value="{gift}">Platinum gift</option>' in page
    cleared = {**RANK, "entry_points": "", "entry_product_id": "0"}
    assert (
        owner.post(f"/admin/ranks/{rank_id}/edit", data=cleared, base_url=HOST_A).status_code == 303
    )
    with app.app_context():
        rank = db.session.get(Rank, rank_id)
        assert (rank.entry_points, rank.entry_product_id) == (None, None)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"entry_points": "-5"}, "Number must be between 0 and 1000000."),
        ({"entry_points": "lots"}, "Not a valid integer value."),
        ({"entry_product_id": "999999"}, "Choose one of the listed rewards, or None."),
        ({"entry_product_id": "gift"}, "Choose one of the listed rewards, or None."),
    ],
)
def test_a_bad_entry_reward_is_refused_with_a_message(app, owner, world, entry, message):
    response = owner.post("/admin/ranks/new", data={**RANK, **entry}, base_url=HOST_A)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Rank).where(Rank.key == "platinum")) is None


def test_another_brands_reward_is_no_entry_reward(app, owner, world):
    with app.app_context():
        theirs = factories.product(world.brand_b, name="Their gift", points_cost=100).id
    page = owner.get("/admin/ranks/new", base_url=HOST_A).get_data(as_text=True)
    assert "Their gift" not in page
    form = {**RANK, "entry_product_id": str(theirs)}
    response = owner.post("/admin/ranks/new", data=form, base_url=HOST_A)
    assert "Choose one of the listed rewards, or None." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Rank).where(Rank.key == "platinum")) is None


def test_brand_b_staff_cannot_edit_brand_a_ranks(app, client, world):
    sign_in(client, world.emails["other_owner"], host=HOST_B)
    url = f"/admin/ranks/{world.ids['rank_id']}/edit"
    assert client.get(url, base_url=HOST_B).status_code == 404
    form = {**RANK, "entry_points": "999"}
    assert client.post(url, data=form, base_url=HOST_B).status_code == 404
    with app.app_context():
        assert db.session.get(Rank, world.ids["rank_id"]).entry_points is None


def test_owners_choose_how_ranks_are_earned(app, owner, world):
    form = {**SETTINGS, "tier_qualifying": "calendar_year", "tier_grace_days": "90"}
    assert owner.post("/admin/settings", data=form, base_url=HOST_A).status_code == 303
    with app.app_context():
        tiers = settings_of(db.session.get(Brand, world.brand_a.id)).tiers
        assert (tiers.qualifying, tiers.grace_days) == ("calendar_year", 90)
        assert settings_of(db.session.get(Brand, world.brand_b.id)).tiers.qualifying == "lifetime"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"tier_grace_days": "-1"}, "Number must be between 0 and 3650."),
        ({"tier_grace_days": "a month"}, "Not a valid integer value."),
        ({"tier_qualifying": "weekly"}, "Not a valid choice."),
    ],
)
def test_bad_tier_settings_are_refused_with_a_message(app, owner, world, entry, message):
    response = owner.post("/admin/settings", data={**SETTINGS, **entry}, base_url=HOST_A)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert settings_of(db.session.get(Brand, world.brand_a.id)).tiers.qualifying == "lifetime"
