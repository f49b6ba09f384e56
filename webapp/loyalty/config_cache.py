"""A short in-process cache of per-brand configuration, so a scan never re-reads it.

Every process sees a change saved in any other within a second: a write to a configuration
table raises the `config_stamps` counter in the same transaction, and each process compares
that counter with the one it last saw at most every STAMP_CHECK_SECONDS (`check_stamp`, run
before each request), forgetting every cached value when it moved.
"""

import threading
import time

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from webapp.extensions import db
from webapp.models import ConfigStamp

CACHE_SECONDS = 30
STAMP_CHECK_SECONDS = 0.5
STAMP_NAME = "config"
_caches = []
_stamp = {"checked_at": -STAMP_CHECK_SECONDS, "version": None}
_stamp_lock = threading.Lock()
_STAMP_INFO_KEY = "config_stamp_raised"


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


def invalidate_on_write(model, cache, key_of=lambda row: row.brand_id):
    """Forget a brand's cached value when this process writes one of its `model` rows, and
    raise the configuration stamp so that every other process forgets it too.

    Forgotten at the flush (this session sees its change) and again at the commit (other
    threads may have reloaded the old rows in between); brand_id NULL forgets every brand.
    """
    info_key = f"config_cache_{model.__tablename__}"

    @event.listens_for(Session, "after_flush")
    def _forget_at_flush(session, flush_context):
        for row in (*session.new, *session.dirty, *session.deleted):
            if isinstance(row, model):
                cache.invalidate(key_of(row))
                session.info.setdefault(info_key, set()).add(key_of(row))
                _raise_stamp(session)

    @event.listens_for(Session, "after_commit")
    def _forget_at_commit(session):
        for brand_id in session.info.pop(info_key, ()):
            cache.invalidate(brand_id)

    @event.listens_for(Session, "after_rollback")
    def _forget_nothing(session):
        session.info.pop(info_key, None)


def _raise_stamp(session):
    """Add one to the stamp, once per transaction, in that transaction."""
    if session.info.get(_STAMP_INFO_KEY):
        return
    session.info[_STAMP_INFO_KEY] = True
    connection = session.connection()
    raised = connection.execute(
        update(ConfigStamp.__table__)
        .where(ConfigStamp.__table__.c.name == STAMP_NAME)
        .values(version=ConfigStamp.__table__.c.version + 1)
    ).rowcount
    if not raised:
        connection.execute(ConfigStamp.__table__.insert().values(name=STAMP_NAME, version=1))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _stamp_raised_once(session):
    session.info.pop(_STAMP_INFO_KEY, None)


def check_stamp(now=None):
    """Forget every cached value when another process changed the configuration (at most one
    read of the stamp per STAMP_CHECK_SECONDS in this process)."""
    now = time.monotonic() if now is None else now
    with _stamp_lock:
        if now - _stamp["checked_at"] < STAMP_CHECK_SECONDS:
            return False
        _stamp["checked_at"] = now
    version = db.session.scalar(select(ConfigStamp.version).where(ConfigStamp.name == STAMP_NAME))
    with _stamp_lock:
        changed = _stamp["version"] is not None and version != _stamp["version"]
        _stamp["version"] = version
    if changed:
        invalidate_all()
    return changed
