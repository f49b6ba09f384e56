"""Input caps: lengths are checked before formats, and bodies are capped per kind of route."""

import email_validator
import pytest
from sqlalchemy import select

from tests.admin.conftest import HOST_A, sign_in
from webapp.loyalty import accounts
from webapp.models import ScanCode

EMAIL_FORMS = ["/login", "/password/forgot", "/register", "GUEST", "/admin/staff"]


@pytest.fixture
def email_checks(monkeypatch):
    """The lengths of every value handed to an email parser during the test."""
    lengths = []
    real = email_validator.validate_email

    def spy(value, *args, **kwargs):
        lengths.append(len(value))
        return real(value, *args, **kwargs)

    monkeypatch.setattr(email_validator, "validate_email", spy)
    monkeypatch.setattr(accounts, "validate_email", spy)
    return lengths


def form_path(client, world, path):
    if path == "GUEST":
        code = select(ScanCode.code).where(ScanCode.batch_id == world.ids["batch_id"]).limit(1)
        return f"/s/{accounts.db.session.scalar(code)}/guest"
    if path.startswith("/admin/"):
        sign_in(client, world.emails["owner"])
    return path


@pytest.mark.parametrize("path", EMAIL_FORMS)
def test_a_megabyte_email_is_refused_before_any_parsing(client, world, email_checks, path):
    url = form_path(client, world, path)
    email_checks.clear()
    response = client.post(url, data={"email": "a" * 1_000_000 + "@x.test"}, base_url=HOST_A)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert email_checks == []


@pytest.mark.parametrize("path", EMAIL_FORMS)
def test_a_long_email_gets_a_message_without_parsing(client, world, email_checks, path):
    url = form_path(client, world, path)
    data = {"email": "a" * 1_500 + "@x.test", "password": "x" * 12, "first_name": "Al"}
    response = client.post(url, data=data, base_url=HOST_A)
    assert response.status_code in (200, 422)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert all(length <= 255 for length in email_checks)


def test_member_bodies_are_capped_lower_than_staff_bodies(client, world):
    chunks = {f"f{n}": "x" * 1_500 for n in range(60)}  # 90 KB in short values
    assert client.post("/login", data=chunks, base_url=HOST_A).status_code == 413
    sign_in(client, world.emails["owner"])
    response = client.post("/admin/staff", data=chunks, base_url=HOST_A)
    assert response.status_code == 200


def test_long_query_values_are_refused(client, world):
    assert client.get("/login?next=" + "x" * 5_000, base_url=HOST_A).status_code == 413
