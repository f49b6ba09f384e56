"""The demo member's story: packs scanned through the real rules, a redeemable balance and a
goal within reach, so a newcomer can try a redemption right away."""

from sqlalchemy import func, select

from webapp.code_batches import generate_codes
from webapp.extensions import db
from webapp.loyalty.goals import set_goal_from_wishlist
from webapp.loyalty.scan import scan_code
from webapp.loyalty.wishlist import toggle_wishlist
from webapp.models import Product, ScanCode, UserActionLog

# The packs Sam has scanned, oldest first; with the first-scan and five-scan achievements and
# Bronze's multiplier they leave a balance above the tee and short of the battery.
SCANNED_SKUS = (
    "GH-VC-SD",
    "GH-FL-GSC",
    "GH-VC-GDP",
    "GH-FL-JH",
    "GH-ED-MG",
    "GH-FL-NL",
    "GH-CN-WW",
    "GH-CN-GG",
    "GH-VC-BD",
    "GH-ED-CB",
    "GH-VC-SD",
)
GOAL_SKU = "GH-RW-BAT"


def _has_history(user_id, brand_id):
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(UserActionLog)
            .where(UserActionLog.user_id == user_id, UserActionLog.brand_id == brand_id)
        )
    )


def _product(brand_id, sku):
    return db.session.scalar(select(Product).filter_by(brand_id=brand_id, sku=sku))


def _scan_one(user_id, brand_id, product):
    batch = generate_codes(brand_id, product.id, 1)
    code = db.session.scalar(select(ScanCode.code).where(ScanCode.batch_id == batch.id))
    result = scan_code(user_id, code, brand_id=brand_id, ip_address="127.0.0.1")
    if result.outcome != "awarded":
        raise RuntimeError(f"demo scan of {product.sku} was not awarded: {result.outcome}")


def tell_member_story(user_id, brand_id):
    """Give the demo member their history once (a member with any activity is left alone)."""
    if _has_history(user_id, brand_id):
        return
    for sku in SCANNED_SKUS:
        _scan_one(user_id, brand_id, _product(brand_id, sku))
    goal = _product(brand_id, GOAL_SKU)
    toggle_wishlist(user_id, goal.id, brand_id)
    set_goal_from_wishlist(user_id, goal.id, brand_id)
    db.session.commit()
