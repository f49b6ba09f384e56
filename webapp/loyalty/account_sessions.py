"""Session identities that die with sign-out and new passwords (a per-account version)."""

from sqlalchemy import and_, select, update
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm.util import identity_key

from webapp.extensions import db
from webapp.loyalty.ledger import lock_member
from webapp.loyalty.membership import NotAMember
from webapp.models import MemberWallet, User


def member_for_identity(identity, brand_id=None, *, lock=False):
    """(the active account an identity `"<id>:<version>"` names while its version is current,
    its wallet at `brand_id` or None), or None.

    The person and the wallet come in one statement (a page of the brand needs both); `lock`:
    the request is about to change the member's points there, so both are locked
    (`ledger.lock_member`, the statement the scan would send anyway)."""
    user_id, _, version = str(identity or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 20 or len(version) > 10:
        return None
    user, wallet = _load(int(user_id), brand_id, lock)
    if user is None or not user.is_active or (user.session_version or 0) != int(version):
        return None
    return user, wallet


def _load(user_id, brand_id, lock):
    if brand_id is None:
        return db.session.get(User, user_id), None
    if lock:
        try:
            member = lock_member(user_id, brand_id)
        except (NotAMember, NoResultFound):
            return db.session.get(User, user_id), None
        return member.user, member.wallet
    if identity_key(User, user_id) in db.session.identity_map:  # loaded: no statement
        return db.session.get(User, user_id), None
    row = db.session.execute(
        select(User, MemberWallet)
        .outerjoin(
            MemberWallet,
            and_(MemberWallet.user_id == User.id, MemberWallet.brand_id == brand_id),
        )
        .where(User.id == user_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else (None, None)


def end_every_session(user):
    """Make every session and remember-me cookie of `user` stale (in the caller's transaction)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, ["session_version"])
