"""Screens that used to be broken, in a real browser at 360 px: claiming from a package's link
after joining or signing in, the heart on the claim card, the one-tap claim, the reward page
after redeeming, and the demo member's starting balance."""

import secrets

from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import app_config
from tests.e2e.conftest import sign_in
from tests.e2e.test_member_journey import SHIPPING, balance, fresh_codes, register
from webapp import create_app
from webapp.extensions import db
from webapp.loyalty.ledger import adjust
from webapp.models import BrandStaff, User


def overlaps(first, second):
    """True when two bounding boxes share any area."""
    return not (
        first["x"] + first["width"] <= second["x"]
        or second["x"] + second["width"] <= first["x"]
        or first["y"] + first["height"] <= second["y"]
        or second["y"] + second["height"] <= first["y"]
    )


def new_member(new_context):
    """A page signed in as a member who just joined (no points yet)."""
    page = new_context().new_page()
    page.goto("/register")
    email = f"fix-{secrets.token_hex(3)}@example.com"
    register(page, email, "Sky")
    return page, email


def test_join_and_claim_lands_on_a_success_without_an_error(new_context, live_server):
    code = fresh_codes(live_server, 1)[0]
    page = new_context().new_page()
    page.goto(f"/s/{code}")
    page.click("text=Join and claim")
    register(page, f"join-{secrets.token_hex(3)}@example.com", "Sky")
    assert page.url.endswith(f"/s/{code}")
    expect(page.locator("#flash-messages [role=status]").first).to_contain_text("You earned")
    assert page.locator("[role=alert]").count() == 0
    assert "already claimed" not in page.locator("main").inner_text()
    expect(page.locator(".claim-done")).to_contain_text("in your balance")


def test_sign_in_and_claim_lands_on_a_success_without_an_error(new_context, live_server):
    code = fresh_codes(live_server, 1)[0]
    _, email = new_member(new_context)
    page = new_context().new_page()
    page.goto(f"/s/{code}")
    page.click("text=Sign in and claim")
    page.fill("#email", email)
    page.fill("#password", "a long password")
    page.click("button[type=submit]")
    page.wait_for_selector("#points-balance")
    expect(page.locator("#flash-messages [role=status]").first).to_contain_text("You earned")
    assert page.locator("[role=alert]").count() == 0
    assert balance(page) >= 150


def test_the_heart_does_not_cover_the_product_name(new_context, live_server):
    code = fresh_codes(live_server, 1)[0]
    page, _ = new_member(new_context)
    page.goto(f"/s/{code}")
    heart = page.locator(".claim-product .heart-toggle").bounding_box()
    name = page.locator(".claim-product .product-card__name")
    assert not overlaps(heart, name.bounding_box())
    # The name's lines level with the heart stop short of it.
    beside = name.evaluate(
        "(el, bottom) => { const r = document.createRange(); r.selectNodeContents(el);"
        " return [...r.getClientRects()].filter(b => b.top < bottom).map(b => b.right); }",
        heart["y"] + heart["height"],
    )
    assert all(edge <= heart["x"] for edge in beside)


def test_one_tap_claim_takes_the_button_away_and_the_toast_covers_no_content(
    new_context, live_server
):
    code = fresh_codes(live_server, 1)[0]
    page, _ = new_member(new_context)
    page.goto(f"/s/{code}")
    page.click("#claim-button")
    page.wait_for_selector("#scan-result [role=status]")
    expect(page.locator("#claim-button")).to_have_count(0)
    toast = page.locator(".toast").first
    expect(toast).to_be_visible()
    # Measured where the toast comes to rest, not halfway through its slide-in.
    toast.evaluate(
        "t => Promise.all(t.getAnimations()"
        ".filter(a => a.effect.getComputedTiming().endTime !== Infinity).map(a => a.finished))"
    )
    toast_box = toast.bounding_box()
    tabbar_box = page.locator("nav.tabbar").bounding_box()
    # The toast sits inside the tab bar's strip: it hides nothing the tab bar doesn't.
    assert toast_box["y"] >= tabbar_box["y"] - 1
    assert toast_box["y"] + toast_box["height"] <= tabbar_box["y"] + tabbar_box["height"] + 1


def give_points(database_url, email, points):
    """A staff adjustment of `points` for the member, by the ledger rule on the served database."""
    app = create_app(app_config(database_url, REDIS_URL=None))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        owner_id = db.session.scalar(
            select(BrandStaff.user_id).where(BrandStaff.brand_id == user.signup_brand_id)
        )
        brand_id, reason = user.signup_brand_id, "Test"
        adjust(user.id, points, brand_id=brand_id, reason=reason, staff_user_id=owner_id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_reward_page_after_redeeming_tells_what_is_left_to_go(new_context, live_server):
    page, email = new_member(new_context)
    give_points(live_server["database_url"], email, 2000 - balance(page))
    page.goto(f"/rewards/{live_server['demo']['reward_product_id']}")
    expect(page.locator("#reward-status")).to_contain_text("You can redeem this")
    for selector, value in SHIPPING.items():
        page.fill(selector, value)
    page.click("#redeem-panel button[type=submit]")
    page.click("text=Yes, redeem")
    expect(page.locator("#redeem-panel [role=status]")).to_contain_text("on its way")
    expect(page.locator("#reward-status")).to_have_text("1,000 points to go")
    assert balance(page) == 500


def test_the_demo_member_starts_with_points_and_a_redeemable_reward(new_context, live_server):
    page = new_context().new_page()
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    assert balance(page) > 0
    page.goto("/rewards")
    expect(page.locator(".badge", has_text="You can redeem this").first).to_be_visible()
    page.goto("/history")
    assert page.locator(".history-item").count() >= 5
