"""Memberships: a person joins a brand's program, and only members reach its wallet.

One account per person (`users.email` is unique); each brand they join gives them a
`member_wallets` row. Joining is a consent step (the brand then sees the profile), never a
side effect of visiting a host.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.events.identify import wallet_of
from webapp.events.outbox import record_event, record_identify
from webapp.extensions import db
from webapp.models import Brand, MemberWallet
from webapp.timeutil import utcnow


class NotAMember(Exception):
    """The person has not joined this brand's program."""

    def __init__(self, brand_id):
        brand = db.session.get(Brand, brand_id) if brand_id is not None else None
        name = brand.name if brand else "this program"
        super().__init__(f"Join {name} first to collect and spend points here.")
        self.brand_id = brand_id


def is_member(user_id, brand_id):
    """True when the person joined the brand."""
    return wallet_of(user_id, brand_id) is not None


def member_brand_ids(user_id):
    """The brands the person joined, oldest membership first."""
    return list(
        db.session.scalars(
            select(MemberWallet.brand_id)
            .where(MemberWallet.user_id == user_id)
            .order_by(MemberWallet.joined_at, MemberWallet.brand_id)
        )
    )


def add_membership(user, brand_id, *, marketing_consent=False, now=None):
    """Make `user` a member of the brand (not committed); the existing wallet when they are.

    The insert runs in a savepoint: two joins at the same moment leave one wallet.
    """
    existing = wallet_of(user.id, brand_id)
    if existing is not None:
        return existing
    now = now or utcnow()
    wallet = MemberWallet(
        user_id=user.id,
        brand_id=brand_id,
        points_balance=0,
        lifetime_points=0,
        marketing_consent=bool(marketing_consent),
        marketing_consent_updated_at=now,
        joined_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(wallet)
    except IntegrityError:
        return db.session.get(MemberWallet, (user.id, brand_id), populate_existing=True)
    return wallet


def join_brand(user, brand_id, *, marketing_consent=False):
    """An existing account joins a brand's program explicitly; returns the wallet.

    The brand's workspace hears of the new member (`brand_joined` and an identify).
    """
    if is_member(user.id, brand_id):
        return wallet_of(user.id, brand_id)
    wallet = add_membership(user, brand_id, marketing_consent=marketing_consent)
    record_event(user, "brand_joined", brand_id=brand_id)
    record_identify(user, brand_id=brand_id)
    return wallet


def sync_marketing_consent(user, changed_at):
    """`users.marketing_consent` follows the memberships: true while at least one consents."""
    db.session.flush()
    wallets = db.session.execute(
        select(MemberWallet.marketing_consent, MemberWallet.marketing_consent_updated_at).where(
            MemberWallet.user_id == user.id
        )
    ).all()
    user.marketing_consent = any(consent for consent, _ in wallets)
    user.marketing_consent_updated_at = max(
        (at for _, at in wallets if at is not None), default=changed_at
    )


def set_marketing_consent(user, brand_id, consent, changed_at=None):
    """The member's own choice about one brand's marketing; True when it changed."""
    wallet = wallet_of(user.id, brand_id)
    if wallet is None or wallet.marketing_consent == bool(consent):
        return False
    changed_at = changed_at or utcnow()
    last_change = wallet.marketing_consent_updated_at
    if consent and last_change is not None and last_change > changed_at:
        return False  # a subscribe never beats a newer opt-out
    wallet.marketing_consent = bool(consent)
    wallet.marketing_consent_updated_at = changed_at
    sync_marketing_consent(user, changed_at)
    return True
