"""The member's dashboard: balance, rank progress, goal, next best action, recent activity."""

import pytest

from tests.loyalty.achievement_helpers import scan
from tests.portal.member_world import new_program
from webapp.extensions import db
from webapp.loyalty.goals import set_custom_goal
from webapp.models import UserAiProfile

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def program(app, make):
    return new_program(make)


def test_signed_out_home_is_the_landing_page(client, program):
    html = client.get("/").get_data(as_text=True)
    assert "Join now" in html and "points-balance" not in html


def test_balance_rank_progress_and_recent_activity(client, auth, make, program):
    make.rank(program.brand, "silver", 1000, "1.25")
    for _ in range(6):
        scan(make, program.member, program.product)
    auth.login(program.email)
    html = client.get("/").get_data(as_text=True)
    assert 'id="dashboard-balance">900<' in html
    assert "100 points to Silver" in html and '<progress value="90" max="100">' in html
    assert html.count('class="history-item"') == 5
    assert 'href="/history"' in html and 'href="/scan"' in html


def test_active_goal_and_next_best_action(client, auth, make, program):
    set_custom_goal(program.member.id, 500, "New grinder", program.brand.id)
    db.session.add(UserAiProfile(user_id=program.member.id, next_best_action="refer_friend"))
    db.session.commit()
    auth.login(program.email)
    html = client.get("/").get_data(as_text=True)
    assert 'id="active-goal"' in html and "New grinder" in html and 'max="500"' in html
    assert "Invite a friend" in html and 'href="/referrals"' in html


def test_new_member_sees_empty_states(client, auth, program):
    auth.login(program.email)
    html = client.get("/").get_data(as_text=True)
    assert "No activity yet" in html and 'id="active-goal"' not in html
    assert "Invite a friend" not in html
