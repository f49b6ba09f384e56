"""The `pointsChanged` event the portal's htmx answers trigger (with htmx-flask's
`make_response(..., trigger=...)`) so the page header shows the new balance and rank."""

from webapp.i18n import points_number
from webapp.loyalty.membership import wallet_of
from webapp.loyalty.ranks import rank_name_for
from webapp.tenancy import current_brand


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


def points_changed_trigger(user):
    """The `HX-Trigger` value that tells the page header the member's new balance and rank."""
    return {"pointsChanged": points_changed(user)}
