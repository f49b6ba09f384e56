"""Redemptions: the queue, fulfil, cancel with refund (htmx and plain POST), shipping CSV."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories
from tests.admin.conftest import HOST_A, HOST_B, sign_in
from webapp.extensions import db
from webapp.models import Redemption, StaffAuditLog, User, UserActionLog
from webapp.timeutil import utcnow

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def funded_member(app, world):
    """Brand A's member from the world holds 500 points; its pending redemption cost 100."""
    with app.app_context():
        db.session.get(User, world.ids["member_id"]).points_balance = 500
        db.session.get(Redemption, world.ids["redemption_id"]).points_spent = 100
        db.session.commit()


def add_redemption(user, product, status="pending", age_days=0, **shipping):
    """A redemption row for `user` (created `age_days` ago)."""
    values = {
        "shipping_name": user.first_name,
        "shipping_address1": "1 Harbor Way",
        "shipping_city": "Portland",
        "shipping_region": "OR",
        "shipping_postal_code": "97201",
        "shipping_country": "US",
    }
    values.update(shipping)
    row = Redemption(
        user_id=user.id,
        brand_id=product.brand_id,
        product_id=product.id,
        points_spent=100,
        status=status,
        created_at=utcnow() - timedelta(days=age_days),
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def redemption(app, redemption_id):
    """The redemption's (status, staff_note, handled_by_user_id)."""
    with app.app_context():
        row = db.session.get(Redemption, redemption_id)
        return row.status, row.staff_note, row.handled_by_user_id


def audit_actions(app):
    """(action, target_id) of the audit log, oldest first."""
    with app.app_context():
        rows = db.session.execute(
            select(StaffAuditLog.action, StaffAuditLog.target_id).order_by(StaffAuditLog.id)
        )
        return [tuple(row) for row in rows]


def test_queue_lists_pending_first_then_oldest_and_filters(app, owner, world):
    with app.app_context():
        member = db.session.get(User, world.ids["member_id"])
        product = factories.product(world.brand_a, name="Harbor Tee")
        old_done = add_redemption(member, product, "fulfilled", age_days=9)
        new_pending = add_redemption(member, product, age_days=1)
        old_pending = add_redemption(member, product, age_days=5)
    html = owner.get("/admin/redemptions", base_url=HOST_A).text
    order = [world.ids["redemption_id"], new_pending, old_pending, old_done]
    positions = {rid: html.index(f'id="redemption-{rid}"') for rid in order}
    assert positions[old_pending] < positions[new_pending] < positions[old_done]
    fulfilled = owner.get("/admin/redemptions?status=fulfilled", base_url=HOST_A).text
    assert f'id="redemption-{old_done}"' in fulfilled
    assert f'id="redemption-{old_pending}"' not in fulfilled


@pytest.mark.sqlite_ok
def test_fulfil_plain_post_redirects_and_records(app, client, world):
    sign_in(client, world.emails["support"])
    rid = world.ids["redemption_id"]
    response = client.post(
        f"/admin/redemptions/{rid}/fulfil", data={"note": "UPS 1Z999"}, base_url=HOST_A
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/redemptions")
    assert redemption(app, rid) == ("fulfilled", "UPS 1Z999", world.users["support"].id)
    assert audit_actions(app) == [("redemption_fulfilled", rid)]
    again = client.post(f"/admin/redemptions/{rid}/fulfil", base_url=HOST_A, follow_redirects=True)
    assert "Only pending redemptions can be changed." in again.text


def test_fulfil_from_htmx_answers_with_the_row(app, owner, world):
    rid = world.ids["redemption_id"]
    response = owner.post(
        f"/admin/redemptions/{rid}/fulfil", data={"note": ""}, headers=HTMX, base_url=HOST_A
    )
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith(f'<tr id="redemption-{rid}"')
    assert 'data-status="fulfilled"' in html and "Marked as fulfilled." in html
    assert "<html" not in html and "Fulfil</button>" not in html
    assert redemption(app, rid)[:2] == ("fulfilled", None)


@pytest.mark.sqlite_ok
def test_cancel_refunds_the_points(app, owner, world):
    rid = world.ids["redemption_id"]
    response = owner.post(
        f"/admin/redemptions/{rid}/cancel",
        data={"reason": "Out of stock"},
        headers=HTMX,
        base_url=HOST_A,
    )
    assert response.status_code == 200
    assert "100 points went back to the member" in response.text
    assert redemption(app, rid)[:2] == ("cancelled", "Out of stock")
    with app.app_context():
        assert db.session.get(User, world.ids["member_id"]).points_balance == 600
        refund = db.session.scalar(
            select(UserActionLog).where(UserActionLog.action_type == "points_refunded")
        )
        assert refund.points_awarded == 100
    assert audit_actions(app) == [("redemption_cancelled", rid)]


def test_cancel_needs_a_reason(app, owner, world):
    rid = world.ids["redemption_id"]
    plain = owner.post(
        f"/admin/redemptions/{rid}/cancel",
        data={"reason": " "},
        base_url=HOST_A,
        follow_redirects=True,
    )
    assert "Say why the redemption is cancelled" in plain.text
    row = owner.post(f"/admin/redemptions/{rid}/cancel", headers=HTMX, base_url=HOST_A)
    assert row.status_code == 200
    assert 'role="alert"' in row.text and 'data-status="pending"' in row.text
    assert redemption(app, rid)[0] == "pending"
    assert audit_actions(app) == []
    with app.app_context():
        assert db.session.get(User, world.ids["member_id"]).points_balance == 500


def test_another_brands_redemption_is_404(app, client, world):
    with app.app_context():
        stranger = factories.user()
        theirs = add_redemption(stranger, factories.product(world.brand_b))
    sign_in(client, world.emails["owner"])
    for action, data in (("fulfil", {"note": "x"}), ("cancel", {"reason": "x"})):
        response = client.post(f"/admin/redemptions/{theirs}/{action}", data=data, base_url=HOST_A)
        assert response.status_code == 404
    assert redemption(app, theirs)[0] == "pending"
    assert f"redemption-{theirs}" not in client.get("/admin/redemptions", base_url=HOST_A).text
    assert audit_actions(app) == []


def test_brand_b_owner_cannot_touch_brand_a_redemption(app, client, world):
    sign_in(client, world.emails["other_owner"], HOST_B)
    rid = world.ids["redemption_id"]
    response = client.post(f"/admin/redemptions/{rid}/fulfil", base_url=HOST_B)
    assert response.status_code == 404
    assert redemption(app, rid)[0] == "pending"


@pytest.mark.sqlite_ok
def test_shipping_csv(app, owner, world):
    with app.app_context():
        member = db.session.get(User, world.ids["member_id"])
        product = factories.product(world.brand_a, sku="GH-TEE", name='Tee, "large"')
        rid = add_redemption(
            member, product, shipping_address2="Apt 4", shipping_phone="5035550100"
        )
        add_redemption(factories.user(), factories.product(world.brand_b))
        email = member.email
    response = owner.get("/admin/redemptions.csv", base_url=HOST_A)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["id", "created", "member email", "name"]
    assert len(rows) == 3
    ours = next(r for r in rows[1:] if r[0] == str(rid))
    assert ours[2] == email and ours[4:7] == ["1 Harbor Way", "Apt 4", "Portland"]
    assert ours[7:] == ["OR", "97201", "US", "5035550100", "GH-TEE", 'Tee, "large"', "pending"]
    fulfilled_only = owner.get("/admin/redemptions.csv?status=fulfilled", base_url=HOST_A)
    assert len(list(csv.reader(io.StringIO(fulfilled_only.text)))) == 1
