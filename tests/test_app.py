"""The app shell: health check, pages, error pages, PWA files, production settings."""

import html
import re

import pytest

from tests.conftest import app_config
from webapp import create_app
from webapp.config import ConfigError, load_config

pytestmark = pytest.mark.sqlite_ok


def test_landing_page_names_the_brand(client, make):
    make.brand(name="Harbor Test Co", settings={"theme": {"primary": "#123456"}})
    response = client.get("/")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "Harbor Test Co" in page
    assert "--brand-primary: #123456" in page


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "find that page" in html.unescape(response.get_data(as_text=True))


def test_machines_get_json_errors(client):
    response = client.get("/webhooks/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_wrong_method_is_405(client):
    response = client.get("/logout", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert "can't be used that way" in html.unescape(response.get_data(as_text=True))


def test_too_large_body_is_413(app, client):
    response = client.post(
        "/login",
        data="x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
        content_type="text/plain",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413
    assert "too large" in html.unescape(response.get_data(as_text=True))


def test_expired_form_gets_a_friendly_page(database_url):
    csrf_app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True))
    client = csrf_app.test_client()
    response = client.post(
        "/login", data={"email": "a@b.c", "password": "x"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 400
    assert "form expired" in html.unescape(response.get_data(as_text=True))


def test_form_with_token_passes_csrf(database_url):
    csrf_app = create_app(app_config(database_url, WTF_CSRF_ENABLED=True))
    client = csrf_app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"email": "a@b.c", "password": "x", "csrf_token": token})
    assert response.status_code == 200
    assert "don't match an account" in html.unescape(response.get_data(as_text=True))


def test_manifest_is_installable(client, make):
    make.brand(name="Leafy", settings={"theme": {"primary": "#224422"}})
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["display"] == "standalone"
    assert body["theme_color"] == "#224422"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in body["icons"])
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "offline" in html.unescape(response.get_data(as_text=True))


def test_production_refuses_to_start_without_secrets(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, {"APP_ENV": "production"})
    assert "SECRET_KEY" in str(error.value) and "ENCRYPTION_KEY" in str(error.value)


def test_development_generates_secrets_once(tmp_path):
    first = load_config(tmp_path, {})
    second = load_config(tmp_path, {})
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["ENCRYPTION_KEY"] == second["ENCRYPTION_KEY"]
    assert first["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert first["REDIS_URL"] is None


def test_eu_region_picks_the_eu_track_host(tmp_path):
    config = load_config(tmp_path, {"CUSTOMERIO_REGION": "eu"})
    assert config["CUSTOMERIO_TRACK_URL"] == "https://track-eu.customer.io"
