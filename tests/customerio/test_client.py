"""The Track API client against a local fake Customer.io: shapes, limits, faults and logs."""

import base64
import logging
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

import pytest
import requests

from tests import fake_customerio
from webapp.config import TRACK_URLS, track_url_for
from webapp.customerio.client import (
    MAX_BATCH_REQUEST_BYTES,
    PayloadRejected,
    TrackClient,
    delete_operation,
    encode_json,
    event_operation,
    identify_operation,
    parse_retry_after,
    split_into_batches,
)
from webapp.events.outbox import new_event_uid

SITE_ID = "site-123"
API_KEY = "sk-very-secret-track-key"

# The shared fixture, made available here without a conftest.
fake_cio = fake_customerio.fake_cio


@pytest.fixture
def client(fake_cio):
    with TrackClient(SITE_ID, API_KEY, fake_cio.url, timeout=(1, 2)) as track_client:
        yield track_client


def basic_auth(site_id, api_key):
    return "Basic " + base64.b64encode(f"{site_id}:{api_key}".encode()).decode()


def test_identify_puts_attributes_at_the_top_level(client, fake_cio):
    result = client.identify(42, {"email": "ann@example.com", "points_balance": 120})

    assert result.ok and result.status == 200
    [request] = fake_cio.requests
    assert (request.method, request.path) == ("PUT", "/api/v1/customers/42")
    assert request.json == {"email": "ann@example.com", "points_balance": 120}
    assert (request.site_id, request.api_key) == (SITE_ID, API_KEY)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == basic_auth(SITE_ID, API_KEY)


def test_customer_ids_are_url_quoted(client, fake_cio):
    client.identify("a/b c?", {"first_name": "Ann"})

    assert fake_cio.requests[0].path == "/api/v1/customers/a%2Fb%20c%3F"
    assert fake_cio.identifies()[0]["customer_id"] == "a/b c?"


def test_track_posts_name_data_id_and_timestamp(client, fake_cio):
    event_id = new_event_uid()
    data = {"product_snapshot": {"sku": "GUM-10"}, "points": 50}

    result = client.track("42", "product_scanned", data, event_id, 1_700_000_000)

    assert result.ok
    [request] = fake_cio.requests
    assert (request.method, request.path) == ("POST", "/api/v1/customers/42/events")
    assert request.json == {
        "name": "product_scanned",
        "data": data,
        "id": event_id,
        "timestamp": 1_700_000_000,
    }
    assert fake_cio.events() == [
        {
            "site_id": SITE_ID,
            "customer_id": "42",
            "name": "product_scanned",
            "id": event_id,
            "timestamp": 1_700_000_000,
            "data": data,
        }
    ]


def test_track_leaves_out_an_id_and_timestamp_it_was_not_given(client, fake_cio):
    client.track("42", "user_session_started")

    assert fake_cio.requests[0].json == {"name": "user_session_started", "data": {}}


def test_delete_sends_delete_without_a_body(client, fake_cio):
    result = client.delete("42")

    assert result.ok
    [request] = fake_cio.requests
    assert (request.method, request.path, request.body) == ("DELETE", "/api/v1/customers/42", b"")
    assert fake_cio.deletes() == ["42"]


def test_batch_sends_v2_person_operations(client, fake_cio):
    operations = [
        identify_operation(42, {"rank_key": "gold"}),
        event_operation(42, "rank_changed", {"to": "gold"}, "01HZX3V6K8M9N0P1Q2R3S4T5V6", 1700),
        delete_operation("43"),
    ]

    result = client.batch(operations)

    assert result.ok
    [request] = fake_cio.requests
    assert (request.method, request.path) == ("POST", "/api/v2/batch")
    person = {"type": "person", "identifiers": {"id": "42"}}
    assert request.json == {
        "batch": [
            {**person, "action": "identify", "attributes": {"rank_key": "gold"}},
            {
                **person,
                "action": "event",
                "name": "rank_changed",
                "id": "01HZX3V6K8M9N0P1Q2R3S4T5V6",
                "timestamp": 1700,
                "attributes": {"to": "gold"},
            },
            {"type": "person", "identifiers": {"id": "43"}, "action": "delete"},
        ]
    }
    assert [e["name"] for e in fake_cio.events()] == ["rank_changed"]
    assert fake_cio.events()[0]["data"] == {"to": "gold"}
    assert fake_cio.identifies()[0]["attributes"] == {"rank_key": "gold"}
    assert fake_cio.deletes() == ["43"]


def test_batch_reports_operations_refused_in_a_207(client, fake_cio):
    errors = [{"batch_index": 1, "reason": "required", "field": "name", "message": "missing"}]
    fake_cio.respond(207, {"errors": errors}, count=1)

    result = client.batch([delete_operation(1), delete_operation(2)])

    assert result.ok and result.status == 207
    assert result.rejected == {1: "required name missing"}


