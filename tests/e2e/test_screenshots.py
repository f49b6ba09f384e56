"""Phone-sized (360x740) screenshots of the main pages and desktop-sized (1280x800) ones of
the admin; `make screenshots` keeps them in docs/screenshots/ (SCREENSHOTS_DIR), other runs
write them to a temporary folder."""

import os
import secrets
from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_admin_journeys import redeem_in_database, staff_page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def shots_dir(tmp_path):
    """Where the screenshots go."""
    folder = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_screenshots(new_context, live_server, shots_dir):
    signed_out = new_context(age_confirmed=False).new_page()
    signed_out.goto("/age-gate")
    signed_out.screenshot(path=shots_dir / "age-gate.png")
    page = new_context().new_page()
    for path, name in (("/", "landing"), ("/register", "register"), ("/login", "login")):
        page.goto(path)
        page.screenshot(path=shots_dir / f"{name}.png")
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    page.screenshot(path=shots_dir / "dashboard.png")
    page.goto("/profile")
    page.screenshot(path=shots_dir / "profile.png")
    page.goto("/offline")
    page.screenshot(path=shots_dir / "offline.png")
    names = ("landing", "age-gate", "register", "login", "dashboard", "profile", "offline")
    for name in names:
        assert (shots_dir / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE), name


MEMBER_PAGES = (
    ("/scan", "scan"),
    ("/", "dashboard-points"),
    ("/achievements", "achievements"),
    ("/rank", "rank"),
    ("/history", "history"),
)


def test_scan_and_member_page_screenshots(new_context, live_server, shots_dir):
    codes = live_server["demo"]["codes"]
    page = new_context().new_page()
    page.goto(f"/s/{codes[-4]}")
    page.screenshot(path=shots_dir / "claim-signed-out.png")
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    page.goto(f"/s/{codes[-5]}")
    page.click("#claim-button")
    page.wait_for_selector("#scan-result [role=status]")
    for path, name in MEMBER_PAGES:
        page.goto(path)
        page.screenshot(path=shots_dir / f"{name}.png")
    for name in ("claim-signed-out", *(name for _, name in MEMBER_PAGES)):
        assert (shots_dir / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE), name


def test_reward_page_screenshots(new_context, live_server, shots_dir):
    from tests.e2e.test_member_journey import REWARD, fresh_codes, register, scan

    page = new_context().new_page()
    page.goto("/register")
    register(page, f"shots-{secrets.token_hex(3)}@example.com", "Sky")
    for code in fresh_codes(live_server, 2):
        scan(page, code)
    page.goto("/rewards")
    page.click(f"[aria-label='Add to wishlist: {REWARD}']")
    page.wait_for_selector(f"[aria-label='Remove from wishlist: {REWARD}']")
    page.goto("/wishlist")
    page.click("text=Set as goal")
    page.wait_for_url("**/goals")
    shots = (
        ("/rewards", "rewards"),
        (f"/rewards/{live_server['demo']['reward_product_id']}", "reward-detail"),
        ("/wishlist", "wishlist"),
        ("/goals", "goals"),
        ("/referrals", "referrals"),
    )
    for path, name in shots:
        page.goto(path)
        page.screenshot(path=shots_dir / f"{name}.png")
        assert (shots_dir / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE), name


def test_admin_screenshots(new_context, live_server, shots_dir):
    page = staff_page(new_context, live_server)
    page.screenshot(path=shots_dir / "admin-dashboard.png")
    page.goto("/admin/products")
    page.screenshot(path=shots_dir / "admin-products.png")
    page.locator("tr", has_text="GH-VC-BD").locator("text=Codes").click()
    page.locator("table a").first.click()
    page.wait_for_selector("#batch-progress[data-status=done]")
    page.screenshot(path=shots_dir / "admin-batch.png")
    consumer = live_server["demo"]["consumer"]
    page.goto("/admin/members")
    page.screenshot(path=shots_dir / "admin-members.png")
    page.click(f"a:has-text('{consumer['email']}')")
    page.fill("#delta", "1500")
    page.fill("#reason", "Event visit")
    page.click("button:has-text('Adjust points')")
    redeem_in_database(
        live_server["database_url"], consumer["email"], live_server["demo"]["reward_product_id"]
    )
    page.reload()
    page.screenshot(path=shots_dir / "admin-member.png")
    page.goto("/admin/redemptions")
    page.screenshot(path=shots_dir / "admin-redemptions.png")
    names = ("dashboard", "products", "batch", "members", "member", "redemptions")
    for name in names:
        shot = (shots_dir / f"admin-{name}.png").read_bytes()
        assert shot.startswith(PNG_SIGNATURE), name
        assert int.from_bytes(shot[16:20], "big") == 1280, name


def test_achievement_and_customerio_screenshots(new_context, live_server, shots_dir):
    page = staff_page(new_context, live_server)
    page.goto("/admin/achievements/new")
    page.fill("#achievement_key", "weekly-regular")
    page.fill("#name", "Weekly regular")
    page.fill("#criteria-value", "3")
    page.select_option("#criteria-timeframe", "7d")
    page.fill("#rewards-points", "300")
    page.click("button:has-text('Preview who qualifies')")
    page.wait_for_selector("#achievement-preview [data-count]")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots_dir / "admin-achievement-form.png")
    page.goto("/admin/customerio")
    page.screenshot(path=shots_dir / "admin-customerio.png")
    for name in ("achievement-form", "customerio"):
        shot = (shots_dir / f"admin-{name}.png").read_bytes()
        assert shot.startswith(PNG_SIGNATURE), name
        assert int.from_bytes(shot[16:20], "big") == 1280, name
