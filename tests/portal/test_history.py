"""The history page: the ledger newest first, 20 a page, htmx "load more", words for actions."""

import pytest

from tests.portal.member_world import HTMX, new_program
from webapp.extensions import db
from webapp.models import UserActionLog

pytestmark = pytest.mark.sqlite_ok


def ledger(member, brand, rows):
    """Write (action_type, points) rows for `member`, oldest first."""
    for action_type, points in rows:
        db.session.add(
            UserActionLog(
                user_id=member.id, brand_id=brand.id, action_type=action_type, points_awarded=points
            )
        )
    db.session.commit()


def test_history_needs_sign_in(app, client):
    assert client.get("/history").headers["Location"] == "/login?next=%2Fhistory"


def test_rows_newest_first_in_words_with_signed_points(client, auth, make):
    program = new_program(make)
    ledger(
        program.member,
        program.brand,
        [("product_scanned", 150), ("reward_redeemed", -1200), ("user_session_ended", 0)],
    )
    auth.login(program.email)
    html = client.get("/history").get_data(as_text=True)
    assert html.index("Redeemed a reward") < html.index("Scanned a product")
    assert 'history-item__points--minus">&minus;1,200' in html
    assert 'history-item__points--plus">+150' in html
    assert "user_session" not in html and "Load more" not in html


def test_twenty_a_page_with_htmx_load_more(client, auth, make):
    program = new_program(make)
    ledger(program.member, program.brand, [("product_scanned", n) for n in range(1, 46)])
    auth.login(program.email)
    first = client.get("/history").get_data(as_text=True)
    assert first.count('class="history-item"') == 20
    assert "+45<" in first and "+26<" in first and "+25<" not in first
    assert 'hx-get="/history?page=2"' in first and 'hx-swap="outerHTML"' in first

    second = client.get("/history?page=2", headers=HTMX).get_data(as_text=True)
    assert "<html" not in second and second.count('class="history-item"') == 20
    assert "+25<" in second and "+6<" in second and 'hx-get="/history?page=3"' in second

    last = client.get("/history?page=3", headers=HTMX).get_data(as_text=True)
    assert last.count('class="history-item"') == 5 and "Load more" not in last


def test_full_page_without_htmx_for_any_page(client, auth, make):
    program = new_program(make)
    ledger(program.member, program.brand, [("product_scanned", n) for n in range(1, 23)])
    auth.login(program.email)
    html = client.get("/history?page=2").get_data(as_text=True)
    assert "<html" in html and html.count('class="history-item"') == 2


@pytest.mark.parametrize("page", ["abc", "-3", "0", "999999999"])
def test_odd_page_numbers_never_fail(client, auth, make, page):
    program = new_program(make)
    auth.login(program.email)
    assert client.get(f"/history?page={page}").status_code == 200


def test_empty_history_invites_a_first_scan(client, auth, make):
    program = new_program(make)
    auth.login(program.email)
    assert "Scan a product to earn your first points" in client.get("/history").get_data(
        as_text=True
    )
