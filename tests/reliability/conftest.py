"""Fault-test fixtures: a private Redis the app points at, and the fault report."""

import pytest

from tests.customerio.conftest import cio, override_config, restore_config  # noqa: F401
from tests.reliability.report import FaultReport
from tests.reliability.services import PrivateRedis


@pytest.fixture
def private_redis(app):
    """A redis-server of this test's own, with the app's REDIS_URL pointing at it."""
    server = PrivateRedis().start()
    saved = override_config(app, REDIS_URL=server.url)
    yield server
    restore_config(app, saved)
    server.close()


@pytest.fixture
def fault_report():
    """Where a scenario records its numbers (printed by `make faults`)."""
    return FaultReport()
