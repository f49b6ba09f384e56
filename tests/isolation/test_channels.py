"""Every other channel between two brands: portal pages, outbound events and identifies,
exports, personalisation, the platform webhook endpoint, joining, hosts and the CLI."""

import json

import pytest
from flask import g
from sqlalchemy import select

from tests.isolation.conftest import HOST_A, HOST_B, deliver, sign_in, wallet
from webapp.extensions import db
from webapp.loyalty.brand_directory import hosts_of
from webapp.loyalty.redemption import redeem
from webapp.loyalty.scan import scan_code
from webapp.models import CustomerIoEventQueue, MemberAiProfile, MemberWallet

pytestmark = pytest.mark.sqlite_ok

SHIPPING = {"name": "Pat", "address1": "1 Main St", "city": "Portland", "region": "OR",
            "postal_code": "97201", "country": "US"}  # fmt: skip


def outbox_brands(person):
    """The brands of every outbox row about `person`."""
    return set(
        db.session.scalars(
            select(CustomerIoEventQueue.brand_id).where(CustomerIoEventQueue.user_id == person.id)
        )
    )


def test_portal_pages_of_b_show_only_bs_wallet_and_history(walls, make, client):
    code_a = make.scan_code(walls.product_a).code
    scan_code(walls.pat.id, code_a, brand_id=walls.brand_a.id)
    make.product(walls.brand_a, name="Harbor hoodie", points_cost=200)
    make.product(walls.brand_b, name="Ridge cap", points_cost=200)
    sign_in(client, walls.pat.email, HOST_B)
    pages = {path: client.get(path, base_url=HOST_B) for path in
             ("/", "/history", "/rewards", "/rank", "/goals", "/wishlist", "/achievements",
              "/referrals", "/profile")}  # fmt: skip
    assert {path: r.status_code for path, r in pages.items()} == dict.fromkeys(pages, 200)
    html = "".join(r.get_data(as_text=True) for r in pages.values())
    assert "Harbor" not in html and "Green Harbor" not in html
    assert "Ridge cap" in pages["/rewards"].get_data(as_text=True)
    assert 'id="points-balance" data-value="300"' in pages["/"].get_data(as_text=True)


def test_a_non_member_signed_in_on_b_is_asked_to_join_and_sees_no_wallet(walls, client):
    sign_in(client, walls.alice.email, HOST_B)
    for path in ("/", "/rewards", "/history", "/profile", "/scan"):
        response = client.get(path, base_url=HOST_B)
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/join")
    join = client.get("/join", base_url=HOST_B).get_data(as_text=True)
    assert "Join Blue Ridge Rewards" in join and 'id="points-balance"' not in join
    assert "checked" not in join.split('name="marketing_consent"')[1].split(">")[0]
    assert wallet(walls.alice, walls.brand_b) is None
    assert outbox_brands(walls.alice) <= {walls.brand_a.id}  # B heard nothing of her


def test_joining_b_makes_a_second_wallet_and_claims_the_waiting_code(walls, make, client):
    code = make.scan_code(walls.product_b).code
    sign_in(client, walls.alice.email, HOST_B)
    claim = client.post(f"/s/{code}", base_url=HOST_B)
    assert claim.status_code == 303 and claim.headers["Location"].startswith("/join")
    too_young = client.post(
        "/join", data={"date_of_birth": "2015-01-01", "accept_terms": "y"}, base_url=HOST_B
    )
    assert too_young.status_code == 200 and "You must be 21 or older" in too_young.text
    assert wallet(walls.alice, walls.brand_b) is None
    joined = client.post(
        "/join", data={"date_of_birth": "1990-05-01", "accept_terms": "y"}, base_url=HOST_B
    )
    assert joined.status_code == 303
    new = wallet(walls.alice, walls.brand_b)
    assert (new.points_balance, new.marketing_consent) == (100, False)  # the code was claimed
    assert wallet(walls.alice, walls.brand_a).points_balance == 700
    names = db.session.scalars(
        select(CustomerIoEventQueue.event_name).where(
            CustomerIoEventQueue.user_id == walls.alice.id,
            CustomerIoEventQueue.brand_id == walls.brand_b.id,
        )
    ).all()
    assert "brand_joined" in names and "product_scanned" in names


def test_events_and_identifies_go_to_the_scanned_brands_workspace_only(walls, make):
    deliver()
    already_events, already_identifies = len(walls.cio.events()), len(walls.cio.identifies())
    scan_code(walls.pat.id, make.scan_code(walls.product_b).code, brand_id=walls.brand_b.id)
    db.session.commit()
    deliver()
    events = walls.cio.events()[already_events:]
    identifies = walls.cio.identifies()[already_identifies:]
    assert events and {e["site_id"] for e in events} == {"site-b"}
    scanned = [e for e in events if e["name"] == "product_scanned"]
    assert scanned[0]["data"]["user_snapshot"]["economy"]["points_balance"] == 400
    assert identifies and {i["site_id"] for i in identifies} == {"site-b"}
    assert identifies[-1]["attributes"]["points_balance"] == 400


