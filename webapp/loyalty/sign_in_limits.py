"""Rate limits on failed sign-ins, per email and per IP, in the same store as scan limits."""

import logging

from limits import RateLimitItemPerMinute
from limits.errors import StorageError

from webapp.loyalty.scan_limits import limiter

log = logging.getLogger(__name__)

WINDOW_MINUTES = 15
FAILED_PER_EMAIL = RateLimitItemPerMinute(10, WINDOW_MINUTES)
FAILED_PER_IP = RateLimitItemPerMinute(50, WINDOW_MINUTES)


def _checks(email, ip_address):
    checks = [(FAILED_PER_EMAIL, ("sign-in", "email", (email or "").strip().lower()))]
    if ip_address:
        checks.append((FAILED_PER_IP, ("sign-in", "ip", ip_address)))
    return checks


def sign_in_allowed(email, ip_address):
    """False once the email or the IP failed too often in the last 15 minutes."""
    try:
        return all(limiter().test(limit, *key) for limit, key in _checks(email, ip_address))
    except StorageError as error:
        log.warning("rate limit storage unavailable, allowing the sign-in: %s", error)
        return True


def record_failed_sign_in(email, ip_address):
    """Count a failed sign-in against the email and the IP."""
    try:
        for limit, key in _checks(email, ip_address):
            limiter().hit(limit, *key)
    except StorageError as error:
        log.warning("rate limit storage unavailable, failed sign-in not counted: %s", error)
