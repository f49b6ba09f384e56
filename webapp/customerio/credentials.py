"""Per-brand Customer.io credentials: encrypted at rest, with environment fallbacks."""

import logging
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from webapp.config import TRACK_URLS, track_url_for
from webapp.events.outbox import LINK_EVENTS, event_recorded
from webapp.extensions import db
from webapp.models import Brand


class CredentialError(ValueError):
    """A stored secret cannot be read with any configured ENCRYPTION_KEY."""


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackCredentials:
    """What delivery needs to reach one workspace."""

    site_id: str
    api_key: str
    base_url: str


def _cipher():
    keys = [key.strip() for key in current_app.config["ENCRYPTION_KEY"].split(",") if key.strip()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_secret(value):
    """Encrypt with the first ENCRYPTION_KEY (None and empty stay None)."""
    if not value:
        return None
    return _cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_secret(token):
    """Decrypt with any ENCRYPTION_KEY, so keys can be rotated."""
    if not token:
        return None
    try:
        return _cipher().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise CredentialError(
            "a stored Customer.io secret cannot be decrypted: is its key still in ENCRYPTION_KEY?"
        ) from None


def rotate_secret(token):
    """Re-encrypt a stored secret with the first (newest) ENCRYPTION_KEY."""
    if not token:
        return None
    try:
        return _cipher().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise CredentialError(
            "a stored Customer.io secret cannot be decrypted: is its key still in ENCRYPTION_KEY?"
        ) from None


ENCRYPTED_COLUMNS = (
    "customer_io_api_key",
    "customer_io_webhook_signing_key",
    "customer_io_webhook_token",
)


def rotate_brand_secrets(brand):
    """Re-encrypt the brand's stored secrets with the newest ENCRYPTION_KEY (the caller
    commits), so older keys can then leave ENCRYPTION_KEY."""
    for column in ENCRYPTED_COLUMNS:
        setattr(brand, column, rotate_secret(getattr(brand, column)))


def store_brand_credentials(brand, *, site_id=None, api_key=None, signing_key=None, token=None):
    """Set a brand's credentials (the caller commits); None leaves a value unchanged.

    The site id is stored as given: it is a public identifier (it appears in Customer.io's
    JavaScript snippet) and an encrypted one would not fit its 100-character column.
    """
    if site_id is not None:
        brand.customer_io_site_id = site_id.strip() or None
    if api_key is not None:
        brand.customer_io_api_key = encrypt_secret(api_key.strip())
    if signing_key is not None:
        brand.customer_io_webhook_signing_key = encrypt_secret(signing_key.strip())
    if token is not None:
        brand.customer_io_webhook_token = encrypt_secret(token.strip())


def _brand_has_credentials(brand):
    return brand is not None and bool(brand.customer_io_site_id and brand.customer_io_api_key)


def _environment_has_credentials(config):
    return bool(config.get("CUSTOMERIO_SITE_ID") and config.get("CUSTOMERIO_API_KEY"))


def _brand(brand_id):
    return db.session.get(Brand, brand_id) if brand_id is not None else None


def customerio_configured_for(brand_id):
    """True when events of `brand_id` reach a Customer.io workspace (the brand's own
    credentials, else the environment's); `brand_id` None asks about the environment."""
    return _brand_has_credentials(_brand(brand_id)) or _environment_has_credentials(
        current_app.config
    )


def _base_url(config, region):
    configured = config.get("CUSTOMERIO_TRACK_URL") or TRACK_URLS["us"]
    # A brand's region picks the public host; a custom URL (a proxy, the test fake) wins.
    public_host = configured in TRACK_URLS.values()
    return track_url_for(region) if public_host and region else configured


def track_credentials(brand_id):
    """The brand's own Track credentials, else the environment's, else None."""
    config = current_app.config
    brand = _brand(brand_id)
    base_url = _base_url(config, brand.customer_io_region if brand is not None else None)
    if _brand_has_credentials(brand):
        api_key = decrypt_secret(brand.customer_io_api_key)
        return TrackCredentials(brand.customer_io_site_id, api_key, base_url)
    if _environment_has_credentials(config):
        return TrackCredentials(
            config["CUSTOMERIO_SITE_ID"], config["CUSTOMERIO_API_KEY"], base_url
        )
    return None


def webhook_secrets(brand):
    """(signing key, bearer token) for a brand's endpoint, each falling back to the environment."""
    config = current_app.config
    signing_key = brand and decrypt_secret(brand.customer_io_webhook_signing_key)
    token = brand and decrypt_secret(brand.customer_io_webhook_token)
    return (
        signing_key or config.get("CUSTOMERIO_WEBHOOK_SIGNING_KEY"),
        token or config.get("CUSTOMERIO_WEBHOOK_TOKEN"),
    )


@event_recorded.connect
def log_link_when_unconfigured(name, *, brand_id, context):
    """Without Customer.io, print reset and activation links so an operator can pass them on."""
    if name in LINK_EVENTS and not customerio_configured_for(brand_id):
        links = {
            key: value
            for key, value in (context or {}).items()
            if key == "link" or key.endswith("_url")
        }
        log.warning("Customer.io is not configured; %s for brand %s: %s", name, brand_id, links)
