"""The wishlist: hearts on a brand's active products."""

from sqlalchemy import delete, select

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.achievements import evaluate_achievements
from webapp.loyalty.ledger import lock_member, log_action
from webapp.models import Product, Wishlist
from webapp.translation_marks import N_


class WishlistError(Exception):
    """A wishlist change that cannot be made; the message says why."""


def wishlist_product_ids(user_id):
    """The ids of the products on the member's wishlist (for hearts on pages)."""
    return set(db.session.scalars(select(Wishlist.product_id).where(Wishlist.user_id == user_id)))


def wishlist_products(user_id, brand_id):
    """The brand's active products on the member's wishlist, most recently added first."""
    return db.session.scalars(
        select(Product)
        .join(Wishlist, Wishlist.product_id == Product.id)
        .where(
            Wishlist.user_id == user_id,
            Product.brand_id == brand_id,
            Product.is_active.is_(True),
        )
        .order_by(Wishlist.id.desc())
    ).all()


def toggle_wishlist(user_id, product_id, brand_id):
    """Add the product to the wishlist, or take it off; True when it was added.

    A product the brand has retired can still be taken off, never added.
    """
    product = db.session.get(Product, product_id)
    if product is None or product.brand_id != brand_id:
        raise WishlistError(N_("That product is not available."))
    member = lock_member(user_id, brand_id)
    user = member.user
    removed = db.session.execute(
        delete(Wishlist).where(Wishlist.user_id == user_id, Wishlist.product_id == product_id)
    ).rowcount
    if removed:
        log_action(user, "wishlist_removed", brand_id=brand_id, product_id=product_id)
    elif product.is_active:
        _add(user, product, brand_id)
    else:
        raise WishlistError(N_("That product is not available."))
    evaluate_achievements(member)
    return not removed


def _add(user, product, brand_id):
    # No duplicate can slip in: the user row lock serialises one member's toggles.
    db.session.add(Wishlist(user_id=user.id, product_id=product.id))
    log_action(user, "wishlist_added", brand_id=brand_id, product_id=product.id)
    record_event(user, "wishlist_added", brand_id=brand_id, product=product)
