"""The wishlist page and the heart that adds or removes a product anywhere it appears."""

from flask import abort, redirect, render_template, request
from flask_login import current_user, login_required
from htmx_flask import make_response

from webapp.extensions import db
from webapp.loyalty.wishlist import WishlistError, toggle_wishlist, wishlist_products
from webapp.models import Product
from webapp.portal import bp
from webapp.portal.htmx import points_changed_trigger
from webapp.tenancy import current_brand, current_wallet
from webapp.urls import safe_next


@bp.get("/wishlist")
@login_required
def wishlist():
    """The member's hearted products, each with "Set as goal" when it is a reward."""
    products = wishlist_products(current_user.id, current_brand().id)
    return render_template("portal/wishlist.html", products=products)


@bp.post("/wishlist/<int:product_id>", endpoint="toggle_wishlist")
@login_required
def toggle_wishlist_item(product_id):
    """Heart or un-heart a product: the heart alone for htmx, else back to the page.

    A heart can unlock an achievement: htmx then also hears of the new balance."""
    balance_before = current_wallet().points_balance
    try:
        wishlisted = toggle_wishlist(current_user.id, product_id, current_brand().id)
    except WishlistError:
        abort(404)
    db.session.commit()
    next_url = safe_next(request.form.get("next"), "portal.wishlist")
    if not request.htmx:
        return redirect(next_url, code=303)
    heart = render_template(
        "portal/_heart.html",
        product=db.session.get(Product, product_id),
        wishlisted=wishlisted,
        heart_next=next_url,
    )
    changed = current_wallet().points_balance != balance_before
    return make_response(heart, trigger=points_changed_trigger(current_user) if changed else None)
