"""The brand font: a short list of bundled fonts set in brand settings, preloaded by pages."""

import re

import pytest

from tests.admin.conftest import HOST_A, sign_in
from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.fonts import brand_font
from webapp.models import Brand

pytestmark = pytest.mark.sqlite_ok


def settings_fields(client):
    page = client.get("/admin/settings", base_url=HOST_A).get_data(as_text=True)
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    for name in ("csrf_token", "remove_logo"):
        fields.pop(name, None)
    return fields


def test_owner_picks_a_bundled_font_and_pages_use_it(app, world):
    client = sign_in(app.test_client(), world.emails["owner"])
    response = client.post("/admin/settings", data={**settings_fields(client), "font": "lora"},
                           base_url=HOST_A)  # fmt: skip
    assert response.status_code == 303
    with app.test_request_context():
        brand = db.session.get(Brand, world.brand_a.id)
        stack, preload = brand_font(settings_of(brand).font)
    assert stack.startswith('"Lora", Georgia') and preload.endswith("lora-latin-400-normal.woff2")
    assert app.test_client().get(preload).status_code == 200
    bad = client.post("/admin/settings", data={**settings_fields(client), "font": "comic"},
                      base_url=HOST_A)  # fmt: skip
    assert bad.status_code == 200 and "Not a valid choice" in bad.get_data(as_text=True)


def test_the_device_font_needs_no_download(app, make):
    with app.test_request_context():
        assert brand_font(settings_of(make.brand(settings={"font": "system"})).font)[1] is None
        assert brand_font(settings_of(make.brand()).font)[0].startswith('"Inter"')  # the default


def test_pages_carry_only_their_fonts_faces_in_their_own_style_block(app, make):
    """No stylesheet to wait for: the brand font's @font-face rules ride in the nonced style."""
    make.brand(settings={"font": "lora"})
    page = app.test_client().get("/login").get_data(as_text=True)
    style = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", page, re.S).group(1)
    faces = re.findall(r'@font-face \{ font-family: "([^"]+)"; [^}]*font-weight: (\d+)', style)
    assert faces == [("Lora", "400"), ("Lora", "700")]
    assert "fonts.css" not in page
    for url in re.findall(r'src: url\("([^"]+)"\)', style):
        assert app.test_client().get(url).status_code == 200


def test_static_text_files_are_compressed_for_browsers_that_ask(app):
    client = app.test_client()
    plain = client.get("/static/css/app.css")
    packed = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert int(packed.headers["Content-Length"]) < len(plain.get_data()) / 2
    image = client.get(
        f"/static/{'icons/apple-touch-icon.png'}", headers={"Accept-Encoding": "gzip"}
    )
    assert image.status_code == 200 and image.headers.get("Content-Encoding") is None
