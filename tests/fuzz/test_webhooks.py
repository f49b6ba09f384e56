"""Webhook bodies and headers as an attacker or a broken sender would send them.

For each delivery: a 4xx or a 2xx, never a 5xx; a 400 stores exactly one invalid row, a 401,
404 or 413 stores nothing, a 202 stores one row that the apply job then handles without an
error escaping; the ledger holds throughout.
"""

import hashlib
import hmac
import json
import time

from hypothesis import given
from hypothesis import strategies as st

from tests.customerio.conftest import BEARER_TOKEN, SIGNING_KEY
from tests.fuzz.invariants import ledger_breaches, table_counts
from tests.fuzz.strategies import JSON_VALUES, RAW_BYTES, UNICODE_TEXT, VALUES
from tests.fuzz.test_routes import EXAMPLES, fuzz_settings
from webapp.deliveries.webhook_batches import apply_stored_webhook
from webapp.extensions import db
from webapp.models import CustomerIoWebhookLog

TYPES = ["prediction_update", "segment_change", "achievement_grant", "", "invalid"]
DATA_KEYS = [
    "churn_probability", "engagement_score", "predicted_lifetime_value", "purchase_probability",
    "product_affinity_scores", "recommended_segment", "next_best_action", "insights", "segment",
    "action", "achievement_key", "customer_id", "identifiers", "email_address",
]  # fmt: skip
NUMBERS = st.one_of(
    st.integers(-(10**400), 10**400), st.floats(allow_nan=False, allow_infinity=False)
)
HEADER_CHARS = st.characters(codec="latin-1", exclude_characters="\r\n")
LEAVES = JSON_VALUES | NUMBERS | VALUES | st.sampled_from(["entered", "exited", "0.5", "-1"])


def payloads(member_id):
    ids = st.sampled_from([member_id, str(member_id)]) | LEAVES
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(TYPES) | LEAVES,
            "customer_id": ids,
            "timestamp": NUMBERS | LEAVES,
            "event_id": UNICODE_TEXT | LEAVES,
            "object_type": st.sampled_from(["customer", "email", "sms"]) | LEAVES,
            "metric": st.sampled_from(["unsubscribed", "subscribed", "opened"]) | LEAVES,
            "data": st.dictionaries(st.sampled_from(DATA_KEYS) | UNICODE_TEXT, LEAVES | ids)
            | LEAVES,
        },
    )


def raw_bodies(member_id):
    return st.one_of(
        payloads(member_id).map(lambda p: json.dumps(p).encode()),
        RAW_BYTES,
        st.integers(1, 200).map(lambda n: b'{"type": "segment_change", "data": ' + b"[" * n),
        st.sampled_from([b"{}", b"[]", b"NaN", b'{"a": Infinity}', b'{"\\ud800": 1}']),
    )


def signature(body, timestamp, key=SIGNING_KEY):
    return hmac.new(key.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)


@st.composite
def credentials(draw, body):
    """Headers: a valid signature or bearer token, or hostile versions of them."""
    kind = draw(st.sampled_from(["signed", "signed", "bearer", "bad-signature", "bad-bearer",
                                 "hostile-timestamp", "none"]))  # fmt: skip
    now = str(int(time.time()) - draw(st.integers(0, 60)))
    if kind == "signed":
        return {"X-CIO-Timestamp": now, "X-CIO-Signature": signature(body, now).hexdigest()}
    if kind == "bearer":
        return {"Authorization": f"Bearer {BEARER_TOKEN}"}
    if kind == "bad-bearer":
        return {"Authorization": "Bearer " + draw(st.text(HEADER_CHARS))}
    hostile = draw(st.text(HEADER_CHARS, max_size=500) | st.just("9" * 400))
    if kind == "bad-signature":
        return {"X-CIO-Timestamp": now, "X-CIO-Signature": hostile}
    if kind == "hostile-timestamp":
        return {"X-CIO-Timestamp": hostile, "X-CIO-Signature": signature(body, hostile).hexdigest()}
    return {}


def check_delivery(response, before, described):
    """The status says what happened to the body, and it did."""
    status = response.status_code
    assert status in (200, 202, 400, 401, 404, 413), described
    assert response.is_json, described
    db.session.expire_all()
    after = table_counts()
    added = after["customer_io_webhook_log"] - before["customer_io_webhook_log"]
    others = {k: v for k, v in after.items() if k != "customer_io_webhook_log"}
    assert others == {k: v for k, v in before.items() if k != "customer_io_webhook_log"}
    expected_rows = {202: 1, 400: 1}.get(status, 0)
    assert added == expected_rows, described
    if status in (202, 400):
        row = db.session.query(CustomerIoWebhookLog).order_by(CustomerIoWebhookLog.id.desc())[0]
        assert (row.webhook_type == "invalid") == (status == 400), described
        return row
    return None


def test_no_webhook_answers_5xx_or_stores_what_it_refused(app, cio, client, make):
    brand = make.brand()
    member = make.user(signup_brand_id=brand.id)

    @fuzz_settings(EXAMPLES)
    @given(data=st.data())
    def run(data):
        body = data.draw(raw_bodies(member.id), label="body")
        headers = data.draw(credentials(body), label="headers")
        url = data.draw(
            st.sampled_from(["/webhooks/customerio", f"/webhooks/customerio/{brand.slug}",
                             "/webhooks/customerio/no-such-brand"]),
            label="url",
        )  # fmt: skip
        content_type = data.draw(st.sampled_from(["application/json", "text/plain", None]))
        before = table_counts()
        response = client.post(url, data=body, headers=headers, content_type=content_type)
        described = f"{url} {headers!r:.200} {body!r:.300} -> {response.status_code}"
        row = check_delivery(response, before, described)
        if row is not None and row.webhook_type != "invalid":
            apply_stored_webhook(row.id)
        assert ledger_breaches() == 0, described

    run()
