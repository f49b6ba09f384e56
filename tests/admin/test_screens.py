"""Main flows: products, ranks, custom fields, brand settings, staff and the audit log."""

import pytest
from flask import g
from sqlalchemy import select

from tests import factories
from tests.admin.conftest import HOST_A, sign_in
from webapp.extensions import db
from webapp.loyalty.brand_directory import hosts_of
from webapp.models import (
    Brand,
    BrandStaff,
    CustomField,
    Product,
    Rank,
    StaffAuditLog,
    UserCustomFieldValue,
)
from webapp.tenancy import resolve_brand

PRODUCT = {
    "sku": "GH-001", "name": "Harbor Haze", "msrp": "45.00", "points_award": "150",
    "product_line": "Classics", "product_form": "Flower", "strain_name": "Haze",
    "strain_type": "Sativa", "potency_thc_percent": "22.5", "potency_cbd_percent": "0.1",
    "dominant_terpene": "Limonene", "tags": "citrus, daytime", "is_featured": "y",
    "points_cost": "2500", "required_rank_key": "gold", "description": "Bright.",
    "image_url": "https://example.com/haze.png", "is_active": "y",
}  # fmt: skip


def audit_actions(app):
    """The audit log's actions, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(StaffAuditLog.action).order_by(StaffAuditLog.id)))


@pytest.mark.sqlite_ok
def test_product_create_edit_and_list(app, world):
    client = app.test_client()
    sign_in(client, world.emails["manager"])
    response = client.post("/admin/products/new", data=PRODUCT, base_url=HOST_A)
    assert response.status_code == 303
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.sku == "GH-001"))
        assert product.brand_id == world.brand_a.id
        assert (product.points_cost, product.required_rank_key) == (2500, "gold")
        assert product.tags == ["citrus", "daytime"] and product.strain_type == "Sativa"
        product_id = product.id
    edited = dict(PRODUCT, name="Harbor Haze 2", points_cost="")
    client.post(f"/admin/products/{product_id}/edit", data=edited, base_url=HOST_A)
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.name, product.points_cost) == ("Harbor Haze 2", None)
    listing = client.get("/admin/products", base_url=HOST_A).get_data(as_text=True)
    assert "Harbor Haze 2" in listing
    assert audit_actions(app) == ["product_created", "product_updated"]


def test_product_bad_input_and_duplicate_sku(owner, world):
    bad = dict(PRODUCT, msrp="cheap", points_award="-1")
    html = owner.post("/admin/products/new", data=bad, base_url=HOST_A).get_data(as_text=True)
    assert html.count('role="alert"') >= 2
    owner.post("/admin/products/new", data=PRODUCT, base_url=HOST_A)
    again = owner.post("/admin/products/new", data=PRODUCT, base_url=HOST_A)
    assert again.status_code == 200
    assert "Another product already uses this SKU." in again.get_data(as_text=True)


def test_product_delete_asks_then_deactivates_when_codes_exist(app, owner, world):
    product_id = world.ids["product_id"]
    page = owner.get(f"/admin/products/{product_id}/delete", base_url=HOST_A)
    assert "deactivated" in page.get_data(as_text=True)
    owner.post(f"/admin/products/{product_id}/delete", base_url=HOST_A)
    with app.app_context():
        assert db.session.get(Product, product_id).is_active is False
        unused = factories.product(world.brand_a).id
    owner.post(f"/admin/products/{unused}/delete", base_url=HOST_A)
    with app.app_context():
        assert db.session.get(Product, unused) is None


@pytest.mark.sqlite_ok
def test_rank_crud_and_in_use_rank_is_deactivated(app, world):
    client = app.test_client()
    sign_in(client, world.emails["owner"])
    form = {"key": "silver", "name": "Silver", "points_required": "500", "point_multiplier": "1.5"}
    assert client.post("/admin/ranks/new", data=form, base_url=HOST_A).status_code == 303
    duplicate = client.post("/admin/ranks/new", data=form, base_url=HOST_A)
    assert "This key is already used." in duplicate.get_data(as_text=True)
    with app.app_context():
        silver = db.session.scalar(select(Rank).where(Rank.key == "silver"))
        assert silver.point_multiplier == pytest.approx(1.5)
        member = factories.user(current_rank_key="gold")
        assert member.current_rank_key == "gold"
    client.post(f"/admin/ranks/{world.ids['rank_id']}/delete", base_url=HOST_A)
    client.post(f"/admin/ranks/{silver.id}/delete", base_url=HOST_A)
    with app.app_context():
        assert db.session.get(Rank, world.ids["rank_id"]).is_active is False
        assert db.session.get(Rank, silver.id) is None


def test_custom_field_options_required_and_answered_field_is_deactivated(app, owner, world):
    form = {
        "field_key": "strain",
        "field_label": "Favourite strain",
        "field_type": "select",
        "field_options": "Sativa",
        "field_order": "2",
        "is_required": "y",
        "is_active": "y",
    }
    html = owner.post("/admin/custom-fields/new", data=form, base_url=HOST_A)
    assert "Give at least two options" in html.get_data(as_text=True)
    form["field_options"] = "Sativa, Indica"
    assert owner.post("/admin/custom-fields/new", data=form, base_url=HOST_A).status_code == 303
    with app.app_context():
        field = db.session.scalar(select(CustomField).where(CustomField.field_key == "strain"))
        assert field.field_options == ["Sativa", "Indica"] and field.is_required
        db.session.add(
            UserCustomFieldValue(
                user_id=world.users["consumer"].id, custom_field_id=field.id, field_value="Indica"
            )
        )
        db.session.commit()
    page = owner.get(f"/admin/custom-fields/{field.id}/delete", base_url=HOST_A)
    assert "deactivated" in page.get_data(as_text=True)
    owner.post(f"/admin/custom-fields/{field.id}/delete", base_url=HOST_A)
    owner.post(f"/admin/custom-fields/{world.ids['field_id']}/delete", base_url=HOST_A)
    with app.app_context():
        assert db.session.get(CustomField, field.id).is_active is False
        assert db.session.scalar(select(UserCustomFieldValue.field_value)) == "Indica"
        assert db.session.get(CustomField, world.ids["field_id"]) is None


SETTINGS = {
    "name": "Green Harbor", "hosts": "a.test, Rewards.Example.com", "points_word": "Leaves",
    "rank_word": "Tier", "primary": "#112233", "accent": "#445566", "background": "#FFFFFF",
    "text": "#000000", "minimum_age": "21", "referrer_bonus": "500", "referee_bonus": "100",
    "referral_expiry_days": "30", "bad_codes_per_user_per_hour": "10",
    "bad_codes_per_ip_per_hour": "30", "birthday_bonus": "25", "expiry_policy": "none",
    "expiry_months": "12", "expiry_reminder_days": "30, 7",
}  # fmt: skip


@pytest.mark.sqlite_ok
def test_settings_save_and_refresh_the_brand_cache(app, owner, world):
    assert owner.post("/admin/settings", data=SETTINGS, base_url=HOST_A).status_code == 303
    with app.app_context():
        brand = db.session.get(Brand, world.brand_a.id)
        assert brand.name == "Green Harbor"
        assert hosts_of(brand.id) == ["a.test", "rewards.example.com"]
        assert brand.settings["wording"] == {"points": "Leaves", "rank": "Tier"}
        assert brand.settings["theme"]["background"] == "#ffffff"
        assert brand.settings["referral"] == {
            "referrer_bonus": 500, "referee_bonus": 100, "expiry_days": 30,
        }  # fmt: skip
        assert brand.settings["rate_limits"]["bad_codes_per_ip_per_hour"] == 30
        assert brand.settings["birthday"] == {"bonus_points": 25}
        assert resolve_brand("rewards.example.com").id == brand.id  # cache was invalidated
    # pytest-flask keeps one app context (and so one `g`) for the whole test: forget the
    # brand resolved by the earlier requests, as a new request in production would.
    g.pop("brand", None)
    page = owner.get("/admin/settings", base_url=HOST_A).get_data(as_text=True)
    assert "--brand-primary: #112233" in page and 'data-theme-var="--brand-primary"' in page
    assert audit_actions(app) == ["settings_saved"]


def test_settings_bad_input_shows_messages(owner, world):
    bad = dict(SETTINGS, primary="red", minimum_age="12", bad_codes_per_ip_per_hour="")
    response = owner.post("/admin/settings", data=bad, base_url=HOST_A)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use a colour like #1f5f3f." in html and html.count('role="alert"') >= 3


def test_staff_add_change_role_remove_and_audit_page(app, owner, world):
    newcomer = None
    with app.app_context():
        newcomer = factories.user(email="new.staff@example.com", signup_brand_id=world.brand_a.id)
    missing = owner.post(
        "/admin/staff", data={"email": "nobody@example.com", "role": "support"}, base_url=HOST_A
    )
    assert "No member of this brand uses this email" in missing.get_data(as_text=True)
    added = owner.post(
        "/admin/staff", data={"email": "New.Staff@example.com", "role": "support"}, base_url=HOST_A
    )
    assert added.status_code == 303
    with app.app_context():
        row = db.session.scalar(select(BrandStaff).where(BrandStaff.user_id == newcomer.id))
        assert row.role == "support"
    owner.post(f"/admin/staff/{row.id}/role", data={"role": "manager"}, base_url=HOST_A)
    owner.post(f"/admin/staff/{row.id}/remove", base_url=HOST_A)
    last_owner = world.staff["owner"].id
    refused = owner.post(
        f"/admin/staff/{last_owner}/role",
        data={"role": "support"},
        base_url=HOST_A,
        follow_redirects=True,
    )
    assert "at least one owner" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(BrandStaff, row.id) is None
        assert db.session.get(BrandStaff, last_owner).role == "owner"
    assert audit_actions(app) == ["staff_added", "staff_role_changed", "staff_removed"]
    audit = owner.get("/admin/audit", base_url=HOST_A).get_data(as_text=True)
    assert audit.count('class="audit-row"') == 3 and world.emails["owner"] in audit
