"""The tab bar: the member's main pages, as `nav_links` for every template."""

from flask import current_app, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from webapp.translation_marks import N_

TABS = (
    ("/", N_("Home"), "home"),
    ("/scan", N_("Scan"), "scan"),
    ("/rewards", N_("Rewards"), "rewards"),
    ("/achievements", N_("Achievements"), "achievements"),
    ("/profile", N_("Profile"), "profile"),
)


def _url(path):
    """url_for of the view serving `path`; the path itself while that page isn't built."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(path, method="GET")
    except HTTPException:
        return path
    return url_for(endpoint, **values)


def _is_active(url):
    if url == url_for("portal.index"):
        return request.path == url
    return request.path == url or request.path.startswith(url + "/")


def nav_links():
    """(url, label, icon_name, is_active) for each tab."""
    links = []
    for path, label, icon_name in TABS:
        url = _url(path)
        links.append((url, gettext(label), icon_name, _is_active(url)))
    return links


def navigation_context():
    """Template context: the tab bar links."""
    return {"nav_links": nav_links()}
