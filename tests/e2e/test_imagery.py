"""Pictures in a real browser: the demo's drawn photos and logo, a photo a staff member
uploads (served as WebP at the width the card needs, cached for a year), and the drawn
placeholder of a reward without one."""

import io
import re
import secrets

from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import flask_command, sign_in
from tests.e2e.test_admin_journeys import staff_page


def jpeg(width=900, height=700):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 60, 140)).save(buffer, "JPEG")
    return buffer.getvalue()


def loaded(locator):
    """True once the browser has decoded the image."""
    return locator.evaluate("img => img.complete && img.naturalWidth > 0")


def test_demo_rewards_have_photos_and_the_header_a_logo(page, live_server):
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    logo = page.locator("img.app-header__logo")
    expect(logo).to_be_visible()
    assert loaded(logo) and logo.get_attribute("alt") == "Green Harbor"
    page.goto("/rewards")
    photos = page.locator("#reward-list img.product-card__image")
    assert photos.count() == 3
    for photo in photos.all():
        photo.scroll_into_view_if_needed()
        expect(photo).to_have_attribute("srcset", re.compile(r"-160\.webp 160w"))
    # The first row paints at once: never lazy, the first asked for first; the rest wait.
    assert [photo.get_attribute("loading") for photo in photos.all()] == [None, None, "lazy"]
    assert photos.first.get_attribute("fetchpriority") == "high"
    assert photos.nth(1).get_attribute("fetchpriority") is None
    first = photos.first
    assert loaded(first)
    src = first.evaluate("img => img.currentSrc")
    assert src.endswith(".webp") and "-640.webp" not in src  # a 2-up card never needs 640 px
    response = page.request.get(src)
    assert response.headers["content-type"] == "image/webp"
    assert "immutable" in response.headers["cache-control"]


def test_staff_photo_upload_shows_on_the_claim_page_and_missing_ones_get_a_placeholder(
    new_context, live_server
):
    staff = staff_page(new_context, live_server)
    name, sku = f"Photo Kush {secrets.token_hex(2)}", f"PH-{secrets.token_hex(3)}"
    staff.goto("/admin/products/new")
    staff.fill("#sku", sku)
    staff.fill("#name", name)
    staff.fill("#msrp", "30.00")
    staff.fill("#points_award", "120")
    staff.set_input_files(
        "#photo", {"name": "pack.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    staff.click("button:has-text('Save')")
    staff.wait_for_url("**/admin/products")
    staff.locator("tr", has_text=name).locator("a", has_text=name).click()
    expect(staff.locator("img.admin-thumb")).to_be_visible()

    staff.goto("/admin/products/new")
    staff.fill("#sku", f"PH-{secrets.token_hex(3)}")
    staff.fill("#name", "Bad Photo")
    staff.fill("#msrp", "30.00")
    staff.fill("#points_award", "120")
    staff.set_input_files("#photo", {"name": "x.png", "mimeType": "image/png", "buffer": b"no"})
    staff.click("button:has-text('Save')")
    expect(staff.locator("#photo-error")).to_contain_text("not a picture we can read")

    reward = f"Plain Reward {secrets.token_hex(2)}"
    staff.goto("/admin/products/new")
    staff.fill("#sku", f"PR-{secrets.token_hex(3)}")
    staff.fill("#name", reward)
    staff.fill("#msrp", "10.00")
    staff.fill("#points_award", "10")
    staff.fill("#points_cost", "900")
    staff.click("button:has-text('Save')")
    staff.wait_for_url("**/admin/products")

    member = new_context().new_page()
    consumer = live_server["demo"]["consumer"]
    sign_in(member, consumer["email"], consumer["password"])
    code = flask_command(
        live_server, "codes", "generate", "--brand", live_server["demo"]["brand"],
        "--sku", sku, "--count", "1",
    ).splitlines()[1].split(",")[0]  # fmt: skip
    member.goto(f"/s/{code}")
    claim_photo = member.locator(".claim-product img.product-card__image")
    expect(claim_photo).to_be_visible()
    assert loaded(claim_photo) and claim_photo.evaluate("img => img.naturalWidth") >= 320
    member.goto("/rewards")
    card = member.locator(".product-card", has_text=reward)
    expect(card.locator(".product-placeholder")).to_be_visible()
    assert card.locator("img").count() == 0
