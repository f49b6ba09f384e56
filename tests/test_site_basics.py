"""What every site needs: robots.txt outside the age gate, compressed text responses, a meta
description, and an installable manifest with an id, a description and screenshots."""

import gzip
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_ok

STATIC = Path(__file__).resolve().parents[1] / "static"


@pytest.fixture
def age_gate(app):
    """The age gate on for the test (the suite turns it off)."""
    app.config["AGE_GATE"] = True
    yield
    app.config["AGE_GATE"] = False


def test_robots_txt_is_not_behind_the_age_gate(client, age_gate, make):
    make.brand()
    assert client.get("/login").status_code == 302  # the gate is on
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert body.startswith("User-agent: *") and "Disallow: /admin/" in body


def test_text_responses_are_gzipped_for_browsers_that_ask(client, make):
    make.brand()
    response = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<!doctype html>" in gzip.decompress(response.data)
    assert "Content-Encoding" not in client.get("/login").headers


def test_pages_have_a_meta_description(client, make):
    make.brand(name="Green Harbor", settings={"tagline": "Scan every pack."})
    page = client.get("/").get_data(as_text=True)
    description = '<meta name="description" content="Scan every pack. Scan the code on every'
    assert f"{description} Green Harbor pack" in page


def test_manifest_has_id_description_and_screenshots_that_exist(client, make):
    make.brand(name="Green Harbor")
    manifest = client.get("/manifest.webmanifest").get_json()
    assert manifest["id"] == "/" and "Green Harbor" in manifest["description"]
    assert len(manifest["screenshots"]) >= 2
    for shot in manifest["screenshots"]:
        assert shot["form_factor"] == "narrow" and shot["label"]
        path = STATIC / shot["src"].removeprefix("/static/")
        assert path.read_bytes().startswith(b"\x89PNG"), path
        assert client.get(shot["src"]).status_code == 200
