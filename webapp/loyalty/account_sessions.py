"""Session identities that die with sign-out and new passwords (a per-account version)."""

from sqlalchemy import update
from sqlalchemy.exc import NoResultFound

from webapp.extensions import db
from webapp.loyalty.ledger import lock_member
from webapp.loyalty.membership import NotAMember
from webapp.models import User


def user_for_identity(identity, lock_at=None):
    """The active account an identity `"<id>:<version>"` names while its version is current.

    `lock_at` (a brand id): the request is about to change the member's points there, so
    the person and that wallet are loaded locked (`ledger.lock_member`) in the one statement
    the scan would send anyway; a person who is no member there is loaded as usual."""
    user_id, _, version = str(identity or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 20 or len(version) > 10:
        return None
    user = _locked(int(user_id), lock_at) if lock_at is not None else None
    if user is None:
        user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or (user.session_version or 0) != int(version):
        return None
    return user


def _locked(user_id, brand_id):
    try:
        return lock_member(user_id, brand_id).user
    except (NotAMember, NoResultFound):
        return None


def end_every_session(user):
    """Make every session and remember-me cookie of `user` stale (in the caller's transaction)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["session_version"])
