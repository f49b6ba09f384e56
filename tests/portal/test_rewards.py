"""Rewards pages: the catalogue, a reward's page, the confirmation step, redeeming, failures."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.loyalty.test_query_bound import statements_of
from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement, grant_custom_achievement
from webapp.loyalty.redemption import NotAReward, cancel_redemption, fulfil_redemption, redeem
from webapp.loyalty.reward_catalogue import (
    closest_reward,
    next_reward,
    reward_catalogue,
    reward_offer,
)
from webapp.models import MemberWallet, Redemption, User, UserAiProfile, Wishlist
from webapp.portal.rewards import redemption_problem

pytestmark = pytest.mark.sqlite_ok

SHIPPING = {
    "name": "Sam Rivera",
    "address1": "1 Harbor Way",
    "address2": "",
    "city": "Oakland",
    "region": "CA",
    "postal_code": "94607",
    "country": "us",
    "phone": "",
}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def brand(make):
    """The request's brand (the first one), with a Silver rank at 5,000 lifetime points."""
    brand = make.brand()
    make.rank(brand, "silver", 5000)
    return brand


@pytest.fixture
def member(make, auth):
    """A signed-in member with 2,000 points."""
    user = make.user(email="sam@example.com", points_balance=2000, lifetime_points=2000)
    auth.login("sam@example.com")
    return user


def _balance(user):
    return db.session.scalar(select(User.points_balance).where(User.id == user.id))


@pytest.mark.parametrize("path", ["/rewards", "/rewards/mine", "/rewards/1"])
def test_signed_out_visitors_are_sent_to_login(client, brand, path):
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]


def test_catalogue_lists_active_rewards_with_their_state(client, make, brand, member):
    make.product(brand, name="Tee", points_cost=1500)
    make.product(brand, name="Battery", points_cost=2500)
    make.product(brand, name="Hat", points_cost=1000, required_rank_key="silver")
    make.product(brand, name="Rosin", points_cost=500, is_limited=True)
    make.product(brand, name="Plain Cart")
    make.product(brand, name="Retired", points_cost=100, is_active=False)
    make.product(make.brand(), name="Elsewhere", points_cost=100)
    page = client.get("/rewards").get_data(as_text=True)
    assert "Plain Cart" not in page and "Retired" not in page and "Elsewhere" not in page
    assert "1,500" in page and "You can redeem this" in page
    assert "500 points to go" in page  # the battery: 2,500 - 2,000
    assert "Reach Silver to unlock" in page
    assert "Exclusive: unlock with an achievement" in page
    assert 'aria-label="Add to wishlist: Tee"' in page


def test_catalogue_puts_the_members_favourite_kinds_first(client, make, brand, member):
    make.product(brand, name="Cheap Tee", points_cost=100, product_form="Merch")
    make.product(brand, name="Pricey Battery", points_cost=900, product_form="Accessory")
    page = client.get("/rewards").get_data(as_text=True)
    assert page.index("Cheap Tee") < page.index("Pricey Battery")
    db.session.add(UserAiProfile(user_id=member.id, product_affinity_scores={"Accessory": 0.9}))
    db.session.commit()
    page = client.get("/rewards").get_data(as_text=True)
    assert page.index("Pricey Battery") < page.index("Cheap Tee")


@pytest.mark.parametrize("balance", [0, 150, 950, 2500, 9000])
def test_the_closest_reward_is_the_catalogues_choice_without_profile_or_wishlist_reads(
    app, make, brand, member, balance
):
    make.product(brand, name="Cheap Tee", points_cost=100, product_form="Merch")
    make.product(brand, name="Battery", points_cost=900, product_form="Accessory")
    make.product(brand, name="Silver Hoodie", points_cost=1000, required_rank_key="silver")
    make.product(brand, name="Drop", points_cost=2000, is_limited=True)
    wanted = make.product(brand, name="Grinder", points_cost=3000, product_form="Accessory")
    db.session.add(Wishlist(user_id=member.id, product_id=wanted.id))
    db.session.add(UserAiProfile(user_id=member.id, product_affinity_scores={"Accessory": 0.9}))
    wallet = db.session.get(MemberWallet, (member.id, brand.id))
    wallet.points_balance = balance
    db.session.commit()
    full, closest = [], []
    with app.test_request_context():
        closest_reward(member, brand.id)  # the rank ladder is cached for both
        db.session.expire_all()
        chosen = counted(full, lambda: next_reward(reward_catalogue(member, brand.id)))
        db.session.expire_all()
        quick = counted(closest, lambda: closest_reward(member, brand.id))
    assert quick is not None and quick.product.id == chosen.product.id
    assert quick.points_short == chosen.points_short
    # the AI profile's read and the wishlist's, which never change the choice, and the
    # catalogue's own (the brand's active rewards are cached)
    assert len(closest) == len(full) - 3, (full, closest)
    assert not [s for s in closest if "ai_profiles" in s or "wishlists" in s]
    assert not [s for s in closest if "FROM products" in s]


