"""htmx-flask answers: request.htmx picks the partial, its make_response sets HX-* headers."""

import pytest
from htmx_flask import Htmx

from tests.portal.member_world import HTMX, new_program

pytestmark = pytest.mark.sqlite_ok


def test_the_extension_is_installed(app):
    assert isinstance(app.extensions["htmx"], Htmx)


def test_a_non_member_is_sent_to_join_by_redirect_or_hx_redirect(client, auth, make):
    new_program(make)
    outsider = make.user(brands=[])
    auth.login(outsider.email)
    plain = client.get("/rewards")
    assert plain.status_code == 303 and "/join" in plain.headers["Location"]
    from_htmx = client.get("/rewards", headers=HTMX)
    assert from_htmx.status_code == 200 and from_htmx.headers["HX-Redirect"].startswith("/join")


def test_htmx_gets_the_partial_and_a_browser_the_page(client, auth, make):
    program = new_program(make)
    auth.login(program.email)
    page = client.get("/goals").get_data(as_text=True)
    partial = client.get("/goals", headers=HTMX).get_data(as_text=True)
    assert "<html" in page and "<html" not in partial and 'id="goals-panel"' in partial
