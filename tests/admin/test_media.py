"""Product photos and brand logos: Pillow's checks (type, size, dimensions), the resized WebP
widths and their srcset, the long-cached /media/ files, and the admin forms that upload them."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from tests.admin.conftest import HOST_A, sign_in
from tests.admin.test_screens import PRODUCT
from webapp.extensions import db
from webapp.media import PRODUCT_PHOTO, WIDTHS, MediaError, srcset, store_image
from webapp.models import Brand, Product

pytestmark = pytest.mark.sqlite_ok


def picture(width=400, height=400, kind="PNG", colour=(31, 95, 63)):
    """Bytes of a plain picture in format `kind`."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, kind)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Choose a picture"),
        (b"just some text, not a picture", "not a picture we can read"),
        (picture(kind="GIF"), "GIF pictures are not accepted"),
        (picture()[:200], "damaged or incomplete"),
        (picture(100, 100), "needs at least 320x320 px"),
        (picture(8001, 320), "largest allowed is 8000 px"),
    ],
    ids=["empty", "text", "gif", "truncated", "small", "huge"],
)
def test_unusable_uploads_say_why(app, data, message):
    with app.test_request_context(), pytest.raises(MediaError, match=message):
        store_image(data, 1, PRODUCT_PHOTO)


def test_a_file_over_the_byte_limit_is_refused(app):
    with app.test_request_context():
        app.config["MEDIA_MAX_BYTES"], limit = 1024, app.config["MEDIA_MAX_BYTES"]
        try:
            with pytest.raises(MediaError, match="the limit is"):
                store_image(picture(600, 600, "JPEG") + b"\0" * 2048, 1, PRODUCT_PHOTO)
        finally:
            app.config["MEDIA_MAX_BYTES"] = limit


def test_a_photo_is_stored_square_at_every_width_and_cached_for_a_year(app):
    with app.test_request_context():
        url = store_image(picture(900, 500, "JPEG"), 7, PRODUCT_PHOTO)
    assert re.fullmatch(r"/media/brand-7/products/[0-9a-f]{20}-640\.webp", url)
    client = app.test_client()
    for width in WIDTHS:
        response = client.get(url.replace("-640.webp", f"-{width}.webp"))
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert Image.open(io.BytesIO(response.data)).size == (width, width)
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert srcset(url) == ", ".join(
        url.replace("-640.webp", f"-{width}.webp {width}w") for width in WIDTHS
    )
    assert srcset("https://example.com/a.png") == ""


def test_media_serves_only_stored_image_names(app):
    client = app.test_client()
    assert client.get("/media/../config.py").status_code == 404
    assert client.get("/media/brand-7/products/nothing-640.webp").status_code == 404
    assert client.get("/media/notes.txt").status_code == 404


def test_staff_upload_a_product_photo_and_a_bad_file_changes_nothing(app, world):
    client = app.test_client()
    sign_in(client, world.emails["manager"])
    form = dict(PRODUCT, sku="PHOTO-1", photo=(io.BytesIO(picture(kind="JPEG")), "pack.jpg"))
    response = client.post("/admin/products/new", data=form, base_url=HOST_A)
    assert response.status_code == 303
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.sku == "PHOTO-1"))
        first = product.image_url
        assert first.startswith(f"/media/brand-{world.brand_a.id}/products/")
    bad = dict(PRODUCT, sku="PHOTO-1", name="Renamed", photo=(io.BytesIO(b"nope"), "x.png"))
    page = client.post(f"/admin/products/{product.id}/edit", data=bad, base_url=HOST_A)
    assert page.status_code == 200
    assert "not a picture we can read" in page.get_data(as_text=True)
    with app.app_context():
        product = db.session.get(Product, product.id)
        assert (product.name, product.image_url) == ("Harbor Haze", first)
    removed = dict(PRODUCT, sku="PHOTO-1", remove_photo="y")
    client.post(f"/admin/products/{product.id}/edit", data=removed, base_url=HOST_A)
    with app.app_context():
        assert db.session.get(Product, product.id).image_url is None


def test_owner_uploads_a_logo(app, world):
    client = app.test_client()
    sign_in(client, world.emails["owner"])
    page = client.get("/admin/settings", base_url=HOST_A).get_data(as_text=True)
    fields = dict(re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    fields.pop("csrf_token", None)
    fields.pop("remove_logo", None)
    fields["logo"] = (io.BytesIO(picture(600, 150)), "logo.png")
    response = client.post("/admin/settings", data=fields, base_url=HOST_A)
    assert response.status_code == 303
    with app.app_context():
        logo = db.session.get(Brand, world.brand_a.id).settings["logo"]
    assert logo.startswith(f"/media/brand-{world.brand_a.id}/logos/")
    page = client.get("/admin/settings", base_url=HOST_A).get_data(as_text=True)
    assert 'id="current-logo"' in page and logo.replace("-640", "-320") in page
    fields["logo"] = (io.BytesIO(picture(60, 20)), "tiny.png")
    page = client.post("/admin/settings", data=fields, base_url=HOST_A).get_data(as_text=True)
    assert "needs at least 120x32 px" in page
    with app.app_context():
        assert db.session.get(Brand, world.brand_a.id).settings["logo"] == logo
