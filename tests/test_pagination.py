"""One pagination helper and one pager macro for every paged list."""

import pytest
from sqlalchemy import select

from webapp.models import Brand
from webapp.pagination import MAX_PAGE, Page, paginate

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def five_brands(app, make):
    """Five brands' ids, in id order."""
    return [make.brand().id for _ in range(5)]


def brand_ids():
    return select(Brand.id).order_by(Brand.id)


def test_first_page_has_a_next_and_no_previous(five_brands):
    page = paginate(brand_ids(), 1, 2, scalars=True)
    assert page == Page(five_brands[:2], 1, True) and not page.has_previous


def test_middle_page_has_both_neighbours(five_brands):
    page = paginate(brand_ids(), 2, 2, scalars=True)
    assert page.rows == five_brands[2:4] and page.has_next and page.has_previous


def test_last_page_has_no_next(five_brands):
    page = paginate(brand_ids(), 3, 2, scalars=True)
    assert page.rows == five_brands[4:] and not page.has_next and page.has_previous


def test_exactly_full_last_page_has_no_next(five_brands):
    page = paginate(brand_ids(), 1, 5, scalars=True)
    assert page.rows == five_brands and not page.has_next


@pytest.mark.parametrize(("asked", "number"), [(0, 1), (-7, 1), (10**20, MAX_PAGE)])
def test_out_of_range_numbers_are_clamped(five_brands, asked, number):
    page = paginate(brand_ids(), asked, 2, scalars=True)
    assert page.number == number
    assert page.rows == (five_brands[:2] if number == 1 else [])


def test_past_the_end_is_an_empty_page_that_links_back(five_brands):
    page = paginate(brand_ids(), 9, 2, scalars=True)
    assert page.rows == [] and not page.has_next and page.has_previous


def test_rows_of_several_columns(five_brands):
    page = paginate(select(Brand.id, Brand.slug).order_by(Brand.id), 1, 2)
    assert [row.id for row in page.rows] == five_brands[:2]


def render_pager(app, page, **args):
    with app.test_request_context():
        macros = app.jinja_env.get_template("_macros.html").module
        return str(macros.pager(page, "admin.audit", **args))


@pytest.mark.parametrize(
    ("page", "links"),
    [
        (Page([], 1, True), ['href="/admin/audit?page=2" rel="next">Next']),
        (Page([], 2, True), ['?page=1" rel="prev">Previous', '?page=3" rel="next">Next']),
        (Page([], 3, False), ['href="/admin/audit?page=2" rel="prev">Previous']),
        (Page([], 1, False), []),
    ],
)
def test_pager_links_first_middle_last_and_single_pages(app, page, links):
    html = render_pager(app, page)
    assert [link for link in links if link in html] == links
    assert html.count("<a ") == len(links)


def test_pager_keeps_the_other_arguments_and_says_newer_older(app):
    html = render_pager(app, Page([], 2, True), newer_older=True, q="ada")
    assert 'href="/admin/audit?page=1&amp;q=ada" rel="prev">Newer' in html
    assert 'href="/admin/audit?page=3&amp;q=ada" rel="next">Older' in html
