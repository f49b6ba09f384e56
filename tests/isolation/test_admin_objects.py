"""Brand B's owner, on B's own admin, names every object of brand A by id: each admin route
with an id (generated from the URL map) answers 404 and changes nothing of A's."""

import re

import pytest
from sqlalchemy import func, select

from tests.admin.conftest import HOST_B, sign_in
from tests.admin.test_access import ROUTES
from webapp.extensions import db
from webapp.models import (
    AchievementConfig,
    BrandStaff,
    Campaign,
    CodeBatch,
    ConsentEvent,
    CustomerIoEventQueue,
    CustomerIoWebhookLog,
    CustomField,
    JurisdictionRule,
    MemberWallet,
    Product,
    Rank,
    Redemption,
    ScanCode,
    StaffAuditLog,
    UserActionLog,
)

pytestmark = pytest.mark.sqlite_ok

OBJECT_ROUTES = [route for route in ROUTES if "<int:" in route[1]]
WATCHED = (
    AchievementConfig,
    BrandStaff,
    Campaign,
    CodeBatch,
    ConsentEvent,
    CustomerIoEventQueue,
    CustomerIoWebhookLog,
    CustomField,
    JurisdictionRule,
    MemberWallet,
    Product,
    Rank,
    Redemption,
    ScanCode,
    StaffAuditLog,
    UserActionLog,
)
# What a curious owner would post: enough to pass every form of the admin.
FORM = {
    "delta": "-500", "reason": "take it", "note": "sent", "achievement_key": "first",
    "name": "Taken", "sku": "TAKEN", "msrp": "1", "points_award": "1", "key": "taken",
    "points_required": "1", "point_multiplier": "1.00", "field_key": "taken",
    "field_label": "Taken", "field_type": "text", "role": "owner", "quantity": "5",
    "confirm": "VOID", "region": "US-NV", "min_age": "21", "channel": "email", "granted": "1",
}  # fmt: skip


def snapshot():
    """Row counts and the A member's wallet: what an attack would have to change."""
    db.session.expire_all()
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
              for model in WATCHED}  # fmt: skip
    balances = db.session.execute(
        select(MemberWallet.user_id, MemberWallet.brand_id, MemberWallet.points_balance)
    ).all()
    states = db.session.execute(select(Redemption.id, Redemption.status)).all()
    voided = db.session.scalar(select(func.count()).where(ScanCode.voided_at.is_not(None)))
    return counts, sorted(balances), sorted(states), voided


def test_every_object_route_is_covered():
    assert len(OBJECT_ROUTES) == 42  # a new route with an id joins this suite by itself


@pytest.mark.parametrize(("endpoint", "rule", "method"), OBJECT_ROUTES)
def test_brand_b_owner_reaches_no_object_of_brand_a(app, client, world, endpoint, rule, method):
    sign_in(client, world.emails["other_owner"], HOST_B)
    with app.app_context():
        before = snapshot()
    url = re.sub(r"<int:(\w+)>", lambda m: str(world.ids[m.group(1)]), rule)
    if method == "GET":
        response = client.get(url, base_url=HOST_B)
    else:
        response = client.post(url, data=FORM, base_url=HOST_B)
    assert response.status_code == 404, (endpoint, response.status_code)
    with app.app_context():
        assert snapshot() == before
