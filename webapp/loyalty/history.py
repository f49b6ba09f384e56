"""A member's points history: their ledger rows, newest first, a page at a time."""

from dataclasses import dataclass

from sqlalchemy import select

from webapp.models import Product, UserActionLog
from webapp.pagination import Page, paginate

# Bookkeeping rows that never move points and mean nothing to a member reading their history.
UNLISTED_ACTIONS = (
    "user_session_started",
    "user_session_ended",
    "profile_updated",
    "password_reset",
)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the history: what happened, when, the points and the product, if any."""

    action_type: str
    points: int
    created_at: object
    product_name: str | None


def history_page(user_id, brand_id, page=1, per_page=20):
    """Page `page` (from 1) of the member's history at the brand, newest first: a Page of
    HistoryEntry rows."""
    query = (
        select(UserActionLog, Product.name)
        .outerjoin(Product, Product.id == UserActionLog.product_id)
        .where(
            UserActionLog.user_id == user_id,
            UserActionLog.brand_id == brand_id,
            UserActionLog.action_type.not_in(UNLISTED_ACTIONS),
        )
        .order_by(UserActionLog.id.desc())
    )
    found = paginate(query, page, per_page)
    entries = [
        HistoryEntry(row.action_type, row.points_awarded or 0, row.created_at, product_name)
        for row, product_name in found.rows
    ]
    return Page(entries, found.number, found.has_next)


def recent_activity(user_id, brand_id, limit=5):
    """The member's latest `limit` history entries at the brand, newest first."""
    return history_page(user_id, brand_id, 1, limit).rows
