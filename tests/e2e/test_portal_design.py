"""The designed member portal in a real browser at 360 px: the landing page, the dashboard
that leads with the points and the next reward, a scan that celebrates only when motion is
welcome, the brand font, and sign out where people look for it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_member_journey import fresh_codes
from tests.e2e.test_portal_fixes import new_member


def test_landing_has_a_hero_three_steps_and_top_rewards_in_the_brand_font(page):
    page.goto("/")
    hero = page.locator(".landing-hero")
    expect(hero.locator("h1")).to_be_visible()
    assert hero.bounding_box()["y"] < 100  # right under the header
    assert page.locator(".steps__list .step").count() == 3
    cards = page.locator(".showcase-grid .product-card")
    assert cards.count() == 3  # each with its photo or, without one, the drawn placeholder
    assert page.locator(".showcase-grid :is(img, .product-placeholder)").count() == 3
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px Inter')")
    family = page.locator("h1").evaluate("el => getComputedStyle(el).fontFamily")
    assert family.startswith("Inter")


def test_dashboard_leads_with_the_points_then_the_next_reward(page, live_server):
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    balance = page.locator("#dashboard-balance").bounding_box()
    reward = page.locator("#next-reward").bounding_box()
    assert balance["y"] < reward["y"] < 740  # both on the first screen
    expect(page.locator("#ways-to-earn")).to_contain_text("Refer a friend")
    assert page.locator("text=Quick links").count() == 0


def test_sign_out_is_at_the_top_of_the_profile(page, live_server):
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    page.goto("/profile")
    sign_out = page.locator("#sign-out button")
    box = sign_out.bounding_box()
    assert box["y"] + box["height"] < 200
    assert page.locator("a", has_text="Delete my account").bounding_box()["y"] > box["y"]
    sign_out.click()
    page.wait_for_url("**/")
    expect(page.locator(".landing-hero")).to_be_visible()


MOTION = [("no-preference", "celebrate-pop"), ("reduce", "none")]


@pytest.mark.parametrize(("motion", "animation"), MOTION)
def test_a_claim_celebrates_unless_motion_is_reduced(new_context, live_server, motion, animation):
    code = fresh_codes(live_server, 1)[0]
    page, _ = new_member(new_context)
    page.emulate_media(reduced_motion=motion)
    page.goto(f"/s/{code}")
    page.click("#claim-button")
    card = page.locator("#scan-result .celebrate")
    expect(card).to_be_visible()
    assert card.evaluate("el => getComputedStyle(el).animationName") == animation
    expect(page.locator("#scan-closer")).to_contain_text("to go")
