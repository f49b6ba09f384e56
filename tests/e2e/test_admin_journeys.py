"""Staff journeys in a real browser: a product, a code batch the worker generates, and a
redemption fulfilled after the member got points through the member page.

The portal has no reward redemption page yet, so the redemption is made by the loyalty rule
itself (`redeem`) against the served database, in the test process.
"""

import secrets

from sqlalchemy import select

from tests.conftest import app_config
from tests.e2e.conftest import sign_in
from webapp import create_app
from webapp.extensions import db
from webapp.loyalty.redemption import redeem
from webapp.models import Product, User

DESKTOP = {"width": 1280, "height": 800}
SHIPPING = {
    "name": "Sam Rivera",
    "address1": "12 Harbor Way",
    "city": "Portland",
    "region": "OR",
    "postal_code": "97201",
    "country": "US",
}


def staff_page(new_context, live_server):
    """A desktop-sized page signed in as the demo brand's owner, on the admin dashboard."""
    page = new_context(viewport=DESKTOP).new_page()
    staff = live_server["demo"]["staff"]
    page.goto("/login?next=/admin")
    page.fill("#email", staff["email"])
    page.fill("#password", staff["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("nav.admin-nav")
    return page


def create_product(page, name):
    """Fill the new product form; back on the product list."""
    page.goto("/admin/products/new")
    page.fill("#sku", f"E2E-{secrets.token_hex(3)}")
    page.fill("#name", name)
    page.fill("#msrp", "30.00")
    page.fill("#points_award", "120")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/admin/products")


def generate_batch(page, product_name, quantity):
    """Generate codes for the product and wait until the worker has made them all."""
    page.goto("/admin/products")
    page.locator("tr", has_text=product_name).locator("text=Codes").click()
    page.fill("#quantity", str(quantity))
    page.click("button:has-text('Generate codes')")
    page.wait_for_selector("#batch-progress[data-status=done]", timeout=60_000)


def redeem_in_database(database_url, email, product_id):
    """Redeem a reward for the member with the loyalty rule, on the served database."""
    app = create_app(app_config(database_url, REDIS_URL=None))
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        brand_id = db.session.get(Product, product_id).brand_id
        redemption_id = redeem(user_id, product_id, brand_id, SHIPPING).id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return redemption_id


def test_staff_create_a_product(new_context, live_server):
    page = staff_page(new_context, live_server)
    name = f"E2E Kush {secrets.token_hex(2)}"
    create_product(page, name)
    assert f"Saved {name}." in page.locator("[role=status]").first.inner_text()
    assert page.locator("tr", has_text=name).is_visible()


def test_batch_progress_reaches_done(new_context, live_server):
    page = staff_page(new_context, live_server)
    name = f"E2E Batch {secrets.token_hex(2)}"
    create_product(page, name)
    generate_batch(page, name, 1500)
    progress = page.locator("#batch-progress progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "1500"
    assert page.locator("#unclaimed-count").inner_text() == "1,500"


def test_points_from_member_page_then_fulfil_the_redemption(new_context, live_server):
    consumer = live_server["demo"]["consumer"]
    page = staff_page(new_context, live_server)
    page.goto("/admin/members")
    page.fill("#member-search", consumer["email"])
    page.press("#member-search", "Enter")
    # The search swaps the list in (htmx, on typing and on Enter): wait until both answers are
    # in before following the link, or the click races a swap of the list it clicks in.
    page.wait_for_url("**/admin/members?*")
    page.wait_for_load_state("networkidle")
    page.click(f"a:has-text('{consumer['email']}')")
    page.wait_for_url("**/admin/members/*")
    page.fill("#delta", "2000")
    page.fill("#reason", "Welcome gift")
    page.click("button:has-text('Adjust points')")
    message = page.locator("[role=status]").first.inner_text()
    assert message.startswith("+2,000 points. The balance is now")
    balance = int(message.rsplit(" ", 1)[1].rstrip(".").replace(",", ""))
    assert page.locator("#member-balance").inner_text() == f"{balance:,}"

    member = new_context().new_page()
    sign_in(member, consumer["email"], consumer["password"])
    assert member.locator("#points-balance").get_attribute("data-value") == str(balance)

    reward_id = live_server["demo"]["reward_product_id"]
    redemption_id = redeem_in_database(live_server["database_url"], consumer["email"], reward_id)
    page.goto("/admin/redemptions?status=pending")
    row = page.locator(f"#redemption-{redemption_id}")
    row.locator("input[name=note]").fill("UPS 1Z999")
    row.locator("button:has-text('Fulfil')").click()
    page.wait_for_selector(f"#redemption-{redemption_id}[data-status=fulfilled]")
    assert "Marked as fulfilled." in row.inner_text()
    assert "UPS 1Z999" in row.inner_text()
