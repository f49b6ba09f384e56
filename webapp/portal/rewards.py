"""Rewards: the catalogue, a reward's page with the shipping form, redeeming, my redemptions."""

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from htmx_flask import make_response

from webapp.auth.forms import attach_errors
from webapp.extensions import db
from webapp.i18n import points_number
from webapp.loyalty.redemption import (
    ExclusiveOnly,
    InsufficientPoints,
    InvalidShipping,
    PriceChanged,
    RankTooLow,
    RedemptionError,
    RegionForbids,
    redeem,
    validate_shipping,
)
from webapp.loyalty.reward_catalogue import member_redemptions, reward_catalogue, reward_offer
from webapp.portal import bp
from webapp.portal.forms import ShippingForm
from webapp.portal.htmx import points_changed_trigger
from webapp.portal.wording import translated
from webapp.tenancy import current_brand


def _offer_or_404(product_id):
    offer = reward_offer(current_user, product_id, current_brand().id)
    if offer is None:
        abort(404)
    return offer


def _redeem_panel(offer, form, step, status=200, **context):
    """The redeem panel alone for htmx, inside the reward's page otherwise."""
    template = "portal/_redeem_panel.html" if request.htmx else "portal/reward_detail.html"
    page = render_template(template, offer=offer, form=form, step=step, **context)
    return page, status


def redemption_problem(error, offer):
    """What a member reads when a redemption cannot go ahead."""
    if isinstance(error, InsufficientPoints):
        return gettext(
            "You need %(points)s more points for this reward.",
            points=points_number(error.needed - error.balance),
        )
    if isinstance(error, RankTooLow):
        if offer.rank_needed:
            return gettext("Reach %(rank)s to unlock this reward.", rank=offer.rank_needed)
        return gettext("Reach a higher rank to unlock this reward.")
    if isinstance(error, RegionForbids):
        return translated(error.args[0])
    if isinstance(error, ExclusiveOnly):
        return gettext(
            "This limited reward is for members with exclusive access, unlocked by achievements."
        )
    return gettext("That reward is not available any more.")


@bp.get("/rewards")
@login_required
def rewards():
    """The brand's rewards, the kinds the member likes most first."""
    offers = reward_catalogue(current_user, current_brand().id)
    return render_template("portal/rewards.html", offers=offers)


@bp.get("/rewards/mine")
@login_required
def my_redemptions():
    """The member's redemptions and where each one stands."""
    rows = member_redemptions(current_user.id, current_brand().id)
    return render_template("portal/my_redemptions.html", rows=rows)


@bp.get("/rewards/<int:product_id>")
@login_required
def reward_detail(product_id):
    """A reward: what it costs, what stands in the way, and the shipping form."""
    return _redeem_panel(_offer_or_404(product_id), ShippingForm(), "details")


@bp.post("/rewards/<int:product_id>/review")
@login_required
def review_redemption(product_id):
    """Check the shipping details, then ask "Redeem for N points?" (or edit them again)."""
    offer = _offer_or_404(product_id)
    form = ShippingForm()
    try:
        validate_shipping(form.shipping())
    except InvalidShipping as error:
        attach_errors(form, error.errors)
        return _redeem_panel(offer, form, "details", 422)
    if request.form.get("change"):
        return _redeem_panel(offer, form, "details")
    return _confirm_panel(offer, form)


def _confirm_panel(offer, form, status=200, **context):
    """ "Redeem for N points?" with a fresh idempotency key and the price shown."""
    form.idempotency_key.data = secrets.token_urlsafe(16)
    form.points_cost.data = offer.product.points_cost
    return _redeem_panel(offer, form, "confirm", status, **context)


@bp.post("/rewards/<int:product_id>")
@login_required
def redeem_reward(product_id):
    """Redeem the reward: the new balance on success, otherwise why it cannot be."""
    offer = _offer_or_404(product_id)
    form = ShippingForm()
    try:
        redemption = redeem(
            current_user.id,
            product_id,
            current_brand().id,
            form.shipping(),
            idempotency_key=form.idempotency_key.data,
            confirmed_cost=_confirmed_cost(form),
        )
    except InvalidShipping as error:
        attach_errors(form, error.errors)
        return _redeem_panel(offer, form, "details", 422)
    except PriceChanged as changed:
        return _confirm_panel(_offer_or_404(product_id), form, 409, problem=translated(changed))
    except (RedemptionError, InsufficientPoints) as error:
        return _redeem_panel(offer, form, "details", 422, problem=redemption_problem(error, offer))
    db.session.commit()
    return _redeemed(offer, form, redemption)


def _confirmed_cost(form):
    """The price on the confirm step the member submitted (None when the form had none)."""
    raw = (request.form.get("points_cost") or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _redeemed(offer, form, redemption):
    """htmx: the success panel, a toast and the new balance; otherwise 303 to my redemptions."""
    if not request.htmx:
        flash(
            gettext(
                "You redeemed %(product)s. We'll let you know when it ships.",
                product=offer.product.name,
            ),
            "success",
        )
        return redirect(url_for("portal.my_redemptions"), code=303)
    # The reward's status line above the panel is swapped too: the balance just went down.
    offer_after = reward_offer(current_user, offer.product.id, current_brand().id)
    page, _ = _redeem_panel(offer, form, "done", redemption=redemption, offer_after=offer_after)
    return make_response(page, trigger=points_changed_trigger(current_user))
