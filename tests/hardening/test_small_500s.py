"""The smaller 500s: huge page numbers and integers, partial forms, bodies of the wrong kind."""

import io
import json

import pytest

from tests import factories
from tests.admin.conftest import HOST_A, sign_in
from webapp.extensions import db
from webapp.models import Product

HUGE = "9" * 400
PAGED = [
    "/admin/members?page=99999999999999999999",
    "/admin/members/{member_id}?page=99999999999999999999",
    "/admin/redemptions?page=99999999999999999999",
    "/admin/audit?page=99999999999999999999",
    "/admin/batches/{batch_id}/sheet?page=99999999999999999999",
    "/history?page=99999999999999999999",
]


@pytest.mark.parametrize("path", PAGED)
def test_huge_page_numbers_are_an_empty_page_not_an_error(client, world, path):
    factories.member(world.users["owner"], world.brand_a)  # the member pages are A's
    sign_in(client, world.emails["owner"])
    response = client.get(path.format(**world.ids), base_url=HOST_A)
    assert response.status_code in (200, 404)


NUMBER_FORMS = [
    ("/admin/products/new", {"sku": "S-1", "name": "N", "msrp": HUGE, "points_award": HUGE}),
    ("/admin/products/{product_id}/batches", {"quantity": HUGE}),
    ("/admin/ranks/new", {"rank_key": "k", "name": "K", "points_required": HUGE,
                          "point_multiplier": HUGE}),
    ("/admin/members/{member_id}/points", {"delta": HUGE, "reason": "because"}),
    ("/admin/settings", {"name": "B", "minimum_age": HUGE, "referrer_bonus": HUGE,
                         "points_word": "P", "rank_word": "R"}),
    ("/admin/custom-fields/new", {"field_key": "k", "field_label": "L", "field_type": "text",
                                  "field_order": HUGE}),
    ("/goals", {"name": "A goal", "target_points": HUGE}),
]  # fmt: skip


@pytest.mark.parametrize("path, data", NUMBER_FORMS)
def test_huge_integers_in_number_fields_get_a_message(client, world, path, data):
    sign_in(client, world.emails["owner"])
    response = client.post(path.format(**world.ids), data=data, base_url=HOST_A)
    assert response.status_code < 500
    if response.status_code in (200, 422):
        assert 'role="alert"' in response.get_data(as_text=True)


def test_a_product_edit_without_tags_keeps_the_tags(client, world):
    product = db.session.get(Product, world.ids["product_id"])
    product.tags = ["calm", "night"]
    db.session.commit()
    sign_in(client, world.emails["owner"])
    data = {"sku": product.sku, "name": "Renamed", "msrp": "10", "points_award": "5"}
    data |= {"strain_type": "", "required_rank_key": ""}
    path = f"/admin/products/{product.id}/edit"
    response = client.post(path, data=data, base_url=HOST_A)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Product, product.id).tags == ["calm", "night"]


@pytest.mark.parametrize("body", ["[1]", "false", '[""]', "{}", '{"email": ["a"]}', "null"])
@pytest.mark.parametrize("path", ["/login", "/register", "/profile", "/admin/products/new"])
def test_json_bodies_to_form_views_are_refused_clearly(client, world, body, path):
    sign_in(client, world.emails["owner"])
    response = client.post(path, data=body, content_type="application/json", base_url=HOST_A)
    assert response.status_code == 415
    assert "form" in response.get_data(as_text=True)


# Every form but the picture forms (product photo, brand logo), which take their file.
@pytest.mark.parametrize("path", ["/login", "/profile", "/scan", "/admin/ranks/new"])
def test_file_bodies_to_form_views_are_refused_clearly(client, world, path):
    sign_in(client, world.emails["owner"])
    data = {"email": (io.BytesIO(b"\x00\xff" * 100), "x.bin"), "code": (io.BytesIO(b"1"), "c")}
    response = client.post(path, data=data, content_type="multipart/form-data", base_url=HOST_A)
    assert response.status_code == 415 and "form" in response.get_data(as_text=True)


def test_webhook_json_is_still_read(client, world):
    response = client.post(
        "/webhooks/customerio", data=json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 401
