"""The benchmark's second app, for the tests that count what a request of its own sends."""

import pytest

from tests.conftest import app_config
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def bench_app(app):
    """A second app on the test database, as `make bench` starts it."""
    application = create_app(
        # the default engine options: ping idle connections only, roll back on return only
        # an open transaction (webapp/database.py)
        app_config(app.config["SQLALCHEMY_DATABASE_URI"], BENCH_ENDPOINTS=True)
    )
    yield application
    with application.app_context():
        db.engine.dispose()
