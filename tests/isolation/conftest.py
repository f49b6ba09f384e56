"""Two brands as an attacker finds them: own hosts, owners, Customer.io workspaces and members,
one person a member of both."""

import hashlib
import hmac
import json
import time
from types import SimpleNamespace

import pytest

from tests import factories
from tests.admin.conftest import world  # noqa: F401  (fixture: brand A's objects)
from tests.customerio.conftest import empty_queues, override_config, restore_config, run_jobs
from tests.isolation.test_wallet_invariants import second_economy  # noqa: F401  (fixture)
from tests.loyalty.test_ledger_properties import economy  # noqa: F401  (fixture)
from webapp.customerio.credentials import store_brand_credentials
from webapp.extensions import db
from webapp.models import MemberWallet

HOST_A = "http://a.test"
HOST_B = "http://b.test"


@pytest.fixture
def walls(app, fake_cio):
    """Brand A and brand B, each with its own workspace on the fake; yields the world."""
    saved = override_config(app, CUSTOMERIO_TRACK_URL=fake_cio.url)
    with app.app_context():
        if app.config.get("REDIS_URL"):
            empty_queues()
        world = _build_world()
        world.cio = fake_cio
        yield world
        db.session.remove()
    restore_config(app, saved)


def _build_world():
    brand_a = factories.brand(name="Green Harbor", slug="green-harbor", hosts=["a.test"])
    brand_b = factories.brand(name="Blue Ridge", slug="blue-ridge", hosts=["b.test"])
    for brand, suffix in ((brand_a, "a"), (brand_b, "b")):
        store_brand_credentials(
            brand,
            site_id=f"site-{suffix}",
            api_key=f"api-{suffix}",
            signing_key=f"signing-{suffix}",
            token=f"token-{suffix}",
        )
    db.session.commit()
    owner_a = factories.user(email="owner.a@example.com", brands=[])
    owner_b = factories.user(email="owner.b@example.com", brands=[])
    factories.staff(owner_a, brand_a, "owner")
    factories.staff(owner_b, brand_b, "owner")
    alice = factories.user(email="alice@example.com", signup_brand_id=brand_a.id)
    bob = factories.user(email="bob@example.com", signup_brand_id=brand_b.id)
    pat = factories.user(email="pat@example.com", signup_brand_id=brand_a.id)
    factories.member(pat, brand_b)
    for person, brand, points in ((alice, brand_a, 700), (bob, brand_b, 400)):
        set_points(person, brand, points)
    set_points(pat, brand_a, 1000)
    set_points(pat, brand_b, 300)
    return SimpleNamespace(
        brand_a=brand_a,
        brand_b=brand_b,
        owner_a=owner_a,
        owner_b=owner_b,
        alice=alice,
        bob=bob,
        pat=pat,
        product_a=factories.product(brand_a, name="Harbor Haze", points_award=100),
        product_b=factories.product(brand_b, name="Ridge Runner", points_award=100),
    )


def set_points(person, brand, points):
    """Give a member `points` in their wallet at `brand`, through a staff-less ledger grant."""
    from webapp.loyalty.ledger import grant, lock_member

    grant(lock_member(person.id, brand.id), points, "points_adjusted", action_data={"reason": "x"})
    db.session.commit()


def wallet(person, brand):
    """The committed wallet of `person` at `brand` (None for non-members)."""
    db.session.expire_all()
    return db.session.get(MemberWallet, (person.id, brand.id))


def sign_in(client, email, host):
    """Sign `client` in on `host`."""
    response = client.post(
        "/login", data={"email": email, "password": factories.DEFAULT_PASSWORD}, base_url=host
    )
    assert response.status_code == 303
    return client


def signed_webhook(client, brand, payload, signing_key):
    """POST a Customer.io reporting-signed webhook to the brand's endpoint."""
    raw = json.dumps(payload).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(
        signing_key.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
    ).hexdigest()
    return client.post(
        f"/webhooks/customerio/{brand.slug}",
        data=raw,
        headers={
            "Content-Type": "application/json",
            "X-CIO-Timestamp": timestamp,
            "X-CIO-Signature": signature,
        },
    )


def deliver():
    """Run the queued jobs (webhook application, outbox delivery)."""
    run_jobs()
