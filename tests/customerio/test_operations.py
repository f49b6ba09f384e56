"""Credentials at rest, the unconfigured default, operator commands and personalisation."""

import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from tests.customerio.conftest import override_config, restore_config
from webapp.customerio.credentials import (
    CredentialError,
    customerio_configured_for,
    decrypt_secret,
    encrypt_secret,
    rotate_secret,
    store_brand_credentials,
    track_credentials,
)
from webapp.deliveries.outbox import deliver_outbox
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.personalisation import ai_profile_for, next_best_action, order_by_affinity
from webapp.models import CustomerIoEventQueue, UserAiProfile


@pytest.fixture
def unconfigured(app, cio):
    """No Customer.io credentials anywhere."""
    saved = override_config(app, CUSTOMERIO_SITE_ID=None, CUSTOMERIO_API_KEY=None)
    yield cio
    restore_config(app, saved)


def test_keys_rotate_newest_first_and_old_tokens_still_read(app, cio):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    saved = override_config(app, ENCRYPTION_KEY=old_key)
    try:
        token = encrypt_secret("api-key-1")
        app.config["ENCRYPTION_KEY"] = f"{new_key},{old_key}"
        assert decrypt_secret(token) == "api-key-1"
        rotated = rotate_secret(token)
        app.config["ENCRYPTION_KEY"] = new_key
        assert decrypt_secret(rotated) == "api-key-1"
        with pytest.raises(CredentialError, match="ENCRYPTION_KEY"):
            decrypt_secret(token)
    finally:
        restore_config(app, saved)


def test_a_brand_in_the_eu_region_uses_the_eu_host(app, cio, make):
    brand = make.brand(customer_io_region="eu")
    saved = override_config(app, CUSTOMERIO_TRACK_URL="https://track.customer.io")
    try:
        assert track_credentials(brand.id).base_url == "https://track-eu.customer.io"
    finally:
        restore_config(app, saved)
    assert track_credentials(brand.id).base_url == cio.url  # a custom URL always wins


@pytest.mark.sqlite_ok
def test_one_check_says_whether_a_brand_reaches_customerio(app, unconfigured, make):
    own, half, none = make.brand(), make.brand(), make.brand()
    store_brand_credentials(own, site_id="site-own", api_key="key-own")
    store_brand_credentials(half, site_id="site-without-key")
    db.session.commit()
    assert customerio_configured_for(own.id) and track_credentials(own.id) is not None
    assert not customerio_configured_for(half.id) and track_credentials(half.id) is None
    assert not customerio_configured_for(none.id) and not customerio_configured_for(None)
    saved = override_config(app, CUSTOMERIO_SITE_ID="env-site", CUSTOMERIO_API_KEY="env-key")
    try:
        assert customerio_configured_for(none.id) and customerio_configured_for(None)
        assert track_credentials(none.id).site_id == "env-site"
    finally:
        restore_config(app, saved)


@pytest.mark.sqlite_ok
def test_without_credentials_events_stay_pending_and_links_are_logged(
    app, unconfigured, make, caplog
):
    brand, user = make.brand(), make.user()
    link = "http://rewards.test/password/reset/abc"
    with caplog.at_level(logging.WARNING, logger="webapp.customerio.credentials"):
        record_event(
            user, "password_reset_requested", brand_id=brand.id, context={"reset_url": link}
        )
        db.session.commit()
    assert link in caplog.text
    assert deliver_outbox(brand.id) == 0
    assert db.session.scalar(select(CustomerIoEventQueue.status)) == "pending"
    assert unconfigured.requests == []
    result = app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 0
    assert "Customer.io is not configured" in result.output and "pending    1" in result.output


def test_outbox_status_and_sweep_commands(app, cio, make):
    brand, user = make.brand(), make.user()
    record_event(user, "user_registered", brand_id=brand.id)
    db.session.commit()
    runner = app.test_cli_runner()
    status = runner.invoke(args=["outbox", "status"])
    assert "not configured" not in status.output and "pending    1" in status.output
    sweep = runner.invoke(args=["outbox", "sweep"])
    assert sweep.exit_code == 0 and "delivery enqueued for 1 workspaces" in sweep.output


def test_personalisation_without_a_profile_is_neutral(cio, make):
    brand, user = make.brand(), make.user()
    products = [make.product(brand) for _ in range(3)]
    assert ai_profile_for(user.id, brand.id) is None and next_best_action(user.id, brand.id) is None
    assert order_by_affinity(user.id, brand.id, products) == products


def test_personalisation_follows_the_profile(cio, make):
    brand, user = make.brand(), make.user()
    flower = make.product(brand, product_form="Flower")
    vape = make.product(brand, product_form="Vape")
    tagged = make.product(brand, product_form="Edible", tags=["sleep"])
    other = make.product(brand, product_form="Topical")
    db.session.add(
        UserAiProfile(
            user_id=user.id,
            next_best_action="refer_friend",
            product_affinity_scores={"Vape": 0.9, "sleep": 0.5},
        )
    )
    db.session.commit()
    assert next_best_action(user.id, brand.id)["url"] == "/referrals"
    ordered = order_by_affinity(user.id, brand.id, [flower, other, tagged, vape])
    assert ordered == [vape, tagged, flower, other]
    profile = ai_profile_for(user.id, brand.id)
    profile.next_best_action = "something_we_do_not_show"
    db.session.commit()
    assert next_best_action(user.id, brand.id) is None


@pytest.mark.sqlite_ok
def test_rotate_secrets_command_re_encrypts_every_brand_with_the_newest_key(app, cio, make):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    saved = override_config(app, ENCRYPTION_KEY=old_key)
    try:
        brand, bare = make.brand(slug="acme"), make.brand(slug="bare")
        store_brand_credentials(brand, site_id="s", api_key="key-1", token="bearer-1")
        db.session.commit()
        app.config["ENCRYPTION_KEY"] = f"{new_key},{old_key}"
        result = app.test_cli_runner().invoke(args=["brands", "rotate-secrets"])
        assert result.exit_code == 0, result.output
        app.config["ENCRYPTION_KEY"] = new_key  # the old key can go now
        db.session.expire_all()
        assert track_credentials(brand.id).api_key == "key-1"
        assert decrypt_secret(db.session.get(type(brand), brand.id).customer_io_webhook_token) == (
            "bearer-1"
        )
        assert db.session.get(type(bare), bare.id).customer_io_api_key is None
    finally:
        restore_config(app, saved)


@pytest.mark.sqlite_ok
def test_rotate_secrets_command_names_a_brand_whose_secret_no_key_reads(app, cio, make):
    saved = override_config(app, ENCRYPTION_KEY=Fernet.generate_key().decode())
    try:
        store_brand_credentials(make.brand(slug="lost"), site_id="s", api_key="key-1")
        db.session.commit()
        app.config["ENCRYPTION_KEY"] = Fernet.generate_key().decode()
        result = app.test_cli_runner().invoke(args=["brands", "rotate-secrets"])
        assert (
            result.exit_code == 1 and "lost:" in result.output and "ENCRYPTION_KEY" in result.output
        )
    finally:
        restore_config(app, saved)
