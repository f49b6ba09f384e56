"""The long member journey in a real browser: a package's QR link, joining, the wishlist, a goal,
an achievement, a friend joining through the referral link, the referral bonus, a redemption.

The journey claims codes of its own (`flask codes generate`), so it never races other browser
tests for the seed's codes. Six scans (150 points each, more from Bronze on) plus the first-scan,
five-scan and first-referral achievements and the 500-point referral bonus take the member past
the 1,500 points of the demo tee, so no reward is made cheaper for the test."""

import secrets

from playwright.sync_api import expect

from tests.e2e.conftest import confirm_sign_up, flask_command

REWARD = "Green Harbor Tee"
SHIPPING = {
    "#name": "Sky Member",
    "#address1": "1 Harbor Way",
    "#city": "Oakland",
    "#region": "CA",
    "#postal_code": "94607",
}


def fresh_codes(live_server, count):
    """`count` new codes for the demo's Blue Dream cart."""
    csv = flask_command(
        live_server,
        "codes",
        "generate",
        "--brand",
        live_server["demo"]["brand"],
        "--sku",
        "GH-VC-BD",
        "--count",
        str(count),
    )
    return [line.split(",")[0] for line in csv.splitlines()[1:]]


def balance(page):
    """The balance in the page header, as a number."""
    return int(page.locator("#points-balance").get_attribute("data-value"))


def register(page, email, first_name):
    """Fill and send the sign-up form the page is on."""
    page.fill("#email", email)
    page.fill("#password", "a long password")
    page.fill("#first_name", first_name)
    page.fill("#date_of_birth", "1990-05-17")
    page.select_option("#region", "US-CO")
    page.select_option("#cf_favorite_form", "Flower")
    page.check("#accept_terms")
    page.click("text=Create my account")
    confirm_sign_up(page, email)


def scan(page, code):
    """Enter a code in the manual form and wait for the header balance to go up."""
    page.goto("/scan")
    before = balance(page)
    page.fill("input[name=code]", code)
    page.click("#scan-form button[type=submit]")
    page.wait_for_selector("#scan-result [role=status]")
    page.wait_for_function(
        f"Number(document.getElementById('points-balance').dataset.value) > {before}"
    )


def test_member_journey(new_context, live_server):
    codes = fresh_codes(live_server, 7)
    member = new_context().new_page()

    # A package's QR link, signed out: join, and the scan's points are there.
    member.goto(f"/s/{codes[0]}")
    assert member.locator(".claim-join").inner_text().startswith("Join to claim")
    member.click("text=Join and claim")
    register(member, f"journey-{secrets.token_hex(3)}@example.com", "Sky")
    assert balance(member) >= 150

    # Heart a reward, then make it the goal.
    member.goto("/rewards")
    heart = member.locator(f"[aria-label='Add to wishlist: {REWARD}']")
    heart.click()
    member.wait_for_selector(f"[aria-label='Remove from wishlist: {REWARD}'][aria-pressed=true]")
    member.goto("/wishlist")
    assert REWARD in member.locator("#wishlist").inner_text()
    member.click(f"#wishlist li:has-text('{REWARD}') >> text=Set as goal")
    expect(member.locator("#flash-messages [role=status]")).to_contain_text(f"New goal: {REWARD}.")
    expect(member.locator("#goal-list")).to_contain_text(REWARD)

    # The first scan unlocked an achievement.
    member.goto("/achievements")
    assert "First Scan" in member.locator("#earned-achievements").inner_text()

    for code in codes[1:6]:
        scan(member, code)

    # A friend opens the member's link in their own browser, joins and scans.
    member.goto("/referrals")
    before_bonus = balance(member)
    link = member.input_value("#referral-link")
    friend = new_context().new_page()
    friend.goto(link)
    assert friend.url.endswith("/register")
    register(friend, f"friend-{secrets.token_hex(3)}@example.com", "Robin")
    scan(friend, codes[6])

    # The referrer sees the bonus in the header and the friend converted.
    member.reload()
    after_bonus = balance(member)
    assert after_bonus >= before_bonus + 500 and after_bonus >= 1500
    friends = member.locator("#referral-list").inner_text()
    assert "Robin" in friends and "Converted" in friends

    # Redeem the tee: the shipping form, the confirmation, the new balance.
    member.goto("/rewards")
    member.click(f"text={REWARD}")
    for selector, value in SHIPPING.items():
        member.fill(selector, value)
    member.click("#redeem-panel button[type=submit]")
    expect(member.locator("#redeem-heading")).to_have_text("Redeem for 1,500 Points?")
    member.click("text=Yes, redeem")
    expect(member.locator("#redeem-panel [role=status]")).to_contain_text("on its way")
    member.wait_for_function(
        f"document.getElementById('points-balance').dataset.value == '{after_bonus - 1500}'"
    )
    member.goto("/rewards/mine")
    assert REWARD in member.locator("#redemption-list").inner_text()
    assert balance(member) == after_bonus - 1500
