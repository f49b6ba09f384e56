"""Limits slow attackers down without locking the account's owner out."""

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import app_config
from tests.hardening.isolation import in_fresh_thread
from webapp import create_app
from webapp.extensions import db
from webapp.loyalty import account_links
from webapp.loyalty.scan import scan_code
from webapp.loyalty.sign_in_limits import FAILED_PER_EMAIL
from webapp.models import User, UserActionLog

EMAIL = "owner-of-it@example.com"


@pytest.fixture
def member(app, make):
    return make.user(email=EMAIL, signup_brand_id=make.brand().id).id


def login(client, password=factories.DEFAULT_PASSWORD, headers=None):
    return client.post("/login", data={"email": EMAIL, "password": password}, headers=headers)


def attack(app):
    """Someone else fails to sign in to the email more often than the limit allows."""
    attacker = app.test_client()
    for _ in range(FAILED_PER_EMAIL.amount + 2):
        login(attacker, "not the password")


def test_failures_from_elsewhere_never_lock_the_owners_own_browser(app, member):
    def work():
        owner = app.test_client()
        assert login(owner).status_code == 303
        owner.post("/logout")
        attack(app)
        assert login(owner).status_code == 303

    in_fresh_thread(work)


def test_a_new_browser_locked_out_signs_in_after_proving_the_email(app, member):
    def work():
        attack(app)
        newcomer = app.test_client()
        assert login(newcomer).status_code == 429
        with app.app_context():
            user = db.session.get(User, member)
            path = f"/password/reset/{account_links.make_token(user, account_links.RESET_SALT)}"
        assert newcomer.post(path, data={"password": "a brand new password"}).status_code == 303
        assert login(newcomer, "a brand new password").status_code == 303

    in_fresh_thread(work)


def test_a_device_token_of_another_email_is_not_trusted(app, member, make):
    other = make.user(email="someone-else@example.com")

    def work():
        browser = app.test_client()
        browser.post("/login", data={"email": other.email, "password": factories.DEFAULT_PASSWORD})
        attack(app)
        assert login(browser).status_code == 429

    in_fresh_thread(work)


class Later:
    """A clock `seconds` ahead, for the rate-limit storage."""

    def __init__(self, seconds):
        self.seconds = seconds

    def time(self):
        return time.time() + self.seconds


def test_a_real_code_works_a_minute_after_too_many_bad_ones(app, make, monkeypatch):
    brand = make.brand(settings={"rate_limits": {"bad_codes_per_user_per_hour": 3}})
    product, user = make.product(brand), make.user()
    good = make.scan_code(product)
    for _ in range(4):
        scan_code(user.id, "WRONGWRONG2345", brand_id=brand.id)
    assert scan_code(user.id, good.code, brand_id=brand.id).outcome == "rate_limited"
    for module in ("limits.storage.redis.time", "limits.storage.memory.time"):
        monkeypatch.setattr(module, Later(61))
    assert scan_code(user.id, "WRONGWRONG2345", brand_id=brand.id).outcome == "unknown"
    assert scan_code(user.id, good.code, brand_id=brand.id).outcome == "rate_limited"
    monkeypatch.setattr("limits.storage.redis.time", Later(122))
    monkeypatch.setattr("limits.storage.memory.time", Later(122))
    assert scan_code(user.id, good.code, brand_id=brand.id).outcome == "awarded"


def session_ip(app, hops, forwarded_for):
    """The IP logged for a sign-in through `hops` trusted proxies."""
    proxied = create_app(app_config(app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXY_HOPS=hops))

    def work():
        client = proxied.test_client()
        login(client, headers={"X-Forwarded-For": forwarded_for})
        with proxied.app_context():
            query = select(UserActionLog.ip_address).order_by(UserActionLog.id.desc()).limit(1)
            return db.session.scalar(query)

    return in_fresh_thread(work)


@pytest.mark.parametrize(
    "case",
    [
        SimpleNamespace(hops=0, header="203.0.113.9", expected="127.0.0.1"),
        SimpleNamespace(hops=1, header="203.0.113.9", expected="203.0.113.9"),
        SimpleNamespace(hops=1, header="6.6.6.6, 203.0.113.9", expected="203.0.113.9"),
        SimpleNamespace(hops=2, header="203.0.113.9, 10.0.0.2", expected="203.0.113.9"),
    ],
)
def test_the_client_ip_comes_through_trusted_proxies_only(app, member, case):
    assert session_ip(app, case.hops, case.header) == case.expected
