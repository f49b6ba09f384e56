"""HTMX helpers shared by the portal pages: request detection and the `pointsChanged` trigger."""

import json

from flask import request

from webapp.loyalty.ranks import rank_name_for
from webapp.tenancy import current_brand


def is_htmx():
    """True when the request was sent by htmx (it then wants a partial, not a page)."""
    return request.headers.get("HX-Request") == "true"


def points_changed(user):
    """The `pointsChanged` event payload for the header's balance and rank."""
    balance = int(user.points_balance or 0)
    return {
        "balance": balance,
        "balance_display": f"{balance:,}",
        "rank_name": rank_name_for(current_brand(), user.current_rank_key),
    }


def trigger_points_changed(response, user):
    """Add `HX-Trigger: {"pointsChanged": ...}` so the page header shows the new balance."""
    response.headers["HX-Trigger"] = json.dumps({"pointsChanged": points_changed(user)})
    return response
