"""Scanning in a real browser: a package's QR link opened signed out, the manual form without
JavaScript, and the first-scan achievement. Codes are taken from the end of the demo list."""

import secrets

from tests.e2e.conftest import confirm_sign_up, sign_in


def register(page, email):
    """Fill and send the sign-up form the page is on."""
    page.fill("#email", email)
    page.fill("#password", "a long password")
    page.fill("#first_name", "Sky")
    page.fill("#date_of_birth", "1990-05-17")
    page.select_option("#region", "US-CO")
    page.select_option("#cf_favorite_form", "Flower")
    page.check("#accept_terms")
    page.click("text=Create my account")
    confirm_sign_up(page, email)


def test_claim_link_signed_out_then_join_shows_the_points(page, live_server):
    code = live_server["demo"]["codes"][-1]
    page.goto(f"/s/{code}")
    waiting = page.locator(".claim-join").inner_text()
    assert waiting.startswith("Join to claim") and "Points" in waiting
    points = int(waiting.split()[3].replace(",", ""))
    page.click("text=Join and claim")
    register(page, f"scan-{secrets.token_hex(3)}@example.com")
    balance = page.locator("#points-balance")
    assert int(balance.get_attribute("data-value")) >= points
    assert "You earned" in page.locator("[role=status]").first.inner_text()

    page.goto("/achievements")
    earned = page.locator("#earned-achievements").inner_text()
    assert "First Scan" in earned


def test_manual_code_entry_works_without_javascript(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/register")
    register(page, f"nojs-{secrets.token_hex(3)}@example.com")
    page.goto("/scan")
    assert page.locator("#scanner-start").is_hidden()
    page.fill("input[name=code]", "NOT-A-REAL-CODE")
    page.click("#scan-form button[type=submit]")
    assert "couldn't find that code" in page.locator("[role=alert]").first.inner_text()
    page.fill("input[name=code]", live_server["demo"]["codes"][-2])
    page.click("#scan-form button[type=submit]")
    assert "You earned" in page.locator("[role=status]").first.inner_text()
    assert int(page.locator("#points-balance").get_attribute("data-value")) > 0


def test_scan_with_htmx_updates_the_header_balance(page, live_server):
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    page.goto("/scan")
    before = int(page.locator("#points-balance").get_attribute("data-value"))
    page.fill("input[name=code]", live_server["demo"]["codes"][-3])
    page.click("#scan-form button[type=submit]")
    page.wait_for_selector("#scan-result [role=status]")
    page.wait_for_function(
        f"Number(document.getElementById('points-balance').dataset.value) > {before}"
    )
    assert page.locator(".toast").count() >= 1
