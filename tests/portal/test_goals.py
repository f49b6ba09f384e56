"""Goals pages: from a wishlist reward, a custom number, progress, cancelling, messages."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.goals import set_custom_goal
from webapp.loyalty.wishlist import toggle_wishlist
from webapp.models import UserGoal

pytestmark = pytest.mark.sqlite_ok

HTMX = {"HX-Request": "true"}


@pytest.fixture
def brand(make):
    """The request's brand (the first one)."""
    return make.brand()


@pytest.fixture
def member(make, auth):
    """A signed-in member with 600 points."""
    user = make.user(email="sam@example.com", points_balance=600, lifetime_points=600)
    auth.login("sam@example.com")
    return user


def _goals(user):
    return db.session.scalars(
        select(UserGoal).where(UserGoal.user_id == user.id).order_by(UserGoal.id)
    ).all()


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/goals"), ("post", "/goals"), ("post", "/goals/wishlist/1")],
)
def test_signed_out_visitors_are_sent_to_login(client, brand, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]


def test_set_a_wishlisted_reward_as_the_goal(client, make, brand, member):
    reward = make.product(brand, name="Tee", points_cost=1500)
    toggle_wishlist(member.id, reward.id, brand.id)
    response = client.post(f"/goals/wishlist/{reward.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/goals"
    page = client.get("/goals").get_data(as_text=True)
    assert "New goal: Tee." in page
    assert '<progress value="600" max="1500">' in page and "600 / 1,500 points" in page
    assert f'href="/rewards/{reward.id}"' in page
    [goal] = _goals(member)
    assert (goal.product_id, goal.target_points) == (reward.id, 1500)


def test_a_reward_must_be_on_the_wishlist_first(client, make, brand, member):
    reward = make.product(brand, points_cost=1500)
    response = client.post(f"/goals/wishlist/{reward.id}")
    assert response.status_code == 303 and response.headers["Location"] == "/wishlist"
    page = client.get("/wishlist").get_data(as_text=True)
    assert 'role="alert">Add the reward to your wishlist first.' in page
    assert _goals(member) == []


def test_another_brands_reward_cannot_be_a_goal(client, make, brand, member):
    other = make.product(make.brand(), points_cost=100)
    client.post(f"/goals/wishlist/{other.id}")
    assert "That product is not available." in client.get("/wishlist").get_data(as_text=True)
    assert _goals(member) == []


def test_custom_goal_plain_post_redirects_to_the_goals_page(client, brand, member):
    response = client.post("/goals", data={"name": "Big haul", "target_points": "2000"})
    assert response.status_code == 303 and response.headers["Location"] == "/goals"
    page = client.get("/goals").get_data(as_text=True)
    assert "Big haul" in page and "600 / 2,000 points" in page


def test_custom_goal_from_htmx_answers_the_panel(client, brand, member):
    response = client.post(
        "/goals", data={"name": "Small win", "target_points": "500"}, headers=HTMX
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith('<div id="goals-panel"')
    assert "New goal: Small win." in page and "Reached!" in page
    assert 'value="Small win"' not in page and 'id="name"' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Haul", "target_points": "lots"}, "Enter the goal as a whole number of points."),
        ({"name": "Haul", "target_points": "0"}, "Choose a goal between 1 and 10,000,000 points."),
        ({"name": " ", "target_points": "100"}, "Give your goal a name."),
        ({}, "Enter the goal as a whole number of points."),
    ],
)
def test_bad_custom_goals_are_explained(client, brand, member, data, message):
    for headers in ({}, HTMX):
        response = client.post("/goals", data=data, headers=headers)
        assert response.status_code == 422
        assert f'role="alert">{message}' in response.get_data(as_text=True)
    assert _goals(member) == []


def test_cancel_a_goal(client, brand, member):
    goal = set_custom_goal(member.id, 1000, "Haul", brand.id)
    response = client.post(f"/goals/{goal.id}/cancel", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Goal cancelled." in page and "Haul" not in page
    response = client.post(f"/goals/{goal.id}/cancel")
    assert response.status_code == 422
    assert "That goal is no longer active." in response.get_data(as_text=True)


def test_another_members_goal_cannot_be_cancelled(client, make, brand, member):
    other = make.user()
    goal = set_custom_goal(other.id, 1000, "Theirs", brand.id)
    assert client.post(f"/goals/{goal.id}/cancel").status_code == 422
    assert db.session.get(UserGoal, goal.id).is_active


def test_no_goals_yet(client, brand, member):
    assert "No goals yet." in client.get("/goals").get_data(as_text=True)
