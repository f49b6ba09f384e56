"""The history page: the member's points ledger, 20 at a time, with an htmx "load more"."""

from flask import render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required

from webapp.loyalty.history import history_page
from webapp.portal import bp
from webapp.tenancy import current_brand
from webapp.translation_marks import N_

PER_PAGE = 20
ACTION_WORDS = {
    "product_scanned": N_("Scanned a product"),
    "referral_initiated": N_("A friend joined with your link"),
    "referral_converted": N_("Your friend made their first scan"),
    "referral_bonus": N_("Referral bonus"),
    "wishlist_added": N_("Added to your wishlist"),
    "wishlist_removed": N_("Removed from your wishlist"),
    "achievement_unlocked": N_("Achievement unlocked"),
    "reward_redeemed": N_("Redeemed a reward"),
    "points_adjusted": N_("Adjusted by our team"),
    "points_refunded": N_("Refund for a cancelled reward"),
    "points_expired": N_("Expired"),
    "campaign_bonus_awarded": N_("Campaign bonus"),
    "goal_set": N_("Set a goal"),
    "goal_reached": N_("Reached a goal"),
    "rank_changed": N_("Moved to a new rank"),
    "birthday_bonus": N_("Birthday bonus"),
    "points_reversed": N_("Taken back: a recalled product"),
    "tier_reward": N_("Reward for reaching a new rank"),
}


@bp.app_template_filter("action_words")
def action_words(action_type):
    """An action type as people say it: "product_scanned" -> "Scanned a product"."""
    known = ACTION_WORDS.get(action_type)
    return gettext(known) if known else action_type.replace("_", " ").capitalize()


@bp.get("/history")
@login_required
def history():
    """The ledger, newest first; htmx asks for the next page's rows only."""
    page = history_page(
        current_user.id, current_brand().id, request.args.get("page", 1, type=int), PER_PAGE
    )
    template = "portal/_history_rows.html" if request.htmx else "portal/history.html"
    return render_template(template, history=page)
