"""The admin dashboard shows the brand's own points expiring in the next 30 days."""

import pytest

from tests.admin.conftest import HOST_A, HOST_B, sign_in
from tests.portal.test_points_expiry import earned_days_ago
from webapp.extensions import db
from webapp.models import Brand

pytestmark = pytest.mark.sqlite_ok


def points_expiring_figure(html):
    section = html.split('id="points-expiring">', 1)[1]
    return section.split("<", 1)[0]


def test_the_admin_dashboard_shows_the_brands_points_expiring_soon(app, client, world, make):
    with app.app_context():
        for brand_id, points in ((world.brand_a.id, 300), (world.brand_b.id, 7000)):
            brand = db.session.get(Brand, brand_id)
            brand.settings = {
                **brand.settings,
                "points_expiry": {"policy": "inactivity", "months": 2},
            }
            db.session.commit()
            soon, later = make.user(brands=[brand]), make.user(brands=[brand])
            earned_days_ago(soon, brand, points, 50)  # expires in about ten days
            earned_days_ago(later, brand, 90, 1)  # in about two months: after the window

    html = (
        sign_in(client, world.emails["owner"])
        .get("/admin/", base_url=HOST_A)
        .get_data(as_text=True)
    )
    assert points_expiring_figure(html) == "300"
    other = sign_in(app.test_client(), world.emails["other_owner"], HOST_B)
    assert (
        points_expiring_figure(other.get("/admin/", base_url=HOST_B).get_data(as_text=True))
        == "7,000"
    )
