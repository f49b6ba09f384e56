"""Signed, expiring, single-use links for password reset and guest activation."""

import hashlib
import logging

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from webapp.extensions import db
from webapp.models import Brand, User
from webapp.translation_marks import N_

log = logging.getLogger(__name__)

RESET_SALT = "password-reset"
ACTIVATION_SALT = "guest-activation"
RESET_MAX_AGE = 60 * 60
ACTIVATION_MAX_AGE = 7 * 24 * 60 * 60


class LinkError(ValueError):
    """A link that cannot be used; the message is for the person who followed it."""


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user):
    # The token carries a digest of the current hash: setting a password changes it, so a
    # link works once.
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:20]


def make_token(user, salt):
    """A token naming `user`, valid until their password hash changes."""
    return _serializer(salt).dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_token(token, salt, max_age):
    """The user a token names, or LinkError with a message for people."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(N_("This link has expired. Please ask for a new one.")) from None
    except BadSignature:
        raise LinkError(N_("This link isn't valid. Please ask for a new one.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise LinkError(N_("This link has already been used. Please ask for a new one."))
    return user


def customerio_configured(brand_id):
    """True when events for `brand_id` reach Customer.io (platform or brand site id)."""
    if current_app.config.get("CUSTOMERIO_SITE_ID"):
        return True
    brand = db.session.get(Brand, brand_id) if brand_id else None
    return bool(brand and brand.customer_io_site_id)


def log_link_when_unsent(kind, email, link, brand_id):
    """Print the link for an operator when no Customer.io workspace will send it."""
    if not customerio_configured(brand_id):
        log.info("%s link for %s (Customer.io not configured): %s", kind, email, link)
