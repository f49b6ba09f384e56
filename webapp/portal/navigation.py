"""The tab bar: the member's main pages, as `nav_links` for every template.

Each tab names its view's endpoint and the endpoints of the pages inside it; the tab of the
request's endpoint is the active one (no matching of paths).
"""

from typing import NamedTuple

from flask import request, url_for
from flask_babel import gettext

from webapp.translation_marks import N_


class Tab(NamedTuple):
    """One tab: the page it opens, its label and icon, and the pages it stays active on."""

    endpoint: str
    label: str
    icon_name: str
    inner_endpoints: tuple = ()

    def is_active(self, endpoint):
        """True when `endpoint` is this tab's page or one inside it."""
        return endpoint == self.endpoint or endpoint in self.inner_endpoints


TABS = (
    Tab("portal.index", N_("Home"), "home"),
    Tab("portal.scan", N_("Scan"), "scan"),
    Tab(
        "portal.rewards",
        N_("Rewards"),
        "rewards",
        (
            "portal.reward_detail",
            "portal.redeem_reward",
            "portal.review_redemption",
            "portal.my_redemptions",
        ),
    ),
    Tab("portal.achievements", N_("Achievements"), "achievements"),
    Tab(
        "portal.profile", N_("Profile"), "profile", ("portal.delete_account", "portal.export_data")
    ),
)


def nav_links():
    """(url, label, icon_name, is_active) for each tab."""
    return [
        (url_for(tab.endpoint), gettext(tab.label), tab.icon_name, tab.is_active(request.endpoint))
        for tab in TABS
    ]


def navigation_context():
    """Template context: the tab bar links."""
    return {"nav_links": nav_links()}