def test_the_closest_reward_follows_a_change_to_the_catalogue(app, make, brand, member):
    cheap = make.product(brand, name="Cheap Tee", points_cost=100)
    make.product(brand, name="Battery", points_cost=900)
    db.session.get(MemberWallet, (member.id, brand.id)).points_balance = 500
    db.session.commit()
    with app.test_request_context():
        assert closest_reward(member, brand.id).product.name == "Cheap Tee"
        cheap.is_active = False  # an admin retires it: the cached catalogue forgets it
        db.session.commit()
        assert closest_reward(member, brand.id).product.name == "Battery"
        make.product(brand, name="Sticker", points_cost=400)
        db.session.commit()
        assert closest_reward(member, brand.id).product.name == "Sticker"


def counted(statements, call):
    """`call()`, with the statements it sent appended to `statements`."""
    result = []
    statements.extend(statements_of(lambda: result.append(call())))
    return result[0]


def test_reward_page_shows_the_shipping_form(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    page = client.get(f"/rewards/{reward.id}").get_data(as_text=True)
    for field in ("name", "address1", "address2", "city", "region", "postal_code", "country"):
        assert f'name="{field}"' in page
    assert 'name="phone"' in page
    assert 'Apartment, suite <span class="field__optional">(optional)</span>' in page
    assert 'City <span class="field__optional">' not in page


@pytest.mark.parametrize("cost", [None, 0])
def test_products_that_are_not_rewards_are_not_found(client, make, brand, member, cost):
    product = make.product(brand, points_cost=cost)
    assert client.get(f"/rewards/{product.id}").status_code == 404
    assert client.post(f"/rewards/{product.id}", data=SHIPPING).status_code == 404


def test_another_brands_reward_is_not_found(client, make, brand, member):
    other = make.product(make.brand(), points_cost=100)
    assert client.get(f"/rewards/{other.id}").status_code == 404
    assert client.post(f"/rewards/{other.id}/review", data=SHIPPING).status_code == 404
    assert client.post(f"/rewards/{other.id}", data=SHIPPING).status_code == 404
    assert _balance(member) == 2000


def test_review_asks_for_confirmation_with_the_cost(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    response = client.post(f"/rewards/{reward.id}/review", data=SHIPPING)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Redeem for 1,500 Points?" in page and "1 Harbor Way" in page
    assert f'action="/rewards/{reward.id}"' in page and 'value="Oakland"' in page
    assert _balance(member) == 2000


def test_review_from_htmx_answers_the_panel_alone(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    response = client.post(f"/rewards/{reward.id}/review", data=SHIPPING, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<section class="card" id="redeem-panel"')
    assert "<html" not in page and "Redeem for 1,500 Points?" in page


def test_change_details_returns_to_the_filled_form(client, make, brand, member):
    reward = make.product(brand, points_cost=1500)
    data = {**SHIPPING, "change": "1"}
    page = client.post(f"/rewards/{reward.id}/review", data=data).get_data(as_text=True)
    assert 'id="city"' in page and 'value="Oakland"' in page and "Redeem for" not in page


@pytest.mark.parametrize("step", ["review", "redeem"])
def test_bad_shipping_details_are_explained_per_field(client, make, brand, member, step):
    reward = make.product(brand, points_cost=1500)
    url = f"/rewards/{reward.id}/review" if step == "review" else f"/rewards/{reward.id}"
    response = client.post(url, data={**SHIPPING, "city": " ", "country": "USA"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="city-error"' in page and "City is required." in page
    assert "Country must be a two-letter code, like US." in page
    assert _balance(member) == 2000


def test_redeeming_spends_the_points_and_shows_my_redemptions(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    response = client.post(f"/rewards/{reward.id}", data=SHIPPING)
    assert response.status_code == 303 and response.headers["Location"] == "/rewards/mine"
    assert _balance(member) == 500
    page = client.get("/rewards/mine").get_data(as_text=True)
    assert "You redeemed Tee" in page and "Being prepared" in page
    assert 'id="points-balance" data-value="500"' in page
    redemption = db.session.scalars(select(Redemption)).one()
    assert (redemption.shipping_city, redemption.shipping_country) == ("Oakland", "US")


def test_redeeming_from_htmx_answers_the_success_panel_and_new_balance(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    response = client.post(f"/rewards/{reward.id}", data=SHIPPING, headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Redeemed!" in page and 'role="status"' in page and "<html" not in page
    assert 'hx-swap-oob="beforeend:#toast-region"' in page and "−1,500" in page
    trigger = json.loads(response.headers["HX-Trigger"])["pointsChanged"]
    assert trigger["balance"] == 500 and trigger["balance_display"] == "500"


def test_not_enough_points_is_a_friendly_message(client, make, brand, member):
    reward = make.product(brand, points_cost=2600)
    assert "600 points to go" in client.get("/rewards").get_data(as_text=True)
    response = client.post(f"/rewards/{reward.id}", data=SHIPPING)
    assert response.status_code == 422
    assert "You need 600 more points for this reward." in response.get_data(as_text=True)
    assert _balance(member) == 2000


def test_a_reward_above_the_members_rank_says_which_rank(client, make, brand, member):
    reward = make.product(brand, points_cost=100, required_rank_key="silver")
    page = client.get(f"/rewards/{reward.id}").get_data(as_text=True)
    assert "Reach Silver to unlock this reward." in page and 'name="address1"' not in page
    response = client.post(f"/rewards/{reward.id}", data=SHIPPING, headers=HTMX)
    assert response.status_code == 422
    assert 'role="alert">Reach Silver to unlock this reward.' in response.get_data(as_text=True)
    assert _balance(member) == 2000


def test_limited_rewards_open_with_exclusive_access(client, make, brand, member):
    reward = make.product(brand, points_cost=100, is_limited=True)
    response = client.post(f"/rewards/{reward.id}", data=SHIPPING)
    assert response.status_code == 422
    assert "for members with exclusive access" in response.get_data(as_text=True)
    create_achievement(
        brand_id=brand.id,
        achievement_key="insider",
        name="Insider",
        achievement_type="custom",
        criteria={"metric": "custom"},
        rewards={"points": 0, "exclusive_access": True},
    )
    grant_custom_achievement(member.id, brand.id, "insider", "staff")
    db.session.commit()
    assert "You can redeem this" in client.get("/rewards").get_data(as_text=True)
    assert client.post(f"/rewards/{reward.id}", data=SHIPPING).status_code == 303


def test_my_redemptions_show_each_status(client, make, brand, member):
    staff = make.user()
    names = ("Shipped Tee", "Cancelled Hat", "Waiting Battery")
    rewards = [make.product(brand, name=name, points_cost=100) for name in names]
    shipped, cancelled, _ = (
        redeem(member.id, reward.id, brand.id, SHIPPING).id for reward in rewards
    )
    fulfil_redemption(shipped, staff.id, "Tracking 123")
    cancel_redemption(cancelled, staff_user_id=staff.id, reason="Out of stock, sorry.")
    page = client.get("/rewards/mine").get_data(as_text=True)
    assert "Shipped" in page and "Being prepared" in page
    assert "Cancelled, points refunded" in page and "Out of stock, sorry." in page


def test_my_redemptions_when_there_are_none(client, brand, member):
    assert "No redemptions yet." in client.get("/rewards/mine").get_data(as_text=True)


def test_a_reward_withdrawn_while_redeeming_is_explained(make, brand, member):
    offer = reward_offer(member, make.product(brand, points_cost=100).id, brand.id)
    message = redemption_problem(NotAReward("gone"), offer)
    assert message == "That reward is not available any more."