def test_signing_in_on_a_brand_you_have_not_joined_tells_it_nothing(walls, client):
    sign_in(client, walls.alice.email, HOST_B)
    client.post("/logout", base_url=HOST_B)
    assert walls.brand_b.id not in outbox_brands(walls.alice)


def test_brand_exports_hold_only_their_own_rows(walls, make, client):
    reward_a = make.product(walls.brand_a, name="Harbor hoodie", points_cost=100)
    reward_b = make.product(walls.brand_b, name="Ridge cap", points_cost=100)
    redeem(walls.alice.id, reward_a.id, walls.brand_a.id, dict(SHIPPING, name="Alice A"))
    redeem(walls.pat.id, reward_b.id, walls.brand_b.id, dict(SHIPPING, name="Pat B"))
    db.session.commit()
    sign_in(client, walls.owner_b.email, HOST_B)
    csv = client.get("/admin/redemptions.csv", base_url=HOST_B).get_data(as_text=True)
    assert "Pat B" in csv and "Alice A" not in csv
    members = client.get("/admin/members", base_url=HOST_B).get_data(as_text=True)
    assert walls.pat.email in members and walls.bob.email in members
    assert walls.alice.email not in members and walls.owner_b.email not in members
    dashboard = client.get("/admin/", base_url=HOST_B).get_data(as_text=True)
    assert 'id="liability-points">600<' in dashboard  # bob 400 + pat's B wallet 300 - 100


def test_a_persons_own_export_holds_every_wallet(walls, client):
    sign_in(client, walls.pat.email, HOST_A)
    data = json.loads(client.get("/profile/export", base_url=HOST_A).get_data(as_text=True))
    balances = {row["brand_id"]: row["points_balance"] for row in data["wallets"]}
    assert balances == {walls.brand_a.id: 1000, walls.brand_b.id: 300}


def test_the_platform_endpoint_speaks_only_for_brands_on_the_platform_workspace(
    walls, make, client
):
    from tests.customerio.conftest import BEARER_TOKEN, override_config, restore_config

    shared = make.brand(name="Shared", slug="shared")  # no workspace of its own
    carol = make.user(email="carol@example.com", signup_brand_id=shared.id)
    saved = override_config(client.application, CUSTOMERIO_WEBHOOK_TOKEN=BEARER_TOKEN)
    try:
        for person in (walls.alice, carol):
            payload = {"type": "prediction_update", "customer_id": str(person.id),
                       "timestamp": 1_900_000_000, "data": {"churn_probability": 0.5}}  # fmt: skip
            response = client.post(
                "/webhooks/customerio",
                json=payload,
                headers={"Authorization": f"Bearer {BEARER_TOKEN}"},
            )
            assert response.status_code == 202
        deliver()
    finally:
        restore_config(client.application, saved)
    from webapp.loyalty.personalisation import ai_profile_for

    assert ai_profile_for(walls.alice.id, walls.brand_a.id) is None  # A has its own workspace
    assert ai_profile_for(carol.id, shared.id).churn_probability == pytest.approx(0.5)
    assert db.session.scalar(select(MemberAiProfile)) is None  # the platform's profile


def test_config_saved_in_another_process_is_seen_within_a_second(walls, app, client):
    import subprocess
    import sys
    import time

    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x",
           "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"], "PATH": "/usr/bin:/bin"}  # fmt: skip
    assert client.get("/", base_url="http://c.test").status_code == 200  # cached: no owner
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "brands",
            "add-host",
            "blue-ridge",
            "c.test",
        ],  # fmt: skip
        env=env,
        check=True,
        capture_output=True,
    )
    time.sleep(0.6)
    # pytest-flask keeps one `g` for the whole test; a real request starts without the brand.
    g.pop("brand", None)
    page = client.get("/", base_url="http://c.test").get_data(as_text=True)
    assert "Blue Ridge" in page


def test_production_answers_404_on_a_host_no_brand_owns(walls, app, client):
    app.config["APP_ENV"] = "production"
    try:
        assert client.get("/", base_url="http://nobody.test").status_code == 404
        assert client.get("/", base_url=HOST_A).status_code == 200
        assert client.get("/healthz", base_url="http://nobody.test").status_code == 200
        app.config["DEFAULT_BRAND"] = "blue-ridge"
        assert "Blue Ridge" in client.get("/", base_url="http://nobody.test").text
    finally:
        app.config["APP_ENV"] = "development"
        app.config["DEFAULT_BRAND"] = None


def test_one_membership_per_person_and_brand_even_when_joining_twice(walls):
    from webapp.loyalty.membership import add_membership

    again = add_membership(walls.pat, walls.brand_b.id)
    db.session.commit()
    assert again.points_balance == 300
    assert len(db.session.scalars(select(MemberWallet).where(
        MemberWallet.user_id == walls.pat.id)).all()) == 2  # fmt: skip
    assert hosts_of(walls.brand_b.id) == ["b.test"]
