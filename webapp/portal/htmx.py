"""HTMX helpers shared by the portal pages: request detection and the `pointsChanged` trigger."""

import json

from flask import request

from webapp.i18n import points_number
from webapp.loyalty.membership import wallet_of
from webapp.loyalty.ranks import rank_name_for
from webapp.tenancy import current_brand


def is_htmx():
    """True when the request was sent by htmx (it then wants a partial, not a page)."""
    return request.headers.get("HX-Request") == "true"


def points_changed(user):
    """The `pointsChanged` event payload for the header's balance and rank at this brand."""
    brand = current_brand()
    wallet = wallet_of(user.id, brand.id) if brand is not None else None
    balance = wallet.points_balance if wallet else 0
    return {
        "balance": balance,
        "balance_display": points_number(balance),
        "rank_name": rank_name_for(brand, wallet.current_rank_key if wallet else None),
    }


def trigger_points_changed(response, user):
    """Add `HX-Trigger: {"pointsChanged": ...}` so the page header shows the new balance."""
    response.headers["HX-Trigger"] = json.dumps({"pointsChanged": points_changed(user)})
    return response
