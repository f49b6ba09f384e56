"""Customer.io Track API client: identify, track, delete and v2 batch, with limits checked first."""

import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from webapp.config import TRACK_URLS

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 10)
MAX_EVENT_NAME_BYTES = 100
MAX_EVENT_DATA_BYTES = 100_000
MAX_ATTRIBUTE_VALUE_BYTES = 1000
MAX_ATTRIBUTES_PER_IDENTIFY = 300
MAX_BATCH_REQUEST_BYTES = 500_000
MAX_BATCH_OPERATION_BYTES = 32_000
MAX_BATCH_OPERATIONS = 1000
MAX_REASON_CHARS = 300

_BATCH_ENVELOPE = b'{"batch":[]}'
# The connection failed or the answer never arrived in full: worth another attempt.
_RETRYABLE_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class PayloadRejected(ValueError):
    """A payload Customer.io would refuse; raised before any request is made."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one request: sent, retry later (``permanent=False``) or give up."""

    ok: bool
    status: int | None
    retry_after: float | None = None
    permanent: bool = False
    error: str | None = None
    rejected: dict[int, str] = field(default_factory=dict)
    timed_out: bool = False  # sent, but no answer in time: Customer.io may have it already


def encode_json(payload):
    """The compact UTF-8 JSON body we send, so sizes are measured on the real bytes."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def attribute_value_size(value):
    """Bytes Customer.io counts for an attribute value: UTF-8 for strings, JSON otherwise."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return len(encode_json(value))


def check_customer_id(customer_id):
    """Reject a missing customer id (it would address the wrong endpoint)."""
    if customer_id is None or not str(customer_id).strip():
        raise PayloadRejected("customer id is empty")


def check_event(name, data):
    """Reject an event whose name or data is over Customer.io's limits."""
    if not name or not str(name).strip():
        raise PayloadRejected("event name is empty")
    name_size = len(str(name).encode("utf-8"))
    if name_size > MAX_EVENT_NAME_BYTES:
        raise PayloadRejected(
            f"event name is {name_size} bytes; the limit is {MAX_EVENT_NAME_BYTES}"
        )
    data_size = len(encode_json(data or {}))
    if data_size > MAX_EVENT_DATA_BYTES:
        raise PayloadRejected(
            f"event {name!r} data is {data_size} bytes; the limit is {MAX_EVENT_DATA_BYTES}"
        )


def check_attributes(attributes):
    """Reject an identify with too many attributes or an attribute value that is too long."""
    if len(attributes) > MAX_ATTRIBUTES_PER_IDENTIFY:
        raise PayloadRejected(
            f"{len(attributes)} attributes in one identify; "
            f"the limit is {MAX_ATTRIBUTES_PER_IDENTIFY}"
        )
    for key, value in attributes.items():
        size = attribute_value_size(value)
        if size > MAX_ATTRIBUTE_VALUE_BYTES:
            raise PayloadRejected(
                f"attribute {key!r} is {size} bytes; the limit is {MAX_ATTRIBUTE_VALUE_BYTES}"
            )


def check_operation(operation):
    """Reject a v2 batch operation over the event, attribute or per-operation size limits."""
    action = operation.get("action")
    if action == "event":
        check_event(operation.get("name"), operation.get("attributes"))
    elif action == "identify":
        check_attributes(operation.get("attributes") or {})
    size = len(encode_json(operation))
    if size > MAX_BATCH_OPERATION_BYTES:
        raise PayloadRejected(
            f"{action} operation is {size} bytes; a batch takes at most "
            f"{MAX_BATCH_OPERATION_BYTES} per operation (send it on its own)"
        )


def _person(customer_id, action):
    check_customer_id(customer_id)
    return {"type": "person", "identifiers": {"id": str(customer_id)}, "action": action}


def identify_operation(customer_id, attributes):
    """The v2 batch operation that creates or updates a person."""
    operation = _person(customer_id, "identify") | {"attributes": dict(attributes)}
    check_operation(operation)
    return operation


def event_operation(customer_id, name, data=None, event_id=None, timestamp=None):
    """The v2 batch operation that tracks an event for a person (its data is ``attributes``)."""
    operation = _person(customer_id, "event") | {"name": name}
    if event_id is not None:
        operation["id"] = event_id
    if timestamp is not None:
        operation["timestamp"] = int(timestamp)
    operation["attributes"] = dict(data or {})
    check_operation(operation)
    return operation


def delete_operation(customer_id):
    """The v2 batch operation that deletes a person."""
    return _person(customer_id, "delete")


def split_into_batches(operations, max_bytes=MAX_BATCH_REQUEST_BYTES, max_ops=MAX_BATCH_OPERATIONS):
    """Pack operations, in order, into batch requests each smaller than ``max_bytes``."""
    batches, current, current_size = [], [], len(_BATCH_ENVELOPE)
    for index, operation in enumerate(operations):
        try:
            check_operation(operation)
        except PayloadRejected as exc:
            raise PayloadRejected(f"operation {index}: {exc.reason}") from None
        size = len(encode_json(operation))
        if len(_BATCH_ENVELOPE) + size >= max_bytes:
            raise PayloadRejected(
                f"operation {index} is {size} bytes; it cannot fit a {max_bytes}-byte batch"
            )
        separator = 1 if current else 0
        if current and (current_size + separator + size >= max_bytes or len(current) >= max_ops):
            batches.append(current)
            current, current_size, separator = [], len(_BATCH_ENVELOPE), 0
        current.append(operation)
        current_size += separator + size
    if current:
        batches.append(current)
    return batches


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (moment - current).total_seconds())


