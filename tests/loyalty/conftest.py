"""Loyalty tests: cached configuration is forgotten between tests (SQLite reuses ids)."""

import pytest

from webapp.loyalty.config_cache import invalidate_all


@pytest.fixture(autouse=True)
def _forget_cached_configuration():
    yield
    invalidate_all()
