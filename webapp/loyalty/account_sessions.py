"""Session identities that die with sign-out and new passwords (a per-account version)."""

from sqlalchemy import update

from webapp.extensions import db
from webapp.models import User


def user_for_identity(identity):
    """The active account an identity `"<id>:<version>"` names while its version is current."""
    user_id, _, version = str(identity or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 20 or len(version) > 10:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or (user.session_version or 0) != int(version):
        return None
    return user


def end_every_session(user):
    """Make every session and remember-me cookie of `user` stale (in the caller's transaction)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["session_version"])
