"""The rank page: the ladder with the implicit member rank, multipliers, benefits, progress."""

import re

import pytest

from tests.portal.member_world import new_program, set_wallet

pytestmark = pytest.mark.sqlite_ok


def test_rank_page_needs_sign_in(app, client):
    response = client.get("/rank")
    assert response.headers["Location"] == "/login?next=%2Frank"


def test_ladder_shows_every_rank_and_the_members_place(client, auth, make):
    program = new_program(make)
    make.rank(program.brand, "silver", 500, "1.25", benefits="Early access to drops")
    make.rank(program.brand, "gold", 2000, "1.50")
    set_wallet(program, lifetime_points=600)
    auth.login(program.email)
    html = client.get("/rank").get_data(as_text=True)
    assert html.index("Member") < html.index("Silver") < html.index("Gold")
    assert "1.25× points per scan" in html and "Early access to drops" in html
    held = re.search(r'aria-current="step">\s*<h3 class="card__title">(\w+)', html)
    assert held.group(1) == "Silver"
    assert "1,400 points to Gold" in html


def test_top_rank_has_no_next_step(client, auth, make):
    program = new_program(make)
    make.rank(program.brand, "gold", 100, "2.00")
    set_wallet(program, lifetime_points=150)
    auth.login(program.email)
    html = client.get("/rank").get_data(as_text=True)
    assert "You hold the top rank" in html and "points to" not in html


def test_brand_wording_is_used(client, auth, make):
    program = new_program(make, wording={"points": "Buds", "rank": "Level"})
    auth.login(program.email)
    html = client.get("/rank").get_data(as_text=True)
    assert "Your level" in html and "lifetime buds" in html
