"""The scan page, the /s/<code> claim landing and the claims that follow sign-in."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.loyalty.achievement_helpers import achievement
from tests.portal.member_world import HTMX, balance_of, new_code, new_program, set_wallet
from webapp.extensions import db
from webapp.loyalty.scan import MESSAGES
from webapp.loyalty.scan_limits import bad_codes_allowed, record_bad_code
from webapp.models import Campaign, User
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def program(app, make):
    return new_program(make)


def test_scan_page_needs_sign_in(client, program):
    response = client.get("/scan")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_scan_page_has_camera_and_labelled_manual_entry(client, auth, program):
    auth.login(program.email)
    html = client.get("/scan").get_data(as_text=True)
    assert '<video id="scanner-video"' in html
    assert 'id="scanner-start"' in html and "hidden>" in html
    assert 'id="scanner-status" class="scanner-status" role="status"' in html
    assert '<label class="field__label" for="scan-code">' in html
    assert 'name="code"' in html and "js/scanner.js" in html


def test_manual_code_without_javascript_redirects_with_a_flash(client, auth, make, program):
    auth.login(program.email)
    response = client.post("/scan", data={"code": new_code(make, program)})
    assert (response.status_code, response.headers["Location"]) == (303, "/scan")
    page = client.get("/scan").get_data(as_text=True)
    assert "You earned 150 points for Blue Dream 3.5g." in page
    assert balance_of(program.email) == 150


def test_htmx_scan_returns_the_partial_with_toast_and_points_changed(client, auth, make, program):
    auth.login(program.email)
    response = client.post("/scan", data={"code": new_code(make, program)}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="scan-result"')
    assert "<html" not in html
    assert 'hx-swap-oob="beforeend:#toast-region"' in html and "+150" in html
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger == {
        "pointsChanged": {"balance": 150, "balance_display": "150", "rank_name": "Member"}
    }


def test_rank_up_and_achievement_unlock_are_celebrated(client, auth, make, program):
    make.rank(program.brand, "silver", 100, name="Silver")
    achievement(program.brand, "first-scan", "scan_count", 1, rewards={"points": 25})
    auth.login(program.email)
    response = client.post("/scan", data={"code": new_code(make, program)}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert "Welcome to Silver!" in html
    assert "Achievement unlocked: First Scan" in html
    assert json.loads(response.headers["HX-Trigger"])["pointsChanged"]["rank_name"] == "Silver"


@pytest.mark.parametrize("outcome", ["unknown", "voided", "already_yours", "already_claimed"])
def test_each_failure_has_its_own_message(client, auth, make, program, outcome):
    other = make.user()
    codes = {
        "unknown": "NOSUCHCODE23",
        "voided": new_code(make, program, voided_at=utcnow()),
        "already_yours": new_code(make, program, claimed_by_user_id=program.member.id),
        "already_claimed": new_code(make, program, claimed_by_user_id=other.id),
    }
    auth.login(program.email)
    response = client.post("/scan", data={"code": codes[outcome]}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'role="alert"' in html and MESSAGES[outcome].replace("'", "&#39;") in html
    assert "HX-Trigger" not in response.headers


def test_wrong_brand_code_has_its_own_message(client, auth, make, program):
    other_brand = make.brand()
    foreign = make.scan_code(make.product(other_brand)).code
    auth.login(program.email)
    response = client.post("/scan", data={"code": foreign}, headers=HTMX)
    assert response.status_code == 422
    assert "another brand&#39;s program" in response.get_data(as_text=True)


def test_rate_limited_scans_answer_429_with_the_message(app, client, auth, make):
    program = new_program(make, rate_limits={"bad_codes_per_user_per_hour": 1})
    auth.login(program.email)
    client.post("/scan", data={"code": "WRONGCODE1"}, headers=HTMX)
    htmx_response = client.post("/scan", data={"code": "WRONGCODE2"}, headers=HTMX)
    form_response = client.post("/scan", data={"code": "WRONGCODE3"})
    for response in (htmx_response, form_response):
        assert response.status_code == 429
        assert "Too many codes didn&#39;t work" in response.get_data(as_text=True)


def test_a_wrong_code_on_the_plain_claim_form_counts_once_against_the_ip(client, auth, make):
    """The claim counts the bad code; the landing page it redirects to does not count it again."""
    program = new_program(make, rate_limits={"bad_codes_per_ip_per_hour": 2})
    auth.login(program.email)
    response = client.post("/s/WRONGCODE1", follow_redirects=True)
    assert response.status_code == 200
    assert MESSAGES["unknown"].replace("'", "&#39;") in response.get_data(as_text=True)
    assert bad_codes_allowed(program.brand.id, None, "127.0.0.1")  # one of two used
    record_bad_code(program.brand.id, None, "127.0.0.1")
    assert not bad_codes_allowed(program.brand.id, None, "127.0.0.1")


def test_a_scan_computes_the_rank_once(client, auth, make, program, monkeypatch):
    """The multiplier reads the rank the member holds; the ledger places them once, as the
    points land."""
    from webapp.loyalty import ledger, scan

    calls = []

    def counted(real):
        def rank_for(steps, lifetime_points):
            calls.append(lifetime_points)
            return real(steps, lifetime_points)

        return rank_for

    monkeypatch.setattr(scan, "rank_for", counted(ledger.rank_for), raising=False)
    monkeypatch.setattr(ledger, "rank_for", counted(ledger.rank_for))
    auth.login(program.email)
    response = client.post("/scan", data={"code": new_code(make, program)}, headers=HTMX)
    assert response.status_code == 200
    assert calls == [150]


def test_empty_code_is_a_clear_message(client, auth, program):
    auth.login(program.email)
    response = client.post("/scan", data={"code": "  "}, headers=HTMX)
    assert response.status_code == 422
    assert "Please enter the code" in response.get_data(as_text=True)


def test_plain_failure_redirects_with_an_error_flash(client, auth, program):
    auth.login(program.email)
    response = client.post("/scan", data={"code": "NOSUCHCODE23"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert '<div class="alert alert--error" role="alert">We couldn' in html


def test_claim_landing_signed_out_shows_points_waiting(client, make, program):
    code = new_code(make, program)
    html = client.get(f"/s/{code}").get_data(as_text=True)
    assert "Blue Dream 3.5g" in html and "Join to claim 150 Points" in html
    assert f'href="/register?next=/s/{code}"' in html
    assert f'href="/login?next=/s/{code}"' in html
    assert f'action="/s/{code}/guest"' in html


def test_claim_landing_unknown_code_says_so(client, program):
    html = client.get("/s/NOSUCHCODE23").get_data(as_text=True)
    assert 'role="alert"' in html and "couldn&#39;t find that code" in html
    assert "Join to claim" not in html


SIGN_UP = {
    "email": "new@example.com",
    "password": "a long enough password",
    "first_name": "Nia",
    "date_of_birth": "1990-01-01",
    "accept_terms": "y",
}


def test_register_from_the_landing_completes_the_claim(client, auth, make, program):
    code = new_code(make, program)
    client.get(f"/s/{code}")
    response = auth.register(SIGN_UP, query_string={"next": f"/s/{code}"})
    assert (response.status_code, response.headers["Location"]) == (303, f"/s/{code}")
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert balance_of("new@example.com") == 150
    assert 'data-value="150"' in page and "You earned 150 points" in page


def test_a_confirmation_link_opened_in_another_browser_completes_the_claim(
    app, client, make, program
):
    from tests.factories import confirmation_path

    code = new_code(make, program)
    client.get(f"/s/{code}")
    client.post("/register", data=SIGN_UP)
    mail_app = app.test_client()  # no session of the browser that scanned
    response = mail_app.post(confirmation_path("new@example.com"))
    assert (response.status_code, response.headers["Location"]) == (303, f"/s/{code}")
    assert balance_of("new@example.com") == 150


def test_login_from_the_landing_completes_the_claim(client, auth, make, program):
    code = new_code(make, program)
    client.get(f"/s/{code}")
    client.post(f"/login?next=/s/{code}", data={"email": program.email, "password": "x" * 3})
    assert balance_of(program.email) == 0  # a failed sign-in claims nothing
    auth.login(program.email)
    assert balance_of(program.email) == 150
    landing = client.get(f"/s/{code}").get_data(as_text=True)
    assert "in your balance" in landing and "already claimed this code" not in landing


def test_signed_in_claim_is_one_tap(client, auth, make, program):
    code = new_code(make, program)
    auth.login(program.email)
    html = client.get(f"/s/{code}").get_data(as_text=True)
    assert f'hx-post="/s/{code}"' in html and "Claim 150 Points" in html
    response = client.post(f"/s/{code}")
    assert (response.status_code, response.headers["Location"]) == (303, "/")
    assert balance_of(program.email) == 150


def test_signed_in_htmx_claim_returns_the_partial(client, auth, make, program):
    auth.login(program.email)
    response = client.post(f"/s/{new_code(make, program)}", headers=HTMX)
    assert response.status_code == 200 and "HX-Trigger" in response.headers
    assert "+150" in response.get_data(as_text=True)


def test_claim_post_signed_out_goes_to_login(client, make, program):
    code = new_code(make, program)
    response = client.post(f"/s/{code}")
    assert response.headers["Location"].startswith("/login?next=")


def test_claim_with_email_only_creates_a_guest_without_signing_in(client, make, program):
    code = new_code(make, program)
    response = client.post(f"/s/{code}/guest", data={"email": "Guest@Example.com"})
    assert (response.status_code, response.headers["Location"]) == (303, f"/s/{code}")
    guest = db.session.scalar(select(User).where(User.email == "guest@example.com"))
    assert guest.is_guest and balance_of("guest@example.com") == 150
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert "points-balance" not in page and "saved to guest@example.com" in page
    assert client.get("/profile").status_code == 302


def test_claim_with_a_bad_email_explains(client, make, program):
    response = client.post(f"/s/{new_code(make, program)}/guest", data={"email": "not-an-email"})
    assert response.status_code == 422
    assert "Please enter a valid email address." in response.get_data(as_text=True)


def test_claim_with_a_members_email_answers_as_for_any_email(client, make, program):
    answers = []
    for email in (program.email, "nobody-yet@example.com"):
        code = new_code(make, program)
        response = client.post(f"/s/{code}/guest", data={"email": email})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        page = re.sub(r'nonce="[^"]+"', "", page.replace(email, "EMAIL").replace(code, "CODE"))
        answers.append((response.status_code, page))
    assert answers[0] == answers[1]
    assert balance_of(program.email) == 150 and client.get("/profile").status_code == 302


def test_claim_with_an_existing_guests_email_adds_points_without_signing_in(client, make, program):
    client.post(f"/s/{new_code(make, program)}/guest", data={"email": "guest@example.com"})
    client.post("/logout")
    second = new_code(make, program)
    response = client.post(f"/s/{second}/guest", data={"email": "guest@example.com"})
    assert response.headers["Location"] == f"/s/{second}"
    assert balance_of("guest@example.com") == 300
    page = client.get(f"/s/{second}").get_data(as_text=True)
    assert "points-balance" not in page and "saved to guest@example.com" in page


def test_failed_one_tap_claim_returns_to_the_landing_with_the_message(client, auth, make, program):
    code = new_code(make, program, voided_at=utcnow())
    auth.login(program.email)
    response = client.post(f"/s/{code}", follow_redirects=True)
    assert response.request.path == f"/s/{code}"
    assert "no longer valid" in response.get_data(as_text=True)


def test_absurd_codes_get_a_message_not_an_error(client, auth, program):
    auth.login(program.email)
    response = client.post("/scan", data={"code": "x" * 1500 + "'\"<>"}, headers=HTMX)
    assert response.status_code == 422 and 'role="alert"' in response.get_data(as_text=True)
    response = client.post("/scan", data={"code": "x" * 5000}, headers=HTMX)
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
    assert client.get("/s/" + "y" * 3000).status_code == 200


def test_a_campaign_scan_says_what_the_campaign_added(client, auth, make, program):
    now = utcnow()
    db.session.add(
        Campaign(
            brand_id=program.brand.id,
            name="Double points weekend",
            multiplier=Decimal(2),
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )
    )
    db.session.commit()
    auth.login(program.email)
    response = client.post("/scan", data={"code": new_code(make, program)}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert "You earned 300 points for Blue Dream 3.5g. Double points weekend: +150" in html
    assert balance_of(program.email) == 300
    history = client.get("/history").get_data(as_text=True)
    assert "Campaign bonus" in history


@pytest.mark.parametrize("url", ["/scan", "/s/{code}"])
def test_a_scan_refused_at_the_points_limit_over_http_keeps_nothing(
    client, auth, make, program, url
):
    """The views' scan is their whole transaction: a refusal rolls all of it back (no
    savepoint), so the code stays unclaimed and the balance and ledger are as they were."""
    from webapp.loyalty.ledger import MAX_POINTS
    from webapp.models import ScanCode, UserActionLog

    wallet = set_wallet(program, points_balance=MAX_POINTS - 100, lifetime_points=MAX_POINTS - 100)
    assert wallet.points_balance == MAX_POINTS - 100
    auth.login(program.email)
    code = new_code(make, program)
    form = {"code": code} if url == "/scan" else {}
    response = client.post(url.format(code=code), data=form, headers=HTMX)
    assert response.status_code == 422
    assert "most points an account can hold" in response.get_data(as_text=True)
    db.session.expire_all()
    claimed_by = select(ScanCode.claimed_by_user_id).where(ScanCode.code == code)
    assert db.session.scalar(claimed_by) is None
    assert balance_of(program.email) == MAX_POINTS - 100
    logged = select(UserActionLog.action_type).where(UserActionLog.user_id == program.member.id)
    assert "product_scanned" not in db.session.scalars(logged).all()
    # and the next scan of a code that fits is refused the same way, not broken
    second = client.post("/scan", data={"code": new_code(make, program)}, headers=HTMX)
    assert second.status_code == 422
