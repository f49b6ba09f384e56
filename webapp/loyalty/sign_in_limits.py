"""Rate limits on failed sign-ins that an attacker can't turn on the account's owner.

Failures count per email and per IP in the same store as scan limits. A browser that signed in
to the account before carries a signed trusted-device token: it is counted on its own, so
failures from elsewhere never lock the owner's own browser out. A new browser that is locked
out proves the email instead (a reset link), which lifts the email's lock.
"""

import hashlib
import logging
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItemPerMinute
from limits.errors import StorageError

from webapp.loyalty.scan_limits import limiter

log = logging.getLogger(__name__)

WINDOW_MINUTES = 15
FAILED_PER_EMAIL = RateLimitItemPerMinute(10, WINDOW_MINUTES)
FAILED_PER_IP = RateLimitItemPerMinute(50, WINDOW_MINUTES)
FAILED_PER_DEVICE = RateLimitItemPerMinute(10, WINDOW_MINUTES)
SIGN_UPS_PER_IP = RateLimitItemPerMinute(20, 60)
DEVICE_SALT = "trusted-device"
MAX_TOKEN_CHARS = 200


def _email_key(email):
    return (email or "").strip().lower()


def _email_digest(email):
    return hashlib.sha256(_email_key(email).encode("utf-8", "replace")).hexdigest()[:24]


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def new_device_token(email):
    """A signed token saying "this browser signed in to `email`" (set as a cookie)."""
    return _serializer().dumps({"e": _email_digest(email), "d": secrets.token_urlsafe(12)})


def trusted_device(token, email):
    """The device id of a valid token for `email`, else None."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != _email_digest(email):
        return None
    return str(data.get("d"))


def _checks(email, ip_address, device):
    if device:
        return [(FAILED_PER_DEVICE, ("sign-in", "device", device))]
    checks = [(FAILED_PER_EMAIL, ("sign-in", "email", _email_key(email)))]
    if ip_address:
        checks.append((FAILED_PER_IP, ("sign-in", "ip", ip_address)))
    return checks


def sign_in_allowed(email, ip_address, device=None):
    """False once this email (or IP), or this trusted browser, failed too often lately."""
    try:
        return all(limiter().test(limit, *key) for limit, key in _checks(email, ip_address, device))
    except StorageError as error:
        log.warning("rate limit storage unavailable, allowing the sign-in: %s", error)
        return True


def record_failed_sign_in(email, ip_address, device=None):
    """Count a failed sign-in against the trusted browser, or the email and the IP."""
    try:
        for limit, key in _checks(email, ip_address, device):
            limiter().hit(limit, *key)
    except StorageError as error:
        log.warning("rate limit storage unavailable, failed sign-in not counted: %s", error)


def clear_failed_sign_ins(email):
    """Lift the email's lock (its owner just proved the email with a reset link)."""
    try:
        limiter().clear(FAILED_PER_EMAIL, "sign-in", "email", _email_key(email))
    except StorageError as error:
        log.warning("rate limit storage unavailable, sign-in lock not lifted: %s", error)


def sign_ups_allowed(ip_address):
    """False once an IP sent 20 complete sign-up forms in an hour (each costs a bcrypt hash
    and may send an email, whatever the email is)."""
    try:
        return not ip_address or limiter().test(SIGN_UPS_PER_IP, "sign-up", ip_address)
    except StorageError as error:
        log.warning("rate limit storage unavailable, allowing the sign-up: %s", error)
        return True


def record_sign_up(ip_address):
    """Count one complete sign-up form against the IP."""
    try:
        if ip_address:
            limiter().hit(SIGN_UPS_PER_IP, "sign-up", ip_address)
    except StorageError as error:
        log.warning("rate limit storage unavailable, sign-up not counted: %s", error)
