"""The achievements page: earned badges, progress, hidden and targeted achievements."""

import pytest

from tests.loyalty.achievement_helpers import achievement, scan
from tests.portal.member_world import new_program
from webapp.extensions import db
from webapp.models import UserAiProfile

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def program(app, make):
    return new_program(make)


def test_achievements_need_sign_in(client, program):
    assert client.get("/achievements").headers["Location"] == "/login?next=%2Fachievements"


def test_earned_badges_and_progress_on_the_rest(client, auth, make, program):
    achievement(
        program.brand, "first-scan", "scan_count", 1, rewards={"points": 0, "badge": "Rookie"}
    )
    achievement(program.brand, "five-scans", "scan_count", 5, rewards={"points": 100})
    achievement(program.brand, "quiet-count", "scan_count", 10, visibility={"show_progress": False})
    scan(make, program.member, program.product)
    scan(make, program.member, program.product)
    auth.login(program.email)
    html = client.get("/achievements").get_data(as_text=True)
    earned, still_open = html.split("Still to earn")
    assert "First Scan" in earned and "Earned (1)" in earned
    assert "Five Scans" in still_open and '<progress value="2" max="5">' in still_open
    assert "Earns 100 points" in still_open
    assert "Quiet Count" in still_open and 'max="10"' not in still_open


def test_hidden_achievements_appear_only_once_unlocked(client, auth, make, program):
    hidden = {"hidden_until_unlocked": True}
    achievement(program.brand, "secret-one", "scan_count", 1, visibility=hidden)
    achievement(program.brand, "secret-two", "scan_count", 2, visibility=hidden)
    scan(make, program.member, program.product)
    auth.login(program.email)
    html = client.get("/achievements").get_data(as_text=True)
    assert "Secret One" in html and "Secret Two" not in html


def test_targeted_achievements_follow_the_profile(client, auth, make, program):
    achievement(program.brand, "vip-only", "scan_count", 3, ai_enhancement={"segments": ["vip"]})
    auth.login(program.email)
    assert "Vip Only" not in client.get("/achievements").get_data(as_text=True)
    db.session.add(UserAiProfile(user_id=program.member.id, recommended_segment="vip"))
    db.session.commit()
    assert "Vip Only" in client.get("/achievements").get_data(as_text=True)


def test_no_achievements_yet(client, auth, program):
    auth.login(program.email)
    html = client.get("/achievements").get_data(as_text=True)
    assert "Earned (0)" in html and "Scan your first product" in html
