"""Forgetting what a test run left in the shared Redis: queue marks and rate-limit counters."""

from flask import current_app

from webapp.jobs import redis_connection
from webapp.loyalty.scan_limits import limiter


def forget_queued_marks():
    """Drop every `enqueue_once` mark of this run's prefix (after emptying its queues)."""
    client = redis_connection()
    for key in client.scan_iter(f"{current_app.config['QUEUE_PREFIX']}-queued:*", count=1000):
        client.delete(key)


def reset_scan_limits():
    """Forget every bad-code and sign-in counter of this run's prefix."""
    limiter().storage.reset()
