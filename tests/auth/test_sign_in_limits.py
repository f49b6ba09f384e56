"""Repeated failed sign-ins are slowed down, per email and per IP, without revealing accounts."""

import html

import pytest

from webapp.loyalty.sign_in_limits import FAILED_PER_EMAIL

pytestmark = pytest.mark.sqlite_ok


def text(response):
    return html.unescape(response.get_data(as_text=True))


def test_an_email_is_locked_after_too_many_failures_even_with_the_right_password(
    client, auth, make
):
    member = make.user()
    for _ in range(FAILED_PER_EMAIL.amount):
        response = auth.login(member.email, "wrong password")
        assert response.status_code == 200
        assert "don't match an account" in text(response)
    locked = auth.login(member.email)
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in text(locked)
    assert "points-balance" not in client.get("/").get_data(as_text=True)


def test_other_emails_still_sign_in(client, auth, make):
    member, other = make.user(), make.user()
    for _ in range(FAILED_PER_EMAIL.amount):
        auth.login(member.email, "wrong password")
    assert auth.login(other.email).status_code == 303


def test_unknown_emails_are_counted_the_same_way(auth):
    for _ in range(FAILED_PER_EMAIL.amount):
        assert auth.login("nobody@example.com", "whatever").status_code == 200
    assert auth.login("nobody@example.com", "whatever").status_code == 429
