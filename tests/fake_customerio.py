"""A local fake of the Customer.io Track API that records requests and can misbehave on cue."""

import base64
import binascii
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

CUSTOMER_PREFIX = "/api/v1/customers/"


@dataclass
class RecordedRequest:
    """One request as the fake saw it, and how it answered (``status`` None: dropped)."""

    method: str
    path: str
    headers: dict
    body: bytes
    json: object
    site_id: str | None
    api_key: str | None
    status: int | None = None
    received_at: float = field(default_factory=time.monotonic)
    # The client's (host, port): requests of one kept-alive connection share it.
    client_address: tuple | None = None

    @property
    def accepted(self):
        """Whether the fake answered with a 2xx (Customer.io took the data)."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class _Rule:
    """A temporary behaviour: for ``count`` requests, or until ``until``, or until cleared."""

    status: int | None = 200
    body: bytes = b"{}"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    count: int | None = None
    until: float | None = None

    def claim(self, now):
        """Use this rule for one request if it is still in force."""
        if self.until is not None and now >= self.until:
            return False
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
        return True


def _basic_auth(header):
    if not header or not header.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    site_id, _, api_key = decoded.partition(":")
    return site_id, api_key


def _customer_id(path):
    rest = path[len(CUSTOMER_PREFIX) :].split("?", 1)[0]
    return unquote(rest.split("/", 1)[0])


def _person_id(operation):
    identifiers = operation.get("identifiers") or {}
    found = (str(identifiers[key]) for key in ("id", "email", "cio_id") if key in identifiers)
    return next(found, None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self):
        self._answer()

    do_POST = do_DELETE = do_GET = do_PUT

    def log_message(self, format, *args):
        """Keep test output quiet."""

    def _answer(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        site_id, api_key = _basic_auth(self.headers.get("Authorization"))
        record = RecordedRequest(
            self.command, self.path, dict(self.headers), body, parsed, site_id, api_key
        )
        record.client_address = self.client_address
        rule = fake._rule_for(record)
        if rule.delay and fake._stopping.wait(rule.delay):
            rule = _Rule(drop=True)
        record.status = None if rule.drop else rule.status
        fake._record(record)
        if rule.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(rule)

    def _write(self, rule):
        try:
            self.send_response(rule.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(rule.body)))
            for name, value in rule.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(rule.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (a timeout test); nothing left to answer.
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        """Stay quiet about clients that hang up; those are the point of several tests."""


class FakeCustomerIO:
    """A threaded HTTP server on 127.0.0.1 standing in for ``track.customer.io``."""

    def __init__(self, site_id=None, api_key=None):
        self._lock = threading.Lock()
        self._requests = []
        self._rules = []
        self._credentials = (site_id, api_key) if site_id is not None else None
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    @property
    def url(self):
        """The base URL to give the client, e.g. ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Listen on an OS-chosen port and serve from a background thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving, waking any slow answer still sleeping."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def require_credentials(self, site_id, api_key):
        """Answer 401 to any request without this site id and API key."""
        with self._lock:
            self._credentials = (site_id, api_key)

    def respond(self, status, body=None, headers=None, count=None, seconds=None):
        """Answer ``status`` to the next ``count`` requests, for ``seconds``, or until cleared."""
        payload = json.dumps(body if body is not None else {}).encode()
        self._add_rule(_Rule(status, payload, dict(headers or {})), count, seconds)

    def throttle(self, count=None, seconds=None, retry_after="1"):
        """Answer 429 with ``Retry-After`` (seconds or an HTTP-date)."""
        body = {"meta": {"error": "rate limit exceeded"}}
        headers = {"Retry-After": str(retry_after)}
        self.respond(429, body, headers, count=count, seconds=seconds)

    def fail(self, count=None, seconds=None, status=500):
        """Answer a server error."""
        self.respond(status, {"meta": {"error": "internal error"}}, count=count, seconds=seconds)

    def slow(self, delay, count=None, seconds=None):
        """Wait ``delay`` seconds before answering 200."""
        self._add_rule(_Rule(delay=delay), count, seconds)

    def drop(self, count=None, seconds=None):
        """Close the connection without answering."""
        self._add_rule(_Rule(drop=True), count, seconds)

    def clear(self):
        """Forget recorded requests and every temporary behaviour."""
        with self._lock:
            self._requests.clear()
            self._rules.clear()

    @property
    def requests(self):
        """A snapshot of every request received, in order."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_prefix):
        """The recorded requests whose path starts with ``path_prefix``."""
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def events(self, include_rejected=False):
        """Tracked events, v1 and inside v2 batches, as dicts with customer_id, name, id, data."""
        found = []
        for request in self._delivered(include_rejected):
            if request.method == "POST" and request.path.endswith("/events"):
                body = request.json or {}
                found.append(self._event(request, _customer_id(request.path), body, "data"))
            for operation in self._operations(request, "event"):
                found.append(self._event(request, _person_id(operation), operation, "attributes"))
        return found

    def identifies(self, include_rejected=False):
        """Identify calls, v1 and inside v2 batches, as dicts with customer_id and attributes."""
        found = []
        for request in self._delivered(include_rejected):
            if request.method == "PUT" and request.path.startswith(CUSTOMER_PREFIX):
                attributes = request.json or {}
                found.append(self._person(request, _customer_id(request.path), attributes))
            for operation in self._operations(request, "identify"):
                attributes = operation.get("attributes") or {}
                found.append(self._person(request, _person_id(operation), attributes))
        return found

    def deletes(self, include_rejected=False):
        """Customer ids deleted, by v1 DELETE or inside v2 batches."""
        found = []
        for request in self._delivered(include_rejected):
            if request.method == "DELETE" and request.path.startswith(CUSTOMER_PREFIX):
                found.append(_customer_id(request.path))
            found.extend(_person_id(op) for op in self._operations(request, "delete"))
        return found

    def wait_for(self, predicate, timeout=5.0, interval=0.01):
        """Poll ``predicate()`` until it is true or ``timeout`` passes; return its last value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() >= deadline:
                return value
            time.sleep(interval)

    def _add_rule(self, rule, count, seconds):
        rule.count = count
        rule.until = time.monotonic() + seconds if seconds is not None else None
        with self._lock:
            self._rules.append(rule)

    def _rule_for(self, record):
        with self._lock:
            if self._credentials and (record.site_id, record.api_key) != self._credentials:
                return _Rule(status=401, body=b'{"meta":{"error":"Unauthorized request"}}')
            now = time.monotonic()
            for rule in self._rules:
                if rule.claim(now):
                    return rule
        return _Rule()

    def _record(self, record):
        with self._lock:
            self._requests.append(record)

    def _delivered(self, include_rejected):
        return [r for r in self.requests if include_rejected or r.accepted]

    @staticmethod
    def _operations(request, action):
        if request.path != "/api/v2/batch" or not isinstance(request.json, dict):
            return []
        return [
            op
            for op in request.json.get("batch") or []
            if op.get("type") == "person" and op.get("action") == action
        ]

    @staticmethod
    def _event(request, customer_id, body, data_key):
        return {
            "site_id": request.site_id,
            "customer_id": customer_id,
            "name": body.get("name"),
            "id": body.get("id"),
            "timestamp": body.get("timestamp"),
            "data": body.get(data_key) or {},
        }

    @staticmethod
    def _person(request, customer_id, attributes):
        return {"site_id": request.site_id, "customer_id": customer_id, "attributes": attributes}


@pytest.fixture
def fake_cio():
    """A started fake Customer.io, stopped after the test."""
    with FakeCustomerIO() as fake:
        yield fake