@pytest.mark.parametrize(
    ("region", "override", "expected"),
    [
        ("eu", None, TRACK_URLS["eu"]),
        ("EU", "", TRACK_URLS["eu"]),
        ("mars", None, TRACK_URLS["us"]),
        ("us", None, TRACK_URLS["us"]),
        (None, None, TRACK_URLS["us"]),
        ("eu", "http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
    ],
)
def test_track_url_for(region, override, expected):
    assert track_url_for(region, override) == expected


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda c: c.track("42", "é" * 51), id="event name over 100 bytes"),
        pytest.param(lambda c: c.track("42", " "), id="blank event name"),
        pytest.param(lambda c: c.track("42", "big", {"blob": "x" * 100_000}), id="data over 100KB"),
        pytest.param(lambda c: c.identify("42", {"bio": "é" * 501}), id="string over 1000 bytes"),
        pytest.param(lambda c: c.identify("42", {"tags": ["abc"] * 200}), id="list over 1000"),
        pytest.param(
            lambda c: c.identify("42", {f"cf_{n}": n for n in range(301)}), id="301 attributes"
        ),
        pytest.param(lambda c: c.identify("", {"a": 1}), id="empty customer id"),
        pytest.param(lambda c: c.delete(None), id="no customer id"),
        pytest.param(
            lambda c: c.batch([delete_operation(n) for n in range(10_000)]), id="batch of 500KB"
        ),
        pytest.param(
            lambda c: c.batch([{**delete_operation(1), "action": "event", "name": "x" * 101}]),
            id="raw batch operation with a long name",
        ),
    ],
)
def test_limits_are_enforced_before_anything_is_sent(client, fake_cio, send):
    with pytest.raises(PayloadRejected) as rejected:
        send(client)

    assert rejected.value.reason
    assert fake_cio.requests == []


def test_values_at_the_limits_are_sent(client, fake_cio):
    attributes = {f"cf_{n}": "é" * 500 for n in range(300)}

    assert client.identify("42", attributes).ok
    assert client.track("42", "n" * 100, {"blob": "x" * 99_000}).ok
    assert len(fake_cio.requests) == 2


def test_an_event_too_big_for_a_batch_is_refused_when_built():
    with pytest.raises(PayloadRejected, match="on its own"):
        event_operation("42", "product_scanned", {"blob": "x" * 40_000})


def test_split_into_batches_keeps_order_and_stays_under_the_limit(client, fake_cio):
    operations = [
        event_operation(n, "product_scanned", {"pad": "x" * 900}, new_event_uid())
        for n in range(1500)
    ]

    batches = split_into_batches(operations)

    assert len(batches) > 1
    assert [op for batch in batches for op in batch] == operations
    assert all(len(encode_json({"batch": b})) < MAX_BATCH_REQUEST_BYTES for b in batches)
    assert all(client.batch(batch).ok for batch in batches)
    assert len(fake_cio.events()) == 1500


def test_split_into_batches_respects_max_ops():
    batches = split_into_batches([delete_operation(n) for n in range(25)], max_ops=10)

    assert [len(batch) for batch in batches] == [10, 10, 5]


def test_split_into_batches_refuses_a_single_operation_that_cannot_fit():
    operations = [delete_operation(1), identify_operation(2, {"a": "x" * 900})]

    with pytest.raises(PayloadRejected, match="operation 1"):
        split_into_batches(operations, max_bytes=500)


def test_429_with_retry_after_seconds_is_retryable(client, fake_cio):
    fake_cio.throttle(count=1, retry_after="7")

    result = client.track("42", "product_scanned")

    assert (result.ok, result.status, result.permanent) == (False, 429, False)
    assert result.retry_after == 7.0
    assert client.track("42", "product_scanned").ok
    assert len(fake_cio.events()) == 1


