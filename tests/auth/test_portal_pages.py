"""The age gate, the profile page, the tab bar and the PWA files."""

import json

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, User

pytestmark = pytest.mark.sqlite_ok


def test_age_gate_stops_signed_out_visitors(client, brand, age_gate):
    response = client.get("/rewards?sort=new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/age-gate?next=/rewards?sort%3Dnew"
    page = client.get("/age-gate").get_data(as_text=True)
    assert "Are you 21 or older?" in page


def test_age_gate_uses_the_brand_minimum(client, make, age_gate):
    make.brand(settings={"min_age": 19})
    assert "Are you 19 or older?" in client.get("/age-gate").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/webhooks/customerio",
        "/manifest.webmanifest",
        "/sw.js",
        "/offline",
        "/static/css/app.css",
        "/age-gate",
    ],
)
def test_age_gate_is_never_in_front_of_machine_paths(client, brand, age_gate, path):
    response = client.get(path)
    assert "/age-gate?" not in response.headers.get("Location", "")


def test_confirming_returns_to_the_page_and_is_remembered(client, brand, age_gate):
    response = client.post("/age-gate", data={"next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get_cookie("age_confirmed").value == "1"
    assert client.get("/login").status_code == 200


def test_confirming_never_redirects_off_site(client, brand, age_gate):
    response = client.post("/age-gate", data={"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_signed_in_members_skip_the_gate(client, brand, make, auth, age_gate):
    make.user(email="sam@example.com")
    client.post("/age-gate", data={"next": "/login"})
    assert auth.login("sam@example.com").status_code == 303
    client.delete_cookie("age_confirmed")
    assert client.get("/").status_code == 200


def test_profile_needs_sign_in(client, brand):
    response = client.get("/profile")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_profile_edit(client, brand, make, auth):
    make.user(email="sam@example.com", first_name="Sam")
    auth.login("sam@example.com")
    page = client.get("/profile").get_data(as_text=True)
    assert 'value="Sam"' in page and 'name="cf_favorite_form"' in page
    response = client.post(
        "/profile",
        data={"first_name": "Samira", "cf_favorite_form": "Edible", "marketing_consent": "y"},
    )
    assert response.status_code == 303
    user = db.session.scalar(select(User).filter_by(email="sam@example.com"))
    db.session.refresh(user)
    assert (user.first_name, user.marketing_consent) == ("Samira", True)
    assert '<option selected value="Edible">' in client.get("/profile").get_data(as_text=True)


def test_profile_edit_errors_are_shown(client, brand, make, auth):
    make.user(email="sam@example.com")
    auth.login("sam@example.com")
    page = client.post("/profile", data={"first_name": "Sam", "cf_favorite_form": "x"})
    assert 'role="alert"' in page.get_data(as_text=True)


def test_data_download(client, brand, make, auth):
    make.user(email="sam@example.com")
    auth.login("sam@example.com")
    response = client.get("/profile/export")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data())
    assert data["profile"]["email"] == "sam@example.com"
    assert data["points_ledger"][0]["action_type"] == "user_session_started"


def test_delete_needs_the_word(client, brand, make, auth):
    make.user(email="sam@example.com")
    auth.login("sam@example.com")
    page = client.post("/profile/delete", data={"confirm": "delete please"})
    assert "type DELETE in capitals" in page.get_data(as_text=True)
    assert db.session.scalar(select(User.deleted_at)) is None
    response = client.post("/profile/delete", data={"confirm": "DELETE"})
    assert response.status_code == 303
    assert "Your account is deleted" in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(User.email)).startswith("deleted-")
    assert db.session.scalar(select(CustomerIoEventQueue).filter_by(event_type="delete"))
    assert auth.login("sam@example.com").status_code == 200


def test_tab_bar_links(client, brand, make, auth):
    make.user(email="sam@example.com")
    auth.login("sam@example.com")
    page = client.get("/profile").get_data(as_text=True)
    for href in ("/", "/scan", "/rewards", "/achievements", "/profile"):
        assert f'href="{href}"' in page
    assert 'href="/profile" aria-current="page"' in page


def test_service_worker_leaves_posts_and_pages_uncached(client, brand):
    script = client.get("/sw.js").get_data(as_text=True)
    assert 'if (request.method !== "GET") return;' in script
    navigate = script.split("async function networkOnlyPage")[1].split("\n}\n")[0]
    assert "cache.put" not in navigate and "OFFLINE_URL" in navigate
