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


def test_landing_shows_how_it_works_and_the_top_rewards(client, make, program):
    make.product(program.brand, name="Harbor Tee", points_cost=1500)
    make.product(program.brand, name="Gold Hat", points_cost=4000, is_featured=True)
    html = client.get("/").get_data(as_text=True)
    assert "How it works" in html and "Scan the pack" in html and "Redeem rewards" in html
    top = html.split('id="top-rewards-title"', 1)[1]
    assert top.index("Gold Hat") < top.index("Harbor Tee")  # featured first, then the cheapest
    assert "Blue Dream 3.5g" not in top  # not a reward


def test_dashboard_leads_with_points_and_the_next_reward_within_reach(client, auth, make, program):
    make.product(program.brand, name="Harbor Tee", points_cost=200)
    make.product(program.brand, name="Battery", points_cost=1000)
    scan(make, program.member, program.product)  # 150 points
    auth.login(program.email)
    html = client.get("/").get_data(as_text=True)
    assert html.index('id="dashboard-balance"') < html.index('id="next-reward"')
    reward = html.split('id="next-reward"', 1)[1].split("</section>", 1)[0]
    assert "Next reward" in reward and "Harbor Tee" in reward and "50 points to go" in reward
    assert 'id="ways-to-earn"' in html and "Quick links" not in html
    scan(make, program.member, program.product)  # 300 points: the tee is in reach
    reward = client.get("/").get_data(as_text=True).split('id="next-reward"', 1)[1]
    assert "Ready to redeem" in reward.split("</section>", 1)[0] and "Redeem it" in reward


def test_scan_result_shows_what_the_points_bring_closer(client, auth, make, program):
    from tests.portal.member_world import HTMX, new_code

    make.product(program.brand, name="Harbor Tee", points_cost=400)
    auth.login(program.email)
    html = client.post("/scan", data={"code": new_code(make, program)}, headers=HTMX).get_data(
        as_text=True
    )
    closer = html.split('id="scan-closer"', 1)[1].split("</div>", 1)[0]
    assert "Harbor Tee" in closer and "250 points to go" in closer


def test_ways_to_earn_show_the_referrer_bonus_the_rules_pay(client, auth, make):
    """With no referral settings the rules pay 500; the dashboard used to say nothing (0)."""
    program = new_program(make)
    auth.login(program.email)
    html = client.get("/").get_data(as_text=True)
    assert "Refer a friend" in html and '<span class="earn-item__points">+500' in html


def test_ways_to_earn_show_a_brands_own_referrer_bonus(client, auth, make):
    program = new_program(make, referral={"referrer_bonus": 750})
    auth.login(program.email)
    assert '<span class="earn-item__points">+750' in client.get("/").get_data(as_text=True)


def test_ways_to_earn_list_the_campaigns_this_member_can_earn_now(client, auth, make):
    """A campaign on now shows with its multiplier or bonus and its last day on the brand's
    clock; one for another rank, an ended one and one not begun stay out."""
    from datetime import timedelta
    from decimal import Decimal

    from webapp.models import Campaign
    from webapp.timeutil import utcnow

    program = new_program(make)
    now = utcnow()
    ends = (now + timedelta(days=3)).replace(hour=12, minute=0, second=0)

    def campaign(name, **values):
        db.session.add(
            Campaign(
                brand_id=program.brand.id,
                name=name,
                starts_at=values.pop("starts_at", now - timedelta(hours=1)),
                ends_at=values.pop("ends_at", ends),
                **values,
            )
        )

    campaign("Double points weekend", multiplier=Decimal(2))
    campaign("Harvest bonus", bonus_points=75)
    campaign("Gold night", multiplier=Decimal(3), targets={"ranks": ["gold"]})
    campaign("Last week", multiplier=Decimal(2), ends_at=now - timedelta(days=1),
             starts_at=now - timedelta(days=8))  # fmt: skip
    campaign("Next month", multiplier=Decimal(2), starts_at=now + timedelta(days=30),
             ends_at=now + timedelta(days=31))  # fmt: skip
    db.session.commit()
    auth.login(program.email)
    html = client.get("/").get_data(as_text=True)
    ways = html[html.index('id="ways-to-earn"') : html.index("Recent activity")]
    double = ways[ways.index("Double points weekend") : ways.index("Harvest bonus")]
    assert '<span class="earn-item__points">2.00×</span>' in double
    assert "Harvest bonus" in ways and "+75" in ways
    assert "Gold night" not in ways and "Last week" not in ways and "Next month" not in ways
    assert f"On qualifying scans through {ends.strftime('%b')}" in ways
