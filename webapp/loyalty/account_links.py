"""Signed, expiring, single-use links: password reset, guest activation, email confirmation."""

import hashlib
import logging

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from webapp.extensions import db
from webapp.models import User
from webapp.translation_marks import N_

log = logging.getLogger(__name__)

RESET_SALT = "password-reset"
ACTIVATION_SALT = "guest-activation"
CONFIRMATION_SALT = "email-confirmation"
RESET_MAX_AGE = 60 * 60
ACTIVATION_MAX_AGE = 7 * 24 * 60 * 60
CONFIRMATION_MAX_AGE = 7 * 24 * 60 * 60
MAX_CARRIED_CODE = 64


class LinkError(ValueError):
    """A link that cannot be used; the message is for the person who followed it."""


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user):
    # The token carries a digest of the current hash: setting a password changes it, so a
    # link works once.
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:20]


def make_token(user, salt, code=None):
    """A token naming `user`, valid until their password hash changes; it may carry the scan
    code the person was claiming, so the link completes the claim in any browser."""
    data = {"uid": user.id, "fp": _fingerprint(user)}
    if code:
        data["code"] = str(code)[:MAX_CARRIED_CODE]
    return _serializer(salt).dumps(data)


def _token_data(token, salt, max_age):
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(N_("This link has expired. Please ask for a new one.")) from None
    except BadSignature:
        raise LinkError(N_("This link isn't valid. Please ask for a new one.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user):
        raise LinkError(N_("This link has already been used. Please ask for a new one."))
    return user, data


def user_for_token(token, salt, max_age):
    """The user a token names, or LinkError with a message for people."""
    return _token_data(token, salt, max_age)[0]


def code_in_token(token, salt, max_age):
    """The scan code a valid token carries, or None."""
    return _token_data(token, salt, max_age)[1].get("code")
