"""Per-workspace request budget (about 100 a second) and holds (Retry-After, slow answers).

Both are shared through Redis between workers and also kept in this process, so a Redis
outage only makes them per-process.
"""

import logging
import threading
import time

import redis
from flask import current_app

from webapp.redis_guard import with_fast_redis

log = logging.getLogger(__name__)

DEFAULT_REQUESTS_PER_SECOND = 100
_local_counts = {}
_local_lock = threading.Lock()
_local_holds = {}


def _count_in_redis(key):
    def count(client):
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2)
        return pipe.execute()[0]

    return with_fast_redis(count)


def _count_locally(key):
    with _local_lock:
        for stale in [k for k in _local_counts if k[1] < key[1]]:
            del _local_counts[stale]
        _local_counts[key] = _local_counts.get(key, 0) + 1
        return _local_counts[key]


def wait_for_request_slot(site_id):
    """Block until one more request to workspace `site_id` fits this second's budget."""
    config = current_app.config
    limit = config.get("OUTBOX_REQUESTS_PER_SECOND", DEFAULT_REQUESTS_PER_SECOND)
    while True:
        now = time.time()
        window = int(now)
        count = None
        if config.get("REDIS_URL"):
            try:
                count = _count_in_redis(f"{config['QUEUE_PREFIX']}:cio-rate:{site_id}:{window}")
            except redis.RedisError:
                log.warning("Redis unavailable: request budget counted in this process only")
        if count is None:
            count = _count_locally((site_id, window))
        if count <= limit:
            return
        time.sleep(window + 1 - now)


def _hold_key(site_id, kind):
    return f"{current_app.config['QUEUE_PREFIX']}:cio-{kind}:{site_id}"


def hold_workspace(site_id, seconds, kind="hold"):
    """Send nothing to workspace `site_id` for `seconds` (kind "slow": send small probes)."""
    until = time.time() + max(0.0, seconds)
    with _local_lock:
        _local_holds[(kind, site_id)] = max(until, _local_holds.get((kind, site_id), 0))
    if current_app.config.get("REDIS_URL"):
        key, milliseconds = _hold_key(site_id, kind), max(1, int(seconds * 1000))
        try:
            with_fast_redis(lambda client: client.set(key, repr(until), px=milliseconds))
        except redis.RedisError:
            log.warning(
                "Redis unavailable: the %s of workspace %s is this process's", kind, site_id
            )


def release_workspace(site_id, kind="hold"):
    """Lift a hold (a timely answer ends a slow spell)."""
    with _local_lock:
        _local_holds.pop((kind, site_id), None)
    if current_app.config.get("REDIS_URL"):
        key = _hold_key(site_id, kind)
        try:
            with_fast_redis(lambda client: client.delete(key))
        except redis.RedisError:
            log.warning("Redis unavailable: the %s of workspace %s stays elsewhere", kind, site_id)


def held_for(site_id, kind="hold"):
    """Seconds left on the workspace's hold of `kind` (0.0 when there is none)."""
    with _local_lock:
        until = _local_holds.get((kind, site_id), 0.0)
    if current_app.config.get("REDIS_URL"):
        key = _hold_key(site_id, kind)
        try:
            shared = with_fast_redis(lambda client: client.get(key))
            until = max(until, float(shared)) if shared else until
        except redis.RedisError:
            log.warning("Redis unavailable: only this process's %s of %s is known", kind, site_id)
    return max(0.0, until - time.time())
