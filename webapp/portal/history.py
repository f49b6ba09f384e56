"""The history page: the member's points ledger, 20 at a time, with an htmx "load more"."""

from flask import render_template, request
from flask_login import current_user, login_required

from webapp.loyalty.history import history_page
from webapp.portal import bp
from webapp.portal.htmx import is_htmx
from webapp.tenancy import current_brand

PER_PAGE = 20
ACTION_WORDS = {
    "product_scanned": "Scanned a product",
    "referral_initiated": "A friend joined with your link",
    "referral_converted": "Your friend made their first scan",
    "referral_bonus": "Referral bonus",
    "wishlist_added": "Added to your wishlist",
    "wishlist_removed": "Removed from your wishlist",
    "achievement_unlocked": "Achievement unlocked",
    "reward_redeemed": "Redeemed a reward",
    "points_adjusted": "Adjusted by our team",
    "points_refunded": "Refund for a cancelled reward",
    "points_expired": "Expired",
    "goal_set": "Set a goal",
    "goal_reached": "Reached a goal",
    "rank_changed": "Moved to a new rank",
}


@bp.app_template_filter("action_words")
def action_words(action_type):
    """An action type as people say it: "product_scanned" -> "Scanned a product"."""
    return ACTION_WORDS.get(action_type, action_type.replace("_", " ").capitalize())


@bp.get("/history")
@login_required
def history():
    """The ledger, newest first; htmx asks for the next page's rows only."""
    page = history_page(
        current_user.id, current_brand().id, request.args.get("page", 1, type=int), PER_PAGE
    )
    template = "portal/_history_rows.html" if is_htmx() else "portal/history.html"
    return render_template(template, history=page)
