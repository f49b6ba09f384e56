"""Accessibility and installability in a real browser: every member page at 360 px and the
main admin pages at 1280 px are checked for labels, tap targets, visible focus and contrast.

The rules (the checks themselves are in `tests/e2e/a11y.py`):

- Labels: every visible `input`, `select` and `textarea` (not hidden, submit or button) has a
  `<label for>`, a wrapping label, `aria-label` or `aria-labelledby` with text.
- Tap targets (member pages): every visible `a`, `button`, submit, checkbox, radio, `select`
  and `summary` is at least 44x44 CSS px. Exempt, as WCAG 2.5.8 allows for inline targets: a
  link whose parent is a `p` or `li` that holds other text too (a link in a sentence). A
  checkbox or radio inside a label is measured by its label, which is what a tap toggles.
- Focus: each of the first 15 focusable elements looks different focused (outline or box
  shadow) from unfocused, and shows an outline or a shadow.
- Contrast: text is at least 4.5:1 against the background it sits on (3:1 from 24 px, or from
  18.66 px bold). Disabled controls are exempt (WCAG 1.4.3); text over an image or gradient is
  not measured.
"""

import secrets
import shutil

from tests.e2e.a11y import (
    focus_problems,
    low_contrast_text,
    small_tap_targets,
    unlabelled_fields,
)
from tests.e2e.conftest import CHROMIUM_ARGS, PHONE, sign_in
from tests.e2e.test_admin_journeys import DESKTOP, staff_page
from tests.e2e.test_scan_journey import register

SIGNED_OUT_PAGES = [
    "/",
    "/age-gate",
    "/login",
    "/register",
    "/register/check-email",
    "/password/forgot",
    "/offline",
]
MEMBER_PAGES = [
    "/",
    "/scan",
    "/rewards",
    "/rewards/{reward}",
    "/wishlist",
    "/goals",
    "/achievements",
    "/rank",
    "/referrals",
    "/history",
    "/profile",
    "/profile/delete",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/products",
    "/admin/products/new",
    "/admin/members",
    "/admin/redemptions",
    "/admin/achievements/new",
    "/admin/settings",
]


def problems_here(page, tap_targets=True):
    """Every problem the checks find on the page as it stands."""
    focusable, no_ring = focus_problems(page)
    assert focusable > 0, f"{page.url} has nothing to focus"
    found = unlabelled_fields(page) + no_ring + low_contrast_text(page)
    return found + small_tap_targets(page) if tap_targets else found


def page_problems(page, paths, tap_targets=True):
    """Visit each path; a mapping of path to the problems found there (only paths with any)."""
    problems = {}
    for path in paths:
        response = page.goto(path)
        assert response.ok, f"{path} answered {response.status}"
        if found := problems_here(page, tap_targets):
            problems[path] = found
    return problems


def test_signed_out_member_pages_are_accessible(new_context, live_server):
    code = live_server["demo"]["codes"][0]
    page = new_context().new_page()
    problems = page_problems(page, [*SIGNED_OUT_PAGES, f"/s/{code}"])
    page.goto("/register")
    page.click("text=Create my account")
    page.wait_for_selector(".field__error")
    assert (problems, problems_here(page)) == ({}, [])


def test_signed_in_member_pages_are_accessible(page, live_server):
    """A new member with a scan behind them and a wishlisted reward, so lists are not empty;
    the claim's result and toast are checked as they appear."""
    demo = live_server["demo"]
    page.goto("/register")
    register(page, f"a11y-{secrets.token_hex(3)}@example.com")
    problems = page_problems(page, [f"/s/{demo['codes'][-7]}"])
    page.goto(f"/s/{demo['codes'][-6]}")
    page.click("#claim-button")
    page.wait_for_selector("#scan-result [role=status]")
    page.wait_for_selector(".toast")
    claimed = problems_here(page)
    page.goto(f"/rewards/{demo['reward_product_id']}")
    page.click(".heart-toggle[aria-pressed=false]")
    page.wait_for_selector(".heart-toggle[aria-pressed=true]")
    paths = [path.format(reward=demo["reward_product_id"]) for path in MEMBER_PAGES]
    problems |= page_problems(page, paths)
    assert (problems, claimed) == ({}, [])


def test_admin_pages_are_accessible(new_context, live_server):
    page = staff_page(new_context, live_server)
    assert page.viewport_size == DESKTOP
    assert page_problems(page, ADMIN_PAGES, tap_targets=False) == {}


def test_the_age_gate_itself_is_accessible(new_context):
    page = new_context(age_confirmed=False).new_page()
    assert page_problems(page, ["/age-gate"]) == {}


def test_checks_catch_what_they_look_for(page):
    """The checks fail on a page built to fail them, so a green run means something; the
    exemptions (a link in a sentence, a checkbox in a tall label) hold."""
    page.set_content(
        "<style>a { display: inline-block; width: 20px; height: 20px; outline: none; }"
        "label { display: block; height: 44px; }</style>"
        "<body style='background: #fff'><input id='bare'>"
        "<label>Agree <input type='checkbox' name='agree'></label>"
        "<p style='color: #bbb'>pale text</p><div><a href='#x'>x</a></div>"
        "<p>Read <a href='#y'>y</a> first.</p>"
        "<p style='color: color-mix(in srgb, #000 20%, #fff)'>mixed</p></body>"
    )
    assert unlabelled_fields(page) == ['input#bare ""']
    low = low_contrast_text(page)
    assert [problem.split('"')[1] for problem in low] == ["pale text", "mixed"]
    assert small_tap_targets(page) == ['a "x" is 20x20']
    assert focus_problems(page)[1] == ['a "x" shows no focus ring', 'a "y" shows no focus ring']


def test_the_dashboard_is_installable(browser, live_server, tmp_path):
    """Chromium never offers to install from an incognito profile, and every Playwright
    context is one, so this check runs in a browser with a profile on disk."""
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=shutil.which("chromium"),
        args=CHROMIUM_ARGS,
        base_url=live_server["url"],
        viewport=PHONE,
    )
    try:
        context.add_cookies([{"name": "age_confirmed", "value": "1", "url": live_server["url"]}])
        page = context.pages[0] if context.pages else context.new_page()
        consumer = live_server["demo"]["consumer"]
        sign_in(page, consumer["email"], consumer["password"])
        assert page.evaluate("navigator.serviceWorker.ready.then((r) => Boolean(r.active))")
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == [] and manifest["url"].endswith("/manifest.webmanifest")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()
