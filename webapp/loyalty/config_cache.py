"""A short in-process cache of per-brand configuration, so a scan never re-reads it."""

import threading
import time

from sqlalchemy import event
from sqlalchemy.orm import Session

CACHE_SECONDS = 30
_caches = []


class ConfigCache:
    """Values built by `load(key)`, kept CACHE_SECONDS; `invalidate` forgets them at once.

    Cached values must be detached from any session (tuples of frozen dataclasses).
    """

    def __init__(self, load, seconds=CACHE_SECONDS):
        self._load = load
        self._seconds = seconds
        self._entries = {}
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, key):
        """The cached value for `key`, loaded again when missing or older than the TTL."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry and now - entry[0] < self._seconds:
                return entry[1]
        value = self._load(key)
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def invalidate(self, key=None):
        """Forget `key` (everything when None: a global row concerns every brand)."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)


def invalidate_all():
    """Forget every cached configuration (ladders, achievements) of every brand."""
    for cache in _caches:
        cache.invalidate()


def invalidate_on_write(model, cache):
    """Forget a brand's cached value when this process writes one of its `model` rows.

    Forgotten at the flush (this session sees its change) and again at the commit (other
    threads may have reloaded the old rows in between); brand_id NULL forgets every brand.
    """
    info_key = f"config_cache_{model.__tablename__}"

    @event.listens_for(Session, "after_flush")
    def _forget_at_flush(session, flush_context):
        for row in (*session.new, *session.dirty, *session.deleted):
            if isinstance(row, model):
                cache.invalidate(row.brand_id)
                session.info.setdefault(info_key, set()).add(row.brand_id)

    @event.listens_for(Session, "after_commit")
    def _forget_at_commit(session):
        for brand_id in session.info.pop(info_key, ()):
            cache.invalidate(brand_id)

    @event.listens_for(Session, "after_rollback")
    def _forget_nothing(session):
        session.info.pop(info_key, None)
