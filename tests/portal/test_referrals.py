"""The referrals page: link and code to share, friends' statuses, nudges once a day."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import attach_referral
from webapp.models import CustomerIoEventQueue, Referral, User
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok

HTMX = {"HX-Request": "true"}


@pytest.fixture
def brand(make):
    """The request's brand (the first one)."""
    return make.brand()


@pytest.fixture
def member(make, auth):
    """A signed-in member with a referral code."""
    user = make.user(email="sam@example.com", first_name="Sam")
    ensure_referral_code(user)
    db.session.commit()
    auth.login("sam@example.com")
    return user


def _referred(make, member, brand, first_name, status="pending"):
    friend = make.user(first_name=first_name)
    referral = attach_referral(friend.id, member.referral_code, brand.id)
    if status != "pending":
        referral.status = status
        referral.points_awarded_to_referrer = 500 if status == "converted" else None
        db.session.commit()
    return referral


def _nudges(user_id):
    return db.session.scalars(
        select(CustomerIoEventQueue).where(
            CustomerIoEventQueue.user_id == user_id,
            CustomerIoEventQueue.event_name == "referral_nudge",
        )
    ).all()


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/referrals"), ("post", "/referrals/1/nudge")]
)
def test_signed_out_visitors_are_sent_to_login(client, brand, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]


def test_page_shows_the_link_code_and_share_buttons(client, brand, member):
    page = client.get("/referrals").get_data(as_text=True)
    link = f"http://rewards.test/r/{member.referral_code}"
    assert f'value="{link}"' in page and member.referral_code in page
    assert f'hidden data-share-url="{link}"' in page
    assert f'hidden data-copy="{link}"' in page
    assert "No friends yet." in page


def test_a_member_without_a_code_gets_one(client, make, brand, auth):
    user = make.user(email="new@example.com")
    auth.login("new@example.com")
    page = client.get("/referrals").get_data(as_text=True)
    code = db.session.scalar(select(User.referral_code).where(User.id == user.id))
    assert code and f"/r/{code}" in page


def test_friends_are_listed_with_their_status(client, make, brand, member):
    _referred(make, member, brand, "Pat")
    _referred(make, member, brand, "Lee", "converted")
    _referred(make, member, brand, "Kim", "expired")
    page = client.get("/referrals").get_data(as_text=True)
    assert "Joined, hasn't scanned yet" in page and "Converted" in page
    assert "+500 points for you" in page and "The invitation expired" in page
    assert page.count(">Nudge<") == 1


def test_nudge_a_pending_friend_once_a_day(client, make, brand, member):
    referral = _referred(make, member, brand, "Pat")
    response = client.post(f"/referrals/{referral.id}/nudge", headers=HTMX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith('<div id="referral-list"')
    assert "Nudge sent." in page and "Nudged today" in page
    assert len(_nudges(referral.referee_user_id)) == 1
    response = client.post(f"/referrals/{referral.id}/nudge")
    assert response.status_code == 303 and response.headers["Location"] == "/referrals"
    page = client.get("/referrals").get_data(as_text=True)
    assert "You already nudged this friend today. Try again tomorrow." in page
    assert len(_nudges(referral.referee_user_id)) == 1


def test_nudge_again_after_a_day(client, make, brand, member):
    referral = _referred(make, member, brand, "Pat")
    referral.last_nudged_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    response = client.post(f"/referrals/{referral.id}/nudge")
    assert response.status_code == 303
    assert "Nudge sent." in client.get("/referrals").get_data(as_text=True)


def test_converted_friends_and_other_members_referrals_cannot_be_nudged(
    client, make, brand, member
):
    converted = _referred(make, member, brand, "Lee", "converted")
    response = client.post(f"/referrals/{converted.id}/nudge", headers=HTMX)
    assert response.status_code == 422
    assert "Only friends who haven&#39;t scanned yet can be nudged." in response.get_data(
        as_text=True
    )
    stranger = make.user(first_name="Ann")
    ensure_referral_code(stranger)
    db.session.commit()
    theirs = _referred(make, stranger, brand, "Bo")
    response = client.post(f"/referrals/{theirs.id}/nudge", headers=HTMX)
    assert response.status_code == 422
    assert "That referral was not found." in response.get_data(as_text=True)
    assert db.session.get(Referral, theirs.id).last_nudged_at is None
