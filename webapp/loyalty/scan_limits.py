"""Rate limits on bad scan codes, per member and per IP, with the `limits` library.

Past its hourly allowance a member or IP is slowed down, not locked out: one more try is
allowed once a minute has passed since its last bad code, so a real code still works a minute
later while guessing stays at one code a minute.

Counters live in Redis when REDIS_URL is set (keys prefixed by QUEUE_PREFIX, so deployments
and test runs sharing a Redis never mix) and in process memory otherwise. Thresholds per hour
come from the brand's settings (`BrandSettings.rate_limits`).
"""

import logging
import threading

from flask import current_app
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.loyalty.brand_directory import active_brands
from webapp.models import Brand
from webapp.redis_guard import GuardedLimiter, client_options

log = logging.getLogger(__name__)

RECENT_BAD_CODE = RateLimitItemPerMinute(1)
_limiters = {}
_lock = threading.Lock()


def limiter():
    redis_url = current_app.config.get("REDIS_URL")
    prefix = current_app.config["QUEUE_PREFIX"]
    with _lock:
        if (redis_url, prefix) not in _limiters:
            if redis_url:
                store = storage_from_string(
                    redis_url,
                    key_prefix=f"{prefix}-limits",
                    wrap_exceptions=True,
                    **client_options(),
                )
                window = GuardedLimiter(MovingWindowRateLimiter(store), redis_url)
            else:
                window = MovingWindowRateLimiter(MemoryStorage())
            _limiters[(redis_url, prefix)] = window
        return _limiters[(redis_url, prefix)]


def _threshold(brand_id, name):
    brand = next((b for b in active_brands() if b.id == brand_id), None)
    if brand is None:
        brand = db.session.get(Brand, brand_id)
    return getattr(settings_of(brand).rate_limits, name)


def _checks(brand_id, user_id, ip_address):
    checks = []
    if user_id is not None:
        limit = RateLimitItemPerHour(_threshold(brand_id, "bad_codes_per_user_per_hour"))
        checks.append((limit, ("bad-code", "user", str(user_id))))
    if ip_address:
        limit = RateLimitItemPerHour(_threshold(brand_id, "bad_codes_per_ip_per_hour"))
        checks.append((limit, ("bad-code", "ip", ip_address)))
    return checks


def _allowed(window, limit, key):
    """Within the allowance, or past it with no bad code in the last minute."""
    return window.test(limit, *key) or window.test(RECENT_BAD_CODE, "recent", *key)


def bad_codes_allowed(brand_id, user_id, ip_address):
    """False while the member or the IP is past its hourly allowance and had a bad code in the
    last minute."""
    window = limiter()
    try:
        return all(
            _allowed(window, limit, key) for limit, key in _checks(brand_id, user_id, ip_address)
        )
    except StorageError as error:
        # Rate limiting protects codes, it must not stop every scan while Redis is away.
        log.warning("rate limit storage unavailable, allowing the attempt: %s", error)
        return True


def record_bad_code(brand_id, user_id, ip_address):
    """Count an unknown, voided, wrong-brand or someone else's code against both allowances."""
    window = limiter()
    try:
        for limit, key in _checks(brand_id, user_id, ip_address):
            window.hit(limit, *key)
            window.clear(RECENT_BAD_CODE, "recent", *key)
            window.hit(RECENT_BAD_CODE, "recent", *key)
    except StorageError as error:
        log.warning("rate limit storage unavailable, bad code not counted: %s", error)


def code_lookup_allowed(brand_id, ip_address):
    """Count one signed-out look-up of a code from `ip_address` (found or not); False past the
    brand's hourly allowance, then one look-up a minute, like bad codes."""
    if not ip_address:
        return True
    limit = RateLimitItemPerHour(_threshold(brand_id, "code_lookups_per_ip_per_hour"))
    key = ("code-lookup", "ip", ip_address)
    window = limiter()
    try:
        if not _allowed(window, limit, key):
            return False
        window.hit(limit, *key)
        window.clear(RECENT_BAD_CODE, "recent", *key)
        window.hit(RECENT_BAD_CODE, "recent", *key)
        return True
    except StorageError as error:
        log.warning("rate limit storage unavailable, allowing the look-up: %s", error)
        return True


def clear_bad_codes(brand_id, user_id=None, ip_address=None):
    """Lift a bad-code block for a member and/or an IP (support, after checking the person)."""
    window = limiter()
    for limit, key in _checks(brand_id, user_id, ip_address):
        window.clear(limit, *key)
        window.clear(RECENT_BAD_CODE, "recent", *key)
