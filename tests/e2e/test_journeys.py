"""Member journeys in a real browser: joining, signing in and out, password help, profile."""

import json
import secrets
from pathlib import Path

from tests.e2e.conftest import confirm_sign_up, sign_in


def test_age_gate_then_join_then_sign_out_and_in(new_context):
    page = new_context(age_confirmed=False).new_page()
    page.goto("/")
    assert page.url.endswith("/age-gate?next=/")
    page.click("text=Yes, I'm 21 or older")
    page.click("text=Join now")
    email = f"join-{secrets.token_hex(3)}@example.com"
    page.fill("#email", email)
    page.fill("#password", "a long password")
    page.fill("#first_name", "Jo")
    page.fill("#date_of_birth", "1990-05-17")
    page.select_option("#region", "US-CO")
    page.select_option("#cf_favorite_form", "Flower")
    page.check("#accept_terms")
    page.click("text=Create my account")
    confirm_sign_up(page, email)
    balance = page.locator("#points-balance")
    assert balance.get_attribute("data-value") == "0"
    assert page.locator("#rank-name").inner_text().strip()
    page.goto("/profile")
    page.click("text=Sign out")
    assert "signed out" in page.locator("[role=status]").first.inner_text()
    sign_in(page, email, "a long password")
    assert page.locator("#points-balance").get_attribute("data-value") == "0"


def test_register_errors_show_next_to_the_field(page):
    page.goto("/register")
    page.fill("#email", "young@example.com")
    page.fill("#password", "a long password")
    page.fill("#first_name", "Kid")
    page.fill("#date_of_birth", "2015-01-01")
    page.select_option("#region", "US-CO")
    page.check("#accept_terms")
    page.click("text=Create my account")
    assert "21 or older" in page.locator("#date_of_birth-error").inner_text()


def test_forgot_password_says_the_same_for_everyone(page, live_server):
    messages = []
    for email in (live_server["demo"]["consumer"]["email"], "nobody-here@example.com"):
        page.goto("/password/forgot")
        page.fill("#email", email)
        page.click("text=Send me a link")
        messages.append(page.locator("[role=status]").first.inner_text())
    assert messages[0] == messages[1] and "sent a link" in messages[0]


def test_login_works_without_javascript(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    assert page.locator("#points-balance").is_visible()


def test_profile_update_and_data_download(page, live_server):
    consumer = live_server["demo"]["consumer"]
    sign_in(page, consumer["email"], consumer["password"])
    page.goto("/profile")
    page.fill("#last_name", "Rivera-Lopez")
    page.click("text=Save")
    assert "saved" in page.locator("[role=status]").first.inner_text()
    assert page.input_value("#last_name") == "Rivera-Lopez"
    with page.expect_download() as download_info:
        page.click("#download-data")
    data = json.loads(Path(download_info.value.path()).read_text())
    assert data["profile"]["last_name"] == "Rivera-Lopez"


def test_service_worker_serves_the_offline_page(page):
    page.goto("/login")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # the worker now controls the page
    page.context.set_offline(True)
    page.goto("/rewards")
    assert page.locator("h1").inner_text() == "You're offline"
    page.context.set_offline(False)


def test_pages_fit_a_360_pixel_phone(page, live_server):
    consumer = live_server["demo"]["consumer"]
    for path in ("/", "/age-gate", "/register", "/login", "/password/forgot", "/offline"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    sign_in(page, consumer["email"], consumer["password"])
    for path in ("/", "/profile", "/profile/delete"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
