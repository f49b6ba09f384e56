"""Every route and method of the URL map, as every identity, with hostile input.

For each request: no 5xx, an answer a person or machine can read, and nothing half-written (a
rejected request changes no row count; the ledger holds after every request). A new route is
covered as soon as it is in the URL map. `make fuzz` runs many more, unseeded, examples.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.admin.conftest import HOST_A, HOST_B
from tests.fuzz.forms_on_pages import read_forms
from tests.fuzz.invariants import changed_tables, ledger_breaches, table_counts
from tests.fuzz.strategies import bodies, paths, queries
from tests.hardening.isolation import in_fresh_thread

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "500"))
SEEDED = os.environ.get("FUZZ_RANDOM", "0") != "1"
IDENTITIES = ["anonymous", "consumer", "support", "manager", "owner", "other_owner"]
# Sign-out and deletion end the identity under test; anonymous requests still reach them.
SESSION_ENDING = {"auth.logout", "portal.delete_account"}
READABLE_TYPES = ("text/html", "application/json", "text/csv", "text/plain")


def fuzz_settings(examples):
    """Bounded and seeded in `make test`; `make fuzz` raises the count and drops the seed."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=SEEDED,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def route_methods(app, identity):
    """(rule, method) for every rule of the URL map and each of its methods."""
    pairs = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if identity != "anonymous" and rule.endpoint in SESSION_ENDING:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            pairs.append((rule, method))
    return pairs


def client_for(app, world, identity):
    client = app.test_client()
    if identity != "anonymous":
        response = client.post(
            "/login",
            data={"email": world.emails[identity], "password": factories.DEFAULT_PASSWORD},
            base_url=HOST_B if identity == "other_owner" else HOST_A,
        )
        assert response.status_code == 303
    return client


def check_answer(app, response, before, described):
    """No 5xx, a readable body, and for a rejection: no row count changed; the ledger holds."""
    assert response.status_code < 500, described
    if response.status_code not in (204, 301, 302, 303, 304, 307, 308):
        assert response.mimetype.startswith(READABLE_TYPES) or response.mimetype.startswith(
            ("image/", "application/", "font/", "text/")
        ), described
    with app.app_context():
        after = table_counts()
        if response.status_code >= 400:
            changed = changed_tables(before, after)
            assert changed == {} or _only_stored_invalid_webhook(response, changed), (
                described,
                changed,
            )
        assert ledger_breaches() == 0, described


def _only_stored_invalid_webhook(response, changed):
    # The one designed write of a rejection: a malformed webhook is stored as invalid (400).
    log = changed.get("customer_io_webhook_log")
    return (
        response.status_code == 400
        and list(changed) == ["customer_io_webhook_log"]
        and (log[1] == log[0] + 1)
    )


@pytest.mark.parametrize("identity", IDENTITIES)
def test_no_route_answers_5xx_or_half_writes(app, world, identity):
    known_ids = sorted(set(world.ids.values()) | {user.id for user in world.users.values()})
    pairs = route_methods(app, identity)

    @fuzz_settings(EXAMPLES)
    @given(data=st.data())
    def run(data):
        rule, method = data.draw(st.sampled_from(pairs), label="route")
        path = data.draw(paths(rule, world.ids, known_ids), label="path")
        query = data.draw(queries(), label="query")
        base = forms.get(path)
        body = data.draw(bodies(base), label="body") if method != "GET" else {}
        host = data.draw(st.sampled_from([HOST_A, HOST_A, HOST_A, HOST_B]), label="host")
        with app.app_context():
            before = table_counts()
        url = f"{path}?{query}" if query else path
        response = client.open(url, method=method, base_url=host, **body)
        described = f"{identity} {method} {url} {body!r:.300} -> {response.status_code}"
        check_answer(app, response, before, described)

    def work():
        nonlocal client
        client = client_for(app, world, identity)
        host = HOST_B if identity == "other_owner" else HOST_A
        forms.update(read_forms(app, client, host, world.ids))
        with app.app_context():
            assert ledger_breaches() == 0
        run()

    client, forms = None, {}
    in_fresh_thread(work, timeout=None)
