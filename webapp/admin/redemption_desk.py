"""The redemption queue: listing, fulfilling or cancelling with a refund, the shipping CSV."""

import csv
import io

from sqlalchemy import case, select

from webapp.admin.security import record
from webapp.csv_cells import safe_row
from webapp.extensions import db
from webapp.loyalty.redemption import RedemptionError, cancel_redemption, fulfil_redemption
from webapp.models import Product, Redemption, User
from webapp.models.redemptions import REDEMPTION_STATUSES
from webapp.pagination import paginate

QUEUE_PAGE = 50
CSV_HEADER = (
    "id", "created", "member email", "name", "address line 1", "address line 2", "city",
    "region", "postal code", "country", "phone", "product sku", "product name", "status",
)  # fmt: skip

__all__ = ["RedemptionError", "cancel", "fulfil", "queue", "queue_row", "shipping_csv_lines"]


def _queue_query(brand_id, status):
    """(Redemption, member email, product sku, product name): pending first, oldest first."""
    query = (
        select(Redemption, User.email, Product.sku, Product.name)
        .join(User, User.id == Redemption.user_id)
        .join(Product, Product.id == Redemption.product_id)
        .where(Redemption.brand_id == brand_id)
    )
    if status in REDEMPTION_STATUSES:
        query = query.where(Redemption.status == status)
    pending_first = case((Redemption.status == "pending", 0), else_=1)
    return query.order_by(pending_first, Redemption.created_at, Redemption.id)


def queue(brand_id, status, page):
    """Page `page` of the queue (`status` None or unknown: every status)."""
    return paginate(_queue_query(brand_id, status), page, QUEUE_PAGE)


def queue_row(redemption):
    """One redemption as a queue row."""
    query = _queue_query(redemption.brand_id, None).where(Redemption.id == redemption.id)
    return db.session.execute(query).one()


def fulfil(staff, redemption, note):
    """Mark a pending redemption as sent, with an optional note; audited."""
    fulfil_redemption(redemption.id, staff.user_id, (note or "").strip() or None)
    record("redemption_fulfilled", redemption)
    db.session.commit()
    return "Marked as fulfilled."


def cancel(staff, redemption, reason):
    """Cancel a pending redemption and refund its points; the reason is required; audited."""
    cancelled = cancel_redemption(redemption.id, staff_user_id=staff.user_id, reason=reason)
    record("redemption_cancelled", redemption, reason=cancelled.staff_note)
    db.session.commit()
    return f"Cancelled; {cancelled.points_spent:,} points went back to the member."


def shipping_csv_lines(brand_id, status):
    """Yield the queue as CSV lines for shipping, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    for redemption, email, sku, product_name in db.session.execute(
        _queue_query(brand_id, status)
    ).yield_per(1000):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            safe_row(
                (
                    redemption.id, redemption.created_at, email, redemption.shipping_name,
                    redemption.shipping_address1, redemption.shipping_address2,
                    redemption.shipping_city, redemption.shipping_region,
                    redemption.shipping_postal_code, redemption.shipping_country,
                    redemption.shipping_phone, sku, product_name, redemption.status,
                )
            )
        )  # fmt: skip
        yield buffer.getvalue()