def _batch_rejections(response):
    """Per-operation errors from a 207 answer, keyed by their index in the batch."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return {}
    rejected = {}
    for error in errors:
        if isinstance(error, dict) and isinstance(error.get("batch_index"), int):
            reason = " ".join(
                str(error[key]) for key in ("reason", "field", "message") if error.get(key)
            )
            rejected[error["batch_index"]] = reason[:MAX_REASON_CHARS]
    return rejected


def result_from_response(response):
    """Classify an HTTP answer: 2xx sent, 408/429/5xx retry later, anything else permanent."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if 200 <= status < 300:
        rejected = _batch_rejections(response) if status == 207 else {}
        return DeliveryResult(ok=True, status=status, rejected=rejected)
    text = response.text.strip()[:MAX_REASON_CHARS]
    reason = f"HTTP {status}: {text}" if text else f"HTTP {status}"
    if 300 <= status < 400:
        location = response.headers.get("Location", "")
        reason = f"HTTP {status} redirect to {location[:200]} (check the Track API region)"
    if status in (408, 429) or status >= 500:
        return DeliveryResult(ok=False, status=status, retry_after=retry_after, error=reason)
    return DeliveryResult(ok=False, status=status, permanent=True, error=reason)


_shared = {}


def shared_session():
    """This process's HTTP session for the Track API: its kept-alive connections serve every
    delivery job, instead of a new connection (and TLS handshake) per job. A forked child
    makes its own."""
    pid = os.getpid()
    if pid not in _shared:
        _shared.clear()
        _shared[pid] = TrackClient.new_session()
    return _shared[pid]


class TrackClient:
    """One Customer.io workspace's Track API, over a pooled HTTP session."""

    def __init__(
        self, site_id, api_key, base_url=TRACK_URLS["us"], session=None, timeout=DEFAULT_TIMEOUT
    ):
        self.site_id = site_id
        self._auth = (str(site_id), str(api_key))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._owns_session = session is None
        self.session = session if session is not None else self.new_session()

    def __repr__(self):
        return f"<TrackClient site_id={self.site_id!r} base_url={self.base_url!r}>"

    @staticmethod
    def new_session(pool_maxsize=10):
        """A session with a connection pool and no transparent retries (the outbox retries)."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = "CannaRewards/1 (+customer.io track)"
        return session

    def identify(self, customer_id, attributes):
        """Create or update a person; the attributes go at the top level of the body."""
        check_customer_id(customer_id)
        check_attributes(attributes)
        data = encode_json(dict(attributes))
        return self._send("PUT", self._customer_path(customer_id), data, "identify", customer_id)

    def track(self, customer_id, name, data=None, event_id=None, timestamp=None):
        """Track an event for a person; ``event_id`` (a ULID) lets Customer.io drop resends."""
        check_customer_id(customer_id)
        check_event(name, data)
        body = {"name": name, "data": dict(data or {})}
        if event_id is not None:
            body["id"] = event_id
        if timestamp is not None:
            body["timestamp"] = int(timestamp)
        path = self._customer_path(customer_id) + "/events"
        return self._send("POST", path, encode_json(body), name, customer_id)

    def delete(self, customer_id):
        """Delete a person and their data from the workspace."""
        check_customer_id(customer_id)
        return self._send("DELETE", self._customer_path(customer_id), None, "delete", customer_id)

    def batch(self, operations):
        """Send v2 operations in one request (use ``split_into_batches`` for large sets)."""
        operations = list(operations)
        for index, operation in enumerate(operations):
            try:
                check_operation(operation)
            except PayloadRejected as exc:
                raise PayloadRejected(f"operation {index}: {exc.reason}") from None
        data = encode_json({"batch": operations})
        if len(data) >= MAX_BATCH_REQUEST_BYTES:
            raise PayloadRejected(
                f"batch request is {len(data)} bytes; it must be under "
                f"{MAX_BATCH_REQUEST_BYTES} (split it with split_into_batches)"
            )
        return self._send("POST", "/api/v2/batch", data, f"batch of {len(operations)}", None)

    def close(self):
        """Release pooled connections when this client created its own session."""
        if self._owns_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _customer_path(self, customer_id):
        return "/api/v1/customers/" + quote(str(customer_id), safe="")

    def _send(self, method, path, data, label, customer_id):
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=data,
                headers=headers,
                auth=self._auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except _RETRYABLE_ERRORS as exc:
            log.warning(
                "customer.io %s %s customer=%s failed: %s",
                method,
                label,
                customer_id,
                type(exc).__name__,
            )
            error = f"{type(exc).__name__}: {exc}"[:MAX_REASON_CHARS]
            timed_out = isinstance(exc, requests.ReadTimeout)
            return DeliveryResult(ok=False, status=None, error=error, timed_out=timed_out)
        result = result_from_response(response)
        log.log(
            logging.DEBUG if result.ok else logging.WARNING,
            "customer.io %s %s customer=%s status=%s in %.0f ms",
            method,
            label,
            customer_id,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return result
