"""Database faults at the boundary, which owns the transaction: a view whose transaction hit a
deadlock or lost its connection is run once more when nothing of the request was committed
(otherwise the person gets a friendly "try again", 503); a job, command or thread wraps its
unit of work in `retry_once_on_deadlock`.

Every service takes its locks in the order of `docs/architecture.md` ("Lock order"), so a
deadlock should not happen; when one still does, MariaDB has rolled the victim back whole
(error 1213), and running the unit of work once more from the start is safe."""

import functools
import logging

from flask import g
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from webapp.extensions import db

log = logging.getLogger(__name__)

# Deadlock, lock wait timeout, can't connect, server gone away, lost connection, killed.
RETRYABLE_CODES = {1205, 1213, 2003, 2006, 2013, 1927, 4031}
DEADLOCK_ERRORS = (1213,)  # ER_LOCK_DEADLOCK


def is_transient(error):
    """Whether a database error is a deadlock or a lost connection (worth one more try)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    args = getattr(error.orig, "args", ())
    return bool(args) and args[0] in RETRYABLE_CODES


@event.listens_for(Session, "before_commit")
def _note_commit(session):
    """A commit was attempted: from here on, running the view again could do it twice."""
    if g:
        g.database_commit_attempted = True


def retry_once(view):
    """Run `view` again after a transient database error when no commit was attempted."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DBAPIError as error:
            if not is_transient(error) or g.get("database_commit_attempted"):
                raise
            log.warning("transient database error, running %s again: %s", view.__name__, error)
            db.session.rollback()
            return view(*args, **kwargs)

    return run


def _new_request():
    g.database_commit_attempted = False


def install(app):
    """Wrap every view of the app."""
    app.before_request(_new_request)
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static":
            app.view_functions[endpoint] = retry_once(view)


def is_deadlock(error):
    """True when the database rolled the transaction back to break a deadlock."""
    args = getattr(getattr(error, "orig", None), "args", ())
    return bool(args) and args[0] in DEADLOCK_ERRORS


def retry_once_on_deadlock(work):
    """Run the unit of work `work` again, once, after a deadlock rolled its transaction back."""

    @functools.wraps(work)
    def run(*args, **kwargs):
        try:
            return work(*args, **kwargs)
        except OperationalError as error:
            if not is_deadlock(error):
                raise
            db.session.rollback()
            log.warning("%s was a deadlock victim; running it once more", work.__name__)
            return work(*args, **kwargs)

    return run
