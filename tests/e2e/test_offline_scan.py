"""Scanning in a store basement: with the browser offline the scan page keeps the code in
IndexedDB and says so; back online it is claimed once, by the page (the `online` event or the
next visit) or by the service worker's Background Sync."""

import secrets

from sqlalchemy import create_engine, text

from tests.e2e.test_accessibility import problems_here
from tests.e2e.test_scan_journey import register

SAVED = "Saved. We'll claim it when you're back online."
# The codes in IndexedDB, read straight from the database the scripts write to.
SAVED_CODES = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("cannarewards-offline", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("codes", { keyPath: "code" });
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const request = open.result.transaction("codes").objectStore("codes").getAllKeys();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
  };
})"""

NO_BACKGROUND_SYNC = "delete ServiceWorkerRegistration.prototype.sync; delete window.SyncManager;"


def wait_until(page, expression, seconds=10):
    """Poll `expression` (awaited when it is a promise) from the test; the pages' CSP stops
    Playwright's own in-page polling of string predicates (it would need eval)."""
    for _ in range(seconds * 10):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def ledger_of(live_server, email):
    """(scans in the ledger, codes claimed) of the account with `email`, from the database."""
    engine = create_engine(live_server["database_url"])
    with engine.connect() as conn:
        user_id = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar()
        scans = conn.execute(
            text(
                "SELECT COUNT(*) FROM user_action_log"
                " WHERE user_id = :u AND action_type = 'product_scanned'"
            ),
            {"u": user_id},
        ).scalar()
        codes = conn.execute(
            text("SELECT code FROM scan_codes WHERE claimed_by_user_id = :u"), {"u": user_id}
        ).scalars()
        result = scans, sorted(codes)
    engine.dispose()
    return result


def new_member_on_the_scan_page(context):
    """A fresh member on /scan, with the offline scripts loaded."""
    page = context.new_page()
    email = f"offline-{secrets.token_hex(3)}@example.com"
    page.goto("/register")
    register(page, email)
    page.goto("/scan")
    wait_until(page, "window.OfflineQueue !== undefined && window.htmx !== undefined")
    return page, email


def scan_by_hand(page, code):
    page.fill("input[name=code]", code)
    page.click("#scan-form button[type=submit]")


def test_offline_scan_is_saved_then_claimed_once_back_online(new_context, live_server):
    code = live_server["demo"]["codes"][-10]
    context = new_context()
    page, email = new_member_on_the_scan_page(context)
    before = int(page.locator("#points-balance").get_attribute("data-value"))

    context.set_offline(True)
    scan_by_hand(page, code)
    page.wait_for_selector("#offline-saved")
    assert page.locator("#offline-saved").inner_text() == SAVED
    wait_until(page, "document.getElementById('scan-code').value === ''")
    scan_by_hand(page, code.lower())  # the same code twice is kept once
    wait_until(page, "document.getElementById('scan-code').value === ''")
    assert page.evaluate(SAVED_CODES) == [code.upper()]
    assert ledger_of(live_server, email) == (0, [])
    assert problems_here(page) == []

    context.set_offline(False)
    page.wait_for_selector("#scan-result .celebrate[role=status]")
    wait_until(page, f"Number(document.getElementById('points-balance').dataset.value) > {before}")
    assert "You earned" in page.locator("#scan-result").inner_text()
    assert page.evaluate(SAVED_CODES) == []
    assert ledger_of(live_server, email) == (1, [code])
    assert problems_here(page) == []


def test_a_saved_code_is_claimed_on_the_next_visit(new_context, live_server):
    """A browser without Background Sync: the next page the member opens claims the code."""
    code = live_server["demo"]["codes"][-11]
    context = new_context()
    context.add_init_script(NO_BACKGROUND_SYNC)
    page, email = new_member_on_the_scan_page(context)
    context.set_offline(True)
    scan_by_hand(page, code)
    page.wait_for_selector("#offline-saved")
    page.close()  # the member leaves before the signal comes back

    context.set_offline(False)
    assert ledger_of(live_server, email) == (0, [])
    later = context.new_page()
    later.goto("/")
    later.wait_for_selector(".toast", state="attached")
    assert "earned for" in later.locator(".toast").inner_text()
    wait_until(later, "Number(document.getElementById('points-balance').dataset.value) > 0")
    assert ledger_of(live_server, email) == (1, [code])
    assert later.evaluate(SAVED_CODES) == []


def test_the_service_worker_claims_saved_codes_with_background_sync(new_context, live_server):
    """The scan page is closed before the signal returns; the only page left open runs none
    of our scripts, so the claim can only come from the worker's `sync` event."""
    code = live_server["demo"]["codes"][-12]
    context = new_context()
    page, email = new_member_on_the_scan_page(context)
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => 'sync' in r)")
    context.set_offline(True)
    scan_by_hand(page, code)
    page.wait_for_selector("#offline-saved")
    blank = context.new_page()
    blank.goto("/static/icons/favicon.svg")  # from the worker's cache: no page scripts here
    page.close()
    assert blank.evaluate(SAVED_CODES) == [code]
    assert ledger_of(live_server, email) == (0, [])

    context.set_offline(False)
    wait_until(blank, f"({SAVED_CODES})().then((codes) => codes.length === 0)", seconds=20)
    for _ in range(50):
        if ledger_of(live_server, email) == (1, [code]):
            break
        blank.wait_for_timeout(100)
    assert ledger_of(live_server, email) == (1, [code])
