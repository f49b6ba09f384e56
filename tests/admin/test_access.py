"""Access-control matrix: every /admin route x every kind of visitor -> the expected status."""

import pytest

from tests.admin.conftest import HOST_A, HOST_B, sign_in
from tests.conftest import app_config
from webapp import create_app
from webapp.admin.security import ENDPOINT_ROLES

ALL = {"support", "manager", "owner"}
PROGRAM = {"manager", "owner"}
OWNER = {"owner"}

# The expectation table: which roles of brand A may use each admin endpoint.
EXPECTED = {
    "admin.dashboard": ALL,
    "admin.products": PROGRAM,
    "admin.product_new": PROGRAM,
    "admin.product_edit": PROGRAM,
    "admin.product_delete": PROGRAM,
    "admin.product_batches": PROGRAM,
    "admin.batch": PROGRAM,
    "admin.batch_csv": PROGRAM,
    "admin.batch_sheet": PROGRAM,
    "admin.batch_void": PROGRAM,
    "admin.batch_recall": PROGRAM,
    "admin.ranks": PROGRAM,
    "admin.rank_new": PROGRAM,
    "admin.rank_edit": PROGRAM,
    "admin.rank_delete": PROGRAM,
    "admin.campaigns": PROGRAM,
    "admin.campaign_new": PROGRAM,
    "admin.campaign_edit": PROGRAM,
    "admin.campaign_end": PROGRAM,
    "admin.custom_fields": PROGRAM,
    "admin.custom_field_new": PROGRAM,
    "admin.custom_field_edit": PROGRAM,
    "admin.custom_field_delete": PROGRAM,
    "admin.settings": OWNER,
    "admin.staff_list": OWNER,
    "admin.staff_role": OWNER,
    "admin.staff_remove": OWNER,
    "admin.audit": OWNER,
    "admin.members": ALL,
    "admin.member": ALL,
    "admin.member_adjust_points": ALL,
    "admin.member_grant_achievement": ALL,
    "admin.member_send_link": ALL,
    "admin.redemptions": ALL,
    "admin.redemption_fulfil": ALL,
    "admin.redemption_cancel": ALL,
    "admin.redemptions_csv": ALL,
    "admin.referral_review": ALL,
    "admin.achievements": PROGRAM,
    "admin.achievement_new": PROGRAM,
    "admin.achievement_edit": PROGRAM,
    "admin.achievement_preview": PROGRAM,
    "admin.achievement_delete": PROGRAM,
    "admin.customerio": ALL,
    "admin.customerio_retry": OWNER,
    "admin.customerio_retry_failed": PROGRAM,
    "admin.customerio_webhook": ALL,
    "admin.customerio_reprocess": OWNER,
    "admin.customerio_credentials": OWNER,
    "admin.customerio_test_event": OWNER,
    "admin.regions": PROGRAM,
    "admin.region_edit": PROGRAM,
    "admin.region_delete": PROGRAM,
    "admin.region_examples": PROGRAM,
    "admin.consent_texts": OWNER,
    "admin.member_consent": ALL,
}
VISITORS = ("anonymous", "consumer", "support", "manager", "owner", "other_owner")


def admin_routes():
    """(endpoint, rule, method) for every admin route of a freshly built app."""
    application = create_app(app_config("sqlite://"))
    return sorted(
        (rule.endpoint, rule.rule, method)
        for rule in application.url_map.iter_rules()
        if rule.rule.startswith("/admin")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


ROUTES = admin_routes()


def expected_status(endpoint, rule, method, visitor):
    """The status the matrix expects (a tuple of acceptable codes)."""
    allowed_codes = (200,) if method == "GET" else (200, 303)
    if visitor == "anonymous":
        return (302,)
    if visitor == "consumer":
        return (403,)
    if visitor == "other_owner":
        return (404,) if "<" in rule else allowed_codes
    return allowed_codes if visitor in EXPECTED[endpoint] else (403,)


def test_every_admin_route_has_an_expectation_and_a_role_rule():
    endpoints = {endpoint for endpoint, _, _ in ROUTES}
    assert endpoints - EXPECTED.keys() == set(), "add the new route to EXPECTED"
    assert endpoints - ENDPOINT_ROLES.keys() == set(), "declare the new route's roles"
    for endpoint in endpoints:
        assert set(ENDPOINT_ROLES[endpoint]) == EXPECTED[endpoint], endpoint


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("endpoint", "rule", "method"), ROUTES)
def test_access_matrix(client, world, endpoint, rule, method, visitor):
    assert endpoint in EXPECTED, f"{endpoint} has no rule in the expectation table"
    host = HOST_B if visitor == "other_owner" else HOST_A
    if visitor != "anonymous":
        sign_in(client, world.emails[visitor], host)
    path = rule
    for name, value in world.ids.items():
        path = path.replace(f"<int:{name}>", str(value))
    response = client.open(path, method=method, base_url=host)
    assert response.status_code in expected_status(endpoint, rule, method, visitor)
    if visitor == "anonymous":
        assert response.headers["Location"].startswith("/login?next=")
        assert path.rstrip("/") in response.headers["Location"].replace("%2F", "/")
