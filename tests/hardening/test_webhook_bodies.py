"""Hostile webhook bodies and headers: a 4xx (malformed bodies stored as invalid), never a 500."""

import json
import time

import pytest

from tests.customerio.test_webhooks import URL, log_rows, post_bearer, post_signed, signed_headers

pytestmark = pytest.mark.sqlite_ok

MALFORMED_BODIES = {
    "nesting": b'{"type": "segment_change", "data": ' + b"[" * 40 + b"]" * 40 + b"}",
    "nan": b'{"type": "prediction_update", "data": {"churn_probability": NaN}}',
    "infinity": b'{"type": "prediction_update", "timestamp": -Infinity}',
    "empty object": b"{}",
    "lone surrogate": b'{"type": "segment_change", "data": {"segment": "\\ud800"}}',
    "surrogate key": b'{"type": "segment_change", "\\udfff": 1}',
    "deep recursion": b"[" * 100_000,
    "array": b"[1, 2]",
    "not utf-8": b'{"type": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", MALFORMED_BODIES)
def test_malformed_signed_bodies_are_stored_as_invalid(cio, client, name):
    response = post_signed(client, MALFORMED_BODIES[name])
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json and response.json["error"]
    [row] = log_rows()
    assert row.webhook_type == "invalid" and row.processed_successfully is False
    assert isinstance(row.payload["raw"], str)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-CIO-Timestamp": "9" * 400, "X-CIO-Signature": "ab"},
        {"X-CIO-Timestamp": "-5", "X-CIO-Signature": "ab"},
        {"X-CIO-Timestamp": "\u0663\u0663", "X-CIO-Signature": "ab"},
        {"X-CIO-Timestamp": "²", "X-CIO-Signature": "ab"},
        {"Authorization": "Bearer \u00e9\u00e9"},
        {"Authorization": "Bearer "},
    ],
)
def test_hostile_authentication_headers_are_refused(cio, client, headers):
    response = client.post(URL, data=b'{"type": "segment_change"}', headers=headers)
    assert response.status_code == 401 and response.is_json
    assert log_rows() == []


def test_a_non_ascii_signature_is_refused(cio, client):
    body = b'{"type": "segment_change"}'
    headers = signed_headers(body) | {"X-CIO-Signature": "\u00e9" * 64}
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 401 and log_rows() == []


def test_a_signed_body_without_event_id_is_stored_once_within_the_window(cio, client):
    body = json.dumps({"type": "segment_change", "customer_id": "1"}).encode()
    headers = signed_headers(body)
    answers = [client.post(URL, data=body, headers=headers).status_code for _ in range(3)]
    assert answers == [202, 200, 200]
    assert len(log_rows()) == 1


def test_the_same_body_signed_at_another_time_is_a_new_delivery(cio, client):
    body = json.dumps({"type": "segment_change", "customer_id": "1"}).encode()
    now = int(time.time())
    for timestamp in (now - 10, now):
        assert (
            client.post(
                URL, data=body, headers=signed_headers(body, timestamp=timestamp)
            ).status_code
            == 202
        )
    assert len(log_rows()) == 2


def test_a_huge_payload_timestamp_is_stored_and_fails_cleanly(cio, client):
    payload = {"type": "prediction_update", "customer_id": "1", "timestamp": 10**400}
    response = post_bearer(client, payload)
    assert response.status_code == 202
    assert log_rows()[0].event_timestamp is None


@pytest.mark.parametrize("customer_id", ["\u00b2", "\u0663", "\uff11"])
def test_customer_ids_in_other_digits_are_unknown_users(cio, client, customer_id):
    payload = {"type": "prediction_update", "customer_id": customer_id, "data": {}}
    assert post_bearer(client, payload).status_code == 202
    assert log_rows()[0].user_id is None


@pytest.mark.parametrize("timestamp", [0.5, 0.999, 1e-9])
def test_a_timestamp_before_the_first_second_of_1970_is_no_event_time(cio, client, timestamp):
    payload = {"type": "prediction_update", "customer_id": "1", "timestamp": timestamp}
    assert post_bearer(client, payload).status_code == 202
    assert log_rows()[0].event_timestamp is None


def test_a_body_typed_invalid_is_not_taken_for_an_accepted_one(cio, client):
    response = post_bearer(client, {"type": "invalid", "customer_id": "1"})
    assert response.status_code == 400
    [row] = log_rows()
    assert row.webhook_type == "invalid" and row.processed_successfully is False
