"""Time helpers: the database stores naive UTC timestamps."""

from datetime import UTC, datetime


def utcnow():
    """The current time as a naive UTC datetime, to the second (TIMESTAMP precision)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_unix(value):
    """A naive UTC datetime as integer unix seconds (None stays None)."""
    if value is None:
        return None
    return int(value.replace(tzinfo=UTC).timestamp())
