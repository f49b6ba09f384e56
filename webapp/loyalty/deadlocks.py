"""One more try for a transaction the database picked as a deadlock victim.

Every service takes its locks in the order of `docs/architecture.md` ("Lock order"), so a
deadlock should not happen; when one still does, MariaDB has rolled the victim back whole
(error 1213), and running the service once more from the start is safe.
"""

import functools
import logging

from sqlalchemy.exc import OperationalError

from webapp.extensions import db

log = logging.getLogger(__name__)

DEADLOCK_ERRORS = (1213,)  # ER_LOCK_DEADLOCK


def is_deadlock(error):
    """True when the database rolled the transaction back to break a deadlock."""
    args = getattr(getattr(error, "orig", None), "args", ())
    return bool(args) and args[0] in DEADLOCK_ERRORS


def retry_once_on_deadlock(service):
    """Run `service` again, once, after a deadlock rolled its transaction back."""

    @functools.wraps(service)
    def run(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except OperationalError as error:
            if not is_deadlock(error):
                raise
            db.session.rollback()
            log.warning("%s was a deadlock victim; running it once more", service.__name__)
            return service(*args, **kwargs)

    return run
