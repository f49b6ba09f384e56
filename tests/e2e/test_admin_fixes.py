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


LAYOUT_PAGES = (
    "/admin/",
    "/admin/members",
    "/admin/products",
    "/admin/redemptions",
    "/admin/achievements",
    "/admin/customerio",
    "/admin/settings",
)


@pytest.mark.parametrize("viewport", [DESKTOP, LAPTOP], ids=["1280", "1024"])
def test_admin_layout_holds_without_sideways_scrolling(new_context, live_server, viewport):
    page = staff_page(new_context, live_server)
    page.set_viewport_size(viewport)
    for path in LAYOUT_PAGES:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        nav = page.locator("nav.admin-nav").bounding_box()
        content = page.locator(".admin-content").bounding_box()
        assert nav["x"] + nav["width"] <= content["x"], path  # the sidebar beside the content
        assert content["x"] + content["width"] <= viewport["width"], path
        header = page.locator(".app-header").bounding_box()
        assert header["height"] <= 80, path  # one line: brand, badge, portal link, sign out
        clipped = page.evaluate(
            "[...document.querySelectorAll('.table-wrap')]"
            ".filter(w => w.scrollWidth > w.clientWidth + 1).length"
        )
        assert clipped == 0, path  # every table fits: nothing hidden behind a scroll


def column_texts(page, index):
    return page.locator(f"table tbody tr td:nth-child({index})").all_inner_texts()


def test_product_table_sorts_by_any_column(new_context, live_server):
    page = staff_page(new_context, live_server)
    page.goto("/admin/products")
    page.click("th >> text=Name")
    names = column_texts(page, 1)
    assert names == sorted(names, key=str.lower) and len(names) > 3
    assert page.locator("th[aria-sort=ascending]").text_content().strip().startswith("Name")
    page.click("th >> text=Name")
    assert column_texts(page, 1) == sorted(names, key=str.lower, reverse=True)
    page.click("th >> text=per scan")
    awards = [int(text.replace(",", "")) for text in column_texts(page, 4)]
    assert awards == sorted(awards)


def test_members_sort_by_email_on_the_server(new_context, live_server):
    page = staff_page(new_context, live_server)
    page.goto("/admin/members")
    page.click("th >> text=Email")
    page.wait_for_url("**sort=email**")
    emails = [text.split()[0] for text in column_texts(page, 1)]
    assert emails == sorted(emails) and len(emails) >= 2
    assert page.locator("th[aria-sort=ascending]").text_content().strip().startswith("Email")


def test_empty_lists_say_what_to_do(new_context, live_server):
    page = staff_page(new_context, live_server)
    page.goto("/admin/members?q=nobody-by-this-name")
    empty = page.locator(".empty-state")
    assert "No member matches" in empty.inner_text()
    assert empty.locator("a", has_text="Show every member").is_visible()
    page.goto("/admin/redemptions?status=cancelled")
    empty = page.locator(".empty-state")
    assert "No cancelled redemptions" in empty.inner_text()
    empty.locator("a", has_text="See every redemption").click()
    page.wait_for_url("**/admin/redemptions")
