"""Sessions end: sign-out, a new password and guest activation make earlier cookies stale."""

import pytest
from sqlalchemy import select

from tests import factories
from tests.hardening.isolation import in_fresh_thread
from webapp.extensions import db
from webapp.loyalty import account_links
from webapp.loyalty.accounts import claim_as_guest
from webapp.models import CustomerIoEventQueue, User

pytestmark = pytest.mark.sqlite_ok

EMAIL = "sam@example.com"


@pytest.fixture
def member(app, make):
    brand = make.brand()
    return make.user(email=EMAIL, signup_brand_id=brand.id).id


def signed_in_client(app, email=EMAIL, password=factories.DEFAULT_PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303
    return client


def captured(app, client, names=("session", "remember_token")):
    """A second browser holding copies of `client`'s cookies named `names`."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def opens_profile(client):
    return client.get("/profile").status_code == 200


@pytest.mark.parametrize("names", [("session",), ("remember_token",)])
def test_logout_ends_captured_cookies(app, member, names):
    def work():
        client = signed_in_client(app)
        thief = captured(app, client, names)
        assert opens_profile(thief)
        client.post("/logout")
        assert not opens_profile(thief)

    in_fresh_thread(work)


def reset_link_path(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return f"/password/reset/{account_links.make_token(user, account_links.RESET_SALT)}"


@pytest.mark.parametrize("names", [("session",), ("remember_token",)])
def test_password_reset_ends_every_earlier_session(app, member, names):
    def work():
        thief = captured(app, signed_in_client(app), names)
        assert opens_profile(thief)
        reset = app.test_client().post(
            reset_link_path(app, member), data={"password": "a new password!"}
        )
        assert reset.status_code == 303
        assert not opens_profile(thief)
        assert opens_profile(signed_in_client(app, password="a new password!"))

    in_fresh_thread(work)


def test_sessions_of_other_accounts_survive_a_logout(app, member, make):
    make.user(email="kim@example.com")

    def work():
        kim = signed_in_client(app, "kim@example.com")
        signed_in_client(app).post("/logout")
        assert opens_profile(kim)

    in_fresh_thread(work)


def test_guest_activation_ends_sessions_made_before_it(app, make):
    brand = make.brand()
    guest = claim_as_guest("guest@example.com", brand.id)
    make.accept_current_terms(guest, brand)  # so the profile opens without the terms step
    db.session.commit()
    identity = guest.get_id()
    event = db.session.scalar(select(CustomerIoEventQueue))
    path = event.event_data["event_context"]["link"].removeprefix("http://rewards.test")

    def work():
        earlier = app.test_client()
        with earlier.session_transaction() as session:
            session["_user_id"] = identity
            session["_fresh"] = True
        assert opens_profile(earlier)
        owner = app.test_client()
        assert owner.post(path, data={"password": "guest password"}).status_code == 303
        assert opens_profile(owner)
        assert not opens_profile(earlier)

    in_fresh_thread(work)
    db.session.expire_all()
    db.session.commit()  # end this session's snapshot: SQLite reads one per transaction
    assert db.session.get(User, guest.id, populate_existing=True).is_guest is False


def test_unversioned_or_garbled_identities_are_signed_out(app, member):
    def work():
        for identity in (str(member), f"{member}:x", "9" * 300, f"{member}:99"):
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = identity
            assert not opens_profile(client), identity

    in_fresh_thread(work)


def test_remember_cookie_is_same_site_and_http_only(app, member):
    def work():
        response = app.test_client().post(
            "/login", data={"email": EMAIL, "password": factories.DEFAULT_PASSWORD}
        )
        remember = [c for c in response.headers.getlist("Set-Cookie") if "remember_token" in c]
        assert remember and "SameSite=Lax" in remember[0] and "HttpOnly" in remember[0]

    in_fresh_thread(work)
