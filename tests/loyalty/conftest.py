"""Loyalty tests: open transactions ended, helpers to read the rows an action recorded."""

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CustomerIoEventQueue, UserActionLog


@pytest.fixture(autouse=True)
def _end_open_transaction(app):
    """A test that stops mid-transaction must not leave row locks for the table wipe."""
    yield
    db.session.rollback()


@pytest.fixture
def recorded():
    """`recorded.events(user, name)` / `recorded.actions(user, action_type)`: rows written."""
    return RecordedRows()


class RecordedRows:
    """Outbox events and action log rows of one member, for assertions."""

    def events(self, user, name):
        """The member's outbox rows called `name`, oldest first."""
        return db.session.scalars(
            select(CustomerIoEventQueue)
            .where(CustomerIoEventQueue.user_id == user.id, CustomerIoEventQueue.event_name == name)
            .order_by(CustomerIoEventQueue.id)
        ).all()

    def actions(self, user, action_type):
        """The member's action log rows of `action_type`, oldest first."""
        return db.session.scalars(
            select(UserActionLog)
            .where(UserActionLog.user_id == user.id, UserActionLog.action_type == action_type)
            .order_by(UserActionLog.id)
        ).all()
