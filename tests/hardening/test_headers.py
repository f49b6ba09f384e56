"""Security headers, and templates a strict CSP can run: no inline scripts or handlers."""

import re
from pathlib import Path

import pytest

from tests import factories
from tests.admin.conftest import HOST_A, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_CODE = re.compile(r"\son[a-z]+=|hx-on|<script(?![^>]*\bsrc=)|javascript:", re.I)


def directives(response):
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_pages_carry_a_strict_policy(client, world):
    response = client.get("/login", base_url=HOST_A)
    policy = directives(response)
    assert (
        policy["script-src"] == "'self'"
        and "unsafe" not in response.headers["Content-Security-Policy"]
    )
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_the_theme_style_block_carries_the_responses_nonce(client, world):
    response = client.get("/login", base_url=HOST_A)
    nonce = directives(response)["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style nonce="{nonce}">' in response.get_data(as_text=True)
    assert nonce not in client.get("/login", base_url=HOST_A).headers["Content-Security-Policy"]


def test_hsts_when_the_public_url_is_https(app, client, world):
    app.config["PUBLIC_URL"] = "https://rewards.test"
    try:
        response = client.get("/login", base_url=HOST_A)
    finally:
        app.config["PUBLIC_URL"] = "http://rewards.test"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("path", ["/", "/profile", "/history", "/admin/"])
def test_personal_pages_are_never_stored(client, world, path):
    factories.member(world.users["owner"], world.brand_a)  # the member pages are A's
    sign_in(client, world.emails["owner"])
    response = client.get(path, base_url=HOST_A)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client, world):
    sign_in(client, world.emails["owner"])
    response = client.get("/static/css/app.css", base_url=HOST_A)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_no_template_has_inline_scripts_or_handlers():
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert offenders == []
