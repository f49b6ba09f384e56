"""Redis on the request path: short socket timeouts, no retries and a circuit breaker per URL.

A hung or unreachable Redis costs a request at most one short timeout until the breaker opens;
while it is open, calls fail at once (callers fall back: limits allow, the sweep delivers), and
after RECOVERY_SECONDS one call is let through to see whether Redis is back.
"""

import threading

import redis
from circuitbreaker import CircuitBreaker
from flask import current_app
from limits.errors import StorageError
from redis.backoff import NoBackoff
from redis.retry import Retry

DEFAULT_TIMEOUT_SECONDS = 0.25
FAILURE_THRESHOLD = 2
RECOVERY_SECONDS = 10
_clients = {}
_breakers = {}
_lock = threading.Lock()


class RedisUnavailable(redis.ConnectionError):
    """Redis did not answer in time, or recently failed (the breaker is open)."""


def client_options():
    """Connection options for request-path Redis clients: short timeouts, no retry loop."""
    timeout = current_app.config.get("REDIS_REQUEST_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }


def fast_redis(url=None):
    """A process-wide Redis client for `url` (REDIS_URL by default) with short timeouts."""
    url = url or current_app.config["REDIS_URL"]
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, **client_options())
        return _clients[url]


def breaker_for(url):
    """The circuit breaker shared by every request-path call to the Redis at `url`."""
    with _lock:
        if url not in _breakers:
            _breakers[url] = CircuitBreaker(
                failure_threshold=FAILURE_THRESHOLD,
                recovery_timeout=current_app.config.get(
                    "REDIS_BREAKER_RECOVERY_SECONDS", RECOVERY_SECONDS
                ),
                expected_exception=(redis.RedisError, StorageError),
                name=f"redis {url}",
            )
        return _breakers[url]


def guarded(call, url=None):
    """`call()` through the breaker of `url`; raises RedisUnavailable while it is open."""
    url = url or current_app.config["REDIS_URL"]
    breaker = breaker_for(url)
    if breaker.opened:
        raise RedisUnavailable(f"Redis at {url} failed recently; not trying for a while")
    return breaker.call(call)


def with_fast_redis(operation, url=None):
    """`operation(client)` on the fast client of `url`, through its breaker."""
    url = url or current_app.config["REDIS_URL"]
    return guarded(lambda: operation(fast_redis(url)), url)


class GuardedLimiter:
    """A `limits` rate limiter whose Redis calls go through the breaker of their URL."""

    def __init__(self, limiter, url):
        self.limiter = limiter
        self.url = url
        self.storage = limiter.storage

    def _call(self, method, *args):
        try:
            return guarded(lambda: method(*args), self.url)
        except RedisUnavailable as error:
            raise StorageError(error) from error

    def test(self, *args):
        """As `limiter.test`; StorageError while Redis is unavailable."""
        return self._call(self.limiter.test, *args)

    def hit(self, *args):
        """As `limiter.hit`; StorageError while Redis is unavailable."""
        return self._call(self.limiter.hit, *args)

    def clear(self, *args):
        """As `limiter.clear` (support lifting a block: not guarded, errors surface)."""
        return self.limiter.clear(*args)
