"""TRUSTED_PROXY_HOPS: the client's address and scheme come from that many proxies, no more."""

import pytest

from tests.conftest import app_config
from webapp import create_app
from webapp.config import load_config

pytestmark = pytest.mark.sqlite_ok


def _seen_by_app(database_url, hops, headers):
    """(remote address, scheme) a request with `headers` has inside an app behind `hops`."""
    app = create_app(app_config(database_url, TRUSTED_PROXY_HOPS=hops, REDIS_URL=None))
    seen = {}

    @app.after_request
    def note(response):
        from flask import request

        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return response

    app.test_client().get("/healthz", headers=headers)
    return seen["addr"], seen["scheme"]


def test_the_setting_is_read_from_the_environment(tmp_path):
    assert load_config(tmp_path, {"TRUSTED_PROXY_HOPS": "2"})["TRUSTED_PROXY_HOPS"] == 2
    assert load_config(tmp_path, {})["TRUSTED_PROXY_HOPS"] == 0


def test_without_trusted_proxies_forwarded_headers_are_ignored(database_url):
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert _seen_by_app(database_url, 0, headers) == ("127.0.0.1", "http")


def test_one_trusted_proxy_gives_the_client_address_and_scheme(database_url):
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert _seen_by_app(database_url, 1, headers) == ("203.0.113.9", "https")


def test_an_address_forged_before_the_trusted_proxy_is_not_believed(database_url):
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"}
    assert _seen_by_app(database_url, 1, headers)[0] == "203.0.113.9"


def test_two_trusted_proxies_read_two_hops_back(database_url):
    headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.4, 10.0.0.2"}
    assert _seen_by_app(database_url, 2, headers)[0] == "198.51.100.4"
