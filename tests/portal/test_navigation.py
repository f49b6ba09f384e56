"""The tab bar: tabs are listed by endpoint and the request's endpoint picks the active one."""

import re

import pytest

from tests.portal.member_world import new_program
from webapp.portal.navigation import TABS

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def member(client, auth, make):
    program = new_program(make)
    auth.login(program.email)
    return program


def active_tabs(html):
    """Labels of the tab bar links marked as the current page."""
    tabbar = html.split('<nav class="tabbar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(
        r'aria-current="page">.*?<span class="tabbar__label">([^<]+)</span>', tabbar, re.S
    )


@pytest.mark.parametrize(
    ("path", "active"),
    [
        ("/", ["Home"]),
        ("/scan", ["Scan"]),
        ("/rewards", ["Rewards"]),
        ("/rewards/mine", ["Rewards"]),
        ("/achievements", ["Achievements"]),
        ("/profile", ["Profile"]),
        ("/profile/delete", ["Profile"]),
        ("/history", []),
        ("/wishlist", []),
    ],
)
def test_the_active_tab_follows_the_endpoint(client, member, path, active):
    response = client.get(path)
    assert response.status_code == 200
    assert active_tabs(response.get_data(as_text=True)) == active


def test_every_tab_and_inner_page_is_a_real_endpoint(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for tab in TABS:
        assert {tab.endpoint, *tab.inner_endpoints} <= endpoints
