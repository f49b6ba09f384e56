"""Money-grade tests: open transactions ended so the table wipe never waits on a row lock; the
admin world for staff paths."""

import pytest

from tests.admin.conftest import owner, world  # noqa: F401  (the admin fixtures, reused)
from webapp.extensions import db


@pytest.fixture(autouse=True)
def _end_open_transaction(app):
    """A test that stops mid-transaction must not leave row locks for the table wipe."""
    yield
    db.session.rollback()
