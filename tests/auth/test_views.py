"""The sign-in area over HTTP: sign-up, sign in/out, reset links, referral links."""

import re

import pytest
from sqlalchemy import func, select

from tests.auth.conftest import years_ago
from tests.factories import confirmation_path
from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, User, UserActionLog

pytestmark = pytest.mark.sqlite_ok

FAILED_LOGIN = "That email and password don&#39;t match an account."


def form_data(**changes):
    data = {
        "email": "nia@example.com",
        "password": "long enough pass",
        "first_name": "Nia",
        "date_of_birth": years_ago(30).isoformat(),
        "cf_favorite_form": "Flower",
        "accept_terms": "y",
    }
    data.update(changes)
    return data


def test_register_page_shows_every_field_unticked(client, brand):
    page = client.get("/register").get_data(as_text=True)
    for name in ("email", "password", "first_name", "last_name", "phone_number"):
        assert f'name="{name}"' in page
    assert 'name="date_of_birth"' in page and 'name="cf_favorite_form"' in page
    assert 'name="referral_code"' in page
    consent = re.search(r'<input[^>]*name="marketing_consent"[^>]*>', page).group(0)
    assert 'type="checkbox"' in consent and "checked" not in consent


def test_register_sends_a_link_that_confirms_and_signs_in(client, brand):
    response = client.post("/register", data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"] == "/register/check-email"
    page = client.get("/register/check-email").get_data(as_text=True)
    assert "Check your email" in page and "nia@example.com" in page
    assert client.get("/").status_code == 200 and 'id="points-balance"' not in client.get("/").text
    path = confirmation_path("nia@example.com")
    assert "Confirm and sign in" in client.get(path).get_data(as_text=True)
    confirmed = client.post(path)
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert 'id="points-balance" data-value="0"' in page
    assert 'id="rank-name"' in page
    user = db.session.scalar(select(User).filter_by(email="nia@example.com"))
    assert user.marketing_consent is False and user.is_guest is False
    started = select(UserActionLog).filter_by(action_type="user_session_started")
    assert db.session.scalar(started).user_id == user.id
    assert client.post(path).status_code == 400  # a link works once


def test_a_confirmation_link_opened_by_a_mail_scanner_confirms_nothing(client, brand):
    client.post("/register", data=form_data())
    client.get(confirmation_path("nia@example.com"))
    assert db.session.scalar(select(User.is_guest).filter_by(email="nia@example.com")) is True


def test_signing_in_before_confirming_sends_a_new_link(client, brand, auth):
    client.post("/register", data=form_data())
    page = auth.login("nia@example.com", "long enough pass").get_data(as_text=True)
    assert "confirm your email first" in page
    assert 'id="points-balance"' not in client.get("/").get_data(as_text=True)
    sent = select(func.count(CustomerIoEventQueue.id)).filter_by(
        event_name="email_confirmation_requested"
    )
    assert db.session.scalar(sent) == 2
    assert FAILED_LOGIN in auth.login("nia@example.com", "wrong password!!").text


def check_email_answer(client, email):
    """Status, redirect and the page a sign-up with `email` answers (the email blanked)."""
    response = client.post("/register", data=form_data(email=email))
    page = client.get("/register/check-email").get_data(as_text=True)
    page = re.sub(r'nonce="[^"]+"', "", page.replace(email.lower(), "EMAIL"))
    return response.status_code, response.headers.get("Location"), page


def test_sign_up_answers_alike_whoever_owns_the_email(client, brand, make):
    """Register never tells whether an email has an account (here, elsewhere, as a guest)."""
    make.user(email="member@example.com", brands=[brand])
    make.user(email="elsewhere@example.com", brands=[make.brand()])
    make.user(email="guest@example.com", brands=[brand], is_guest=True)
    answers = {
        email: check_email_answer(client, email)
        for email in ("Member@example.com", "elsewhere@example.com", "guest@example.com")
    }
    answers["nobody"] = check_email_answer(client, "nobody@example.com")
    assert len(set(answers.values())) == 1, answers.keys()
    status, location, page = answers["nobody"]
    assert (status, location) == (303, "/register/check-email")
    assert "Check your email" in page and "already exists" not in page
    assert db.session.scalar(select(func.count(User.id))) == 4


def test_referral_link_prefills_the_code(client, brand):
    response = client.get("/r/sam-7kq4")
    assert response.status_code == 302 and response.headers["Location"] == "/register"
    cookie = client.get_cookie("referral_code")
    assert cookie.value == "SAM-7KQ4"
    assert 'value="SAM-7KQ4"' in client.get("/register").get_data(as_text=True)


def test_referral_link_ignores_junk(client, brand):
    client.get("/r/%3Cscript%3E")
    assert client.get_cookie("referral_code") is None


def test_login_logout_log_sessions(client, brand, make, auth):
    make.user(email="sam@example.com")
    assert auth.login("sam@example.com").status_code == 303
    assert auth.logout().status_code == 303
    kinds = db.session.scalars(select(UserActionLog.action_type).order_by(UserActionLog.id))
    assert list(kinds) == ["user_session_started", "user_session_ended"]


def test_login_failures_look_the_same(client, brand, make, auth):
    make.user(email="sam@example.com")
    wrong = auth.login("sam@example.com", "wrong password").get_data(as_text=True)
    unknown = auth.login("nobody@example.com", "wrong password").get_data(as_text=True)
    assert FAILED_LOGIN in wrong and FAILED_LOGIN in unknown


def test_login_never_redirects_off_site(client, brand, make):
    make.user(email="sam@example.com")
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "sam@example.com", "password": "correct horse battery"},
    )
    assert response.headers["Location"] == "/"