def test_429_with_retry_after_http_date_is_retryable(client, fake_cio):
    fake_cio.throttle(count=1, retry_after=formatdate(time.time() + 30, usegmt=True))

    result = client.identify("42", {"points_balance": 5})

    assert (result.ok, result.permanent) == (False, False)
    assert 25 <= result.retry_after <= 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("1.5", 1.5), ("", None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_server_errors_are_retryable(client, fake_cio):
    fake_cio.fail(count=2)

    results = [client.delete("42") for _ in range(3)]

    assert [(r.ok, r.status, r.permanent) for r in results[:2]] == [(False, 500, False)] * 2
    assert results[2].ok


def test_a_bad_request_is_permanent_with_the_reason(client, fake_cio):
    fake_cio.respond(400, {"meta": {"error": "invalid attribute: " + "y" * 400}}, count=1)

    result = client.identify("42", {"email": "ann@example.com"})

    assert (result.ok, result.status, result.permanent) == (False, 400, True)
    assert result.error.startswith('HTTP 400: {"meta": {"error": "invalid attribute')
    assert len(result.error) <= len("HTTP 400: ") + 300


def test_wrong_credentials_are_permanent(fake_cio):
    fake_cio.require_credentials(SITE_ID, "another-key")

    with TrackClient(SITE_ID, API_KEY, fake_cio.url) as track_client:
        result = track_client.track("42", "user_registered")

    assert (result.status, result.permanent) == (401, True)
    assert fake_cio.events() == []
    assert len(fake_cio.events(include_rejected=True)) == 1


def test_a_redirect_is_not_followed(client, fake_cio):
    fake_cio.respond(301, headers={"Location": "https://track-eu.customer.io/x"}, count=1)

    result = client.identify("42", {"a": 1})

    assert (result.status, result.permanent) == (301, True)
    assert "track-eu.customer.io" in result.error
    assert len(fake_cio.requests) == 1


def test_a_dropped_connection_is_retryable_and_the_client_recovers(client, fake_cio):
    fake_cio.drop(count=1)

    event_id = new_event_uid()
    dropped = client.track("42", "product_scanned", event_id=event_id)
    retried = client.track("42", "product_scanned", event_id=event_id)

    assert (dropped.ok, dropped.status, dropped.permanent) == (False, None, False)
    assert "ConnectionError" in dropped.error
    assert retried.ok
    assert [r.status for r in fake_cio.requests] == [None, 200]


def test_a_slow_answer_times_out_as_retryable(fake_cio):
    fake_cio.slow(2.0, count=1)

    with TrackClient(SITE_ID, API_KEY, fake_cio.url, timeout=(1, 0.2)) as track_client:
        started = time.monotonic()
        result = track_client.track("42", "product_scanned")
        elapsed = time.monotonic() - started

    assert (result.ok, result.status, result.permanent) == (False, None, False)
    assert "ReadTimeout" in result.error
    assert elapsed < 1.5


def test_a_refused_connection_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with TrackClient(SITE_ID, API_KEY, f"http://127.0.0.1:{port}") as track_client:
        result = track_client.delete("42")

    assert (result.ok, result.status, result.permanent) == (False, None, False)


def test_clients_sharing_a_session_keep_their_own_credentials(fake_cio):
    session = requests.Session()
    brand_a = TrackClient("site-a", "key-a", fake_cio.url, session=session)
    brand_b = TrackClient("site-b", "key-b", fake_cio.url, session=session)

    brand_a.identify("1", {"a": 1})
    brand_b.identify("2", {"b": 2})
    brand_a.close()

    assert brand_b.delete("2").ok
    assert [(r.site_id, r.api_key) for r in fake_cio.requests] == [
        ("site-a", "key-a"),
        ("site-b", "key-b"),
        ("site-b", "key-b"),
    ]
    session.close()


def test_the_api_key_and_payloads_never_reach_the_logs(client, fake_cio, caplog):
    caplog.set_level(logging.DEBUG)
    fake_cio.respond(400, {"meta": {"error": "bad"}}, count=1)
    fake_cio.throttle(count=1)
    fake_cio.drop(count=1)

    client.identify("42", {"email": "secret-address@example.com"})
    client.track("42", "product_scanned", {"ip": "203.0.113.9"})
    client.delete("42")
    client.batch([identify_operation("42", {"email": "secret-address@example.com"})])

    text = caplog.text + repr(client)
    assert "product_scanned" in caplog.text and "customer=42" in caplog.text
    assert API_KEY not in text
    assert base64.b64encode(f"{SITE_ID}:{API_KEY}".encode()).decode() not in text
    assert "secret-address" not in text and "203.0.113.9" not in text


def test_event_ids_are_unique_ulids_that_sort_by_time():
    first = new_event_uid()
    time.sleep(0.002)
    later = new_event_uid()

    assert len(first) == 26 and set(first + later) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert first < later and len({new_event_uid() for _ in range(1000)}) == 1000


def test_the_fake_throttles_for_a_window_then_recovers(client, fake_cio):
    fake_cio.throttle(seconds=0.3, retry_after="1")

    assert client.delete("42").status == 429
    assert fake_cio.wait_for(lambda: client.delete("42").ok, timeout=3)
    fake_cio.clear()
    assert fake_cio.requests == []


def test_one_client_serves_several_threads(client, fake_cio):
    def send(worker):
        return [client.track(str(worker), "product_scanned", {"n": n}).ok for n in range(25)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = [ok for oks in pool.map(send, range(4)) for ok in oks]

    assert all(outcomes) and len(outcomes) == 100
    assert len(fake_cio.events()) == 100
