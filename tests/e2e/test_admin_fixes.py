"""Admin screens that used to be broken, in a real browser at 1280 and 1024 px: the member
chrome on every admin page, the members search form, and the members-by-rank chart."""

import pytest
from sqlalchemy import func, select

from tests.conftest import app_config
from tests.e2e.test_admin_journeys import DESKTOP, staff_page
from tests.e2e.test_portal_fixes import overlaps
from webapp import create_app
from webapp.extensions import db
from webapp.loyalty.ranks import ladder
from webapp.models import BrandStaff, User

LAPTOP = {"width": 1024, "height": 768}
ADMIN_PAGES = ("/admin/", "/admin/members", "/admin/products", "/admin/redemptions")


def test_admin_pages_show_no_member_chrome(new_context, live_server):
    page = staff_page(new_context, live_server)
    for path in ADMIN_PAGES:
        page.goto(path)
        assert page.locator("#points-balance").count() == 0, path
        assert page.locator(".balance-pill, .rank-chip").count() == 0, path
        assert page.locator("nav.tabbar").count() == 0, path
        assert page.locator(".app-header button:has-text('Sign out')").is_visible(), path


@pytest.mark.parametrize("viewport", [DESKTOP, LAPTOP], ids=["1280", "1024"])
def test_members_search_form_holds_its_layout(new_context, live_server, viewport):
    page = staff_page(new_context, live_server)
    page.set_viewport_size(viewport)
    page.goto("/admin/members")
    form = page.locator("form[role=search]").bounding_box()
    label = page.locator("label[for=member-search]")
    field = page.locator("#member-search").bounding_box()
    button = page.locator("form[role=search] button[type=submit]").bounding_box()
    assert label.evaluate("el => el.scrollWidth <= el.clientWidth")
    for box in (label.bounding_box(), field, button):
        assert box["x"] >= form["x"] and box["x"] + box["width"] <= form["x"] + form["width"]
        assert box["y"] >= form["y"] and box["y"] + box["height"] <= form["y"] + form["height"]
    assert not overlaps(field, button)
    assert abs(field["y"] - button["y"]) < field["height"]  # one line: field, then button


def member_counts_by_rank(database_url, brand_slug):
    """{rank name: members who are not staff} straight from the served database."""
    app = create_app(app_config(database_url, REDIS_URL=None))
    with app.app_context():
        from webapp.models import Brand

        brand = db.session.scalar(select(Brand).where(Brand.slug == brand_slug))
        staff = select(BrandStaff.user_id).where(BrandStaff.brand_id == brand.id)
        rows = db.session.execute(
            select(User.current_rank_key, func.count())
            .where(
                User.signup_brand_id == brand.id,
                User.deleted_at.is_(None),
                User.id.not_in(staff),
            )
            .group_by(User.current_rank_key)
        ).all()
        names = {step.key: step.name for step in ladder(brand.id)}
        lowest = ladder(brand.id)[0].name
        counts = dict.fromkeys(names.values(), 0)
        for key, count in rows:
            counts[names.get(key, lowest)] += count
        db.session.remove()
        db.engine.dispose()
    return counts


def test_members_by_rank_names_each_rank_once_and_leaves_staff_out(new_context, live_server):
    page = staff_page(new_context, live_server)
    page.goto("/admin/")
    rows = page.locator("#chart-ranks .chart__row").all()
    labels = [row.get_attribute("data-name") for row in rows]
    values = [int(row.get_attribute("data-value")) for row in rows]
    assert len(labels) == len(set(labels)), labels
    assert "member" not in labels and "Member" in labels and "Bronze" in labels
    expected = member_counts_by_rank(live_server["database_url"], live_server["demo"]["brand"])
    assert dict(zip(labels, values, strict=True)) == expected