def test_forgot_password_answers_the_same_for_everyone(client, brand, make):
    make.user(email="sam@example.com")
    known = client.post("/password/forgot", data={"email": "sam@example.com"})
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = client.post("/password/forgot", data={"email": "who@example.com"})
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 303
    assert "we&#39;ve sent a link" in known_page and "we&#39;ve sent a link" in unknown_page
    assert len(list(db.session.scalars(select(CustomerIoEventQueue)))) == 1


def test_reset_link_page_flow(client, brand, make, auth):
    make.user(email="sam@example.com")
    client.post("/password/forgot", data={"email": "sam@example.com"})
    event = db.session.scalar(select(CustomerIoEventQueue))
    path = event.event_data["event_context"]["link"].removeprefix("http://rewards.test")
    assert client.get(path).status_code == 200
    assert "at least 10" in client.post(path, data={"password": "short"}).get_data(True)
    response = client.post(path, data={"password": "a new password"})
    assert response.headers["Location"] == "/login"
    assert auth.login("sam@example.com", "a new password").status_code == 303
    used = client.get(path)
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)


def test_bad_tokens_get_a_friendly_page(client, brand):
    for path in ("/password/reset/garbage", "/activate/garbage"):
        response = client.get(path)
        assert response.status_code == 400
        assert "isn&#39;t valid" in response.get_data(as_text=True)


def test_guest_activation_page_signs_in(client, brand):
    from webapp.loyalty.accounts import claim_as_guest

    claim_as_guest("guest@example.com", brand.id)
    event = db.session.scalar(select(CustomerIoEventQueue))
    path = event.event_data["event_context"]["link"].removeprefix("http://rewards.test")
    response = client.post(path, data={"password": "guest password"})
    assert response.status_code == 303
    # A guest claimed with an email only: the program terms are accepted before the first page.
    first = client.get("/")
    assert first.status_code == 303 and first.headers["Location"].startswith("/terms/accept")
    client.post(first.headers["Location"], data={"accept_terms": "y"})
    assert 'id="points-balance"' in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(User.is_guest)) is False
