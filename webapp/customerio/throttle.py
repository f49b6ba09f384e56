"""A per-workspace request budget (about 100 requests a second), shared through Redis."""

import logging
import threading
import time

import redis
from flask import current_app

from webapp.jobs import redis_connection

log = logging.getLogger(__name__)

DEFAULT_REQUESTS_PER_SECOND = 100
_local_counts = {}
_local_lock = threading.Lock()


def _count_in_redis(key):
    pipe = redis_connection().pipeline()
    pipe.incr(key)
    pipe.expire(key, 2)
    return pipe.execute()[0]


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
