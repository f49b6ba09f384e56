"""Money-grade tests: open transactions ended so the table wipe never waits on a row lock."""

import pytest

from webapp.extensions import db


@pytest.fixture(autouse=True)
def _end_open_transaction(app):
    """A test that stops mid-transaction must not leave row locks for the table wipe."""
    yield
    db.session.rollback()
