"""The wishlist page and the heart toggle: htmx partial, plain POST and 303, safe returns."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.wishlist import toggle_wishlist
from webapp.models import Wishlist

pytestmark = pytest.mark.sqlite_ok

HTMX = {"HX-Request": "true"}


@pytest.fixture
def brand(make):
    """The request's brand (the first one)."""
    return make.brand()


@pytest.fixture
def member(make, auth):
    """A signed-in member."""
    user = make.user(email="sam@example.com", points_balance=300)
    auth.login("sam@example.com")
    return user


def _wishlisted(user):
    return set(db.session.scalars(select(Wishlist.product_id).where(Wishlist.user_id == user.id)))


@pytest.mark.parametrize(("method", "path"), [("get", "/wishlist"), ("post", "/wishlist/1")])
def test_signed_out_visitors_are_sent_to_login(client, brand, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]


def test_htmx_toggle_answers_the_heart_alone(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    response = client.post(f"/wishlist/{reward.id}", data={"next": "/rewards"}, headers=HTMX)
    heart = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in heart
    assert heart.lstrip().startswith('<form class="heart-form"')
    assert f'hx-post="/wishlist/{reward.id}"' in heart and 'hx-target="this"' in heart
    assert 'hx-swap="outerHTML"' in heart and 'aria-pressed="true"' in heart
    assert "Remove from wishlist" in heart and 'name="next" value="/rewards"' in heart
    assert _wishlisted(member) == {reward.id}
    heart = client.post(f"/wishlist/{reward.id}", headers=HTMX).get_data(as_text=True)
    assert 'aria-pressed="false"' in heart and "Add to wishlist" in heart
    assert _wishlisted(member) == set()


def test_plain_toggle_returns_to_the_page_it_came_from(client, make, brand, member):
    reward = make.product(brand, points_cost=1500)
    response = client.post(f"/wishlist/{reward.id}", data={"next": f"/rewards/{reward.id}"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/rewards/{reward.id}"
    assert _wishlisted(member) == {reward.id}


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", ""])
def test_plain_toggle_never_returns_off_site(client, make, brand, member, next_url):
    reward = make.product(brand, points_cost=1500)
    response = client.post(f"/wishlist/{reward.id}", data={"next": next_url})
    assert response.status_code == 303 and response.headers["Location"] == "/wishlist"


def test_another_brands_product_is_not_found(client, make, brand, member):
    other = make.product(make.brand(), points_cost=100)
    assert client.post(f"/wishlist/{other.id}").status_code == 404
    assert client.post(f"/wishlist/{other.id}", headers=HTMX).status_code == 404
    assert client.post("/wishlist/999999").status_code == 404
    assert _wishlisted(member) == set()


def test_wishlist_page_lists_products_with_set_as_goal_for_rewards(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    cart = make.product(brand, name="Blue Dream Cart", points_award=150)
    toggle_wishlist(member.id, reward.id, brand.id)
    toggle_wishlist(member.id, cart.id, brand.id)
    page = client.get("/wishlist").get_data(as_text=True)
    assert "Tee" in page and "1,500" in page and "Blue Dream Cart" in page
    assert page.count("Set as goal") == 1
    assert f'action="/goals/wishlist/{reward.id}"' in page
    assert page.count('aria-pressed="true"') == 2


def test_hearts_on_the_rewards_pages_show_the_wishlist(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    toggle_wishlist(member.id, reward.id, brand.id)
    for path in ("/rewards", f"/rewards/{reward.id}"):
        page = client.get(path).get_data(as_text=True)
        assert 'aria-label="Remove from wishlist: Tee"' in page
        assert f'name="next" value="{path}"' in page


def test_empty_wishlist_says_how_to_fill_it(client, brand, member):
    assert "Nothing here yet." in client.get("/wishlist").get_data(as_text=True)


def test_a_heart_that_unlocks_an_achievement_updates_the_balance(client, make, brand, member):
    create_achievement(
        brand_id=brand.id,
        achievement_key="first-heart",
        name="First Heart",
        achievement_type="wishlist_items",
        criteria={"metric": "wishlist_items", "operator": ">=", "value": 1},
        rewards={"points": 50},
    )
    first, second = (make.product(brand, points_cost=1500) for _ in range(2))
    response = client.post(f"/wishlist/{first.id}", headers=HTMX)
    trigger = json.loads(response.headers["HX-Trigger"])["pointsChanged"]
    assert trigger["balance"] == 350
    response = client.post(f"/wishlist/{second.id}", headers=HTMX)
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
