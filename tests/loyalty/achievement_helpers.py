"""Helpers for the achievement tests: create, scan, evaluate, read progress."""

from decimal import Decimal

from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement, evaluate_achievements
from webapp.loyalty.ledger import lock_member
from webapp.loyalty.scan import scan_code
from webapp.models import User, UserAchievement


def achievement(brand, key, kind, value=None, rewards=None, brand_id="brand", **parts):
    """Create an achievement of `brand` (brand_id=None: global), committed."""
    criteria = {"value": value, **parts.pop("criteria", {})} if value is not None else {}
    created = create_achievement(
        brand_id=brand.id if brand_id == "brand" else brand_id,
        achievement_key=key,
        name=key.replace("-", " ").title(),
        achievement_type=kind,
        criteria=criteria,
        rewards=rewards or {"points": 0},
        **parts,
    )
    db.session.commit()
    return created


def scan(make, user, product, brand=None):
    """Scan a new code of `product` (in `brand`, by default the product's), committed."""
    brand_id = brand.id if brand else product.brand_id
    result = scan_code(user.id, make.scan_code(product).code, brand_id=brand_id)
    db.session.commit()
    return result


def evaluate(user, brand):
    """Evaluate the member's achievements outside a scan, committed."""
    unlocks = evaluate_achievements(lock_member(user.id, brand.id))
    db.session.commit()
    return unlocks


def progress(user, config):
    """The member's progress row for `config` (None when there is none)."""
    db.session.expire_all()
    return db.session.scalar(
        select(UserAchievement).where(
            UserAchievement.user_id == user.id, UserAchievement.achievement_config_id == config.id
        )
    )


def balance(user):
    """The member's committed balance."""
    db.session.expire_all()
    return db.session.get(User, user.id).points_balance


def new_program(make):
    """A brand, a product worth 100 points (MSRP 40.00) and a member."""
    brand = make.brand()
    return brand, make.product(brand, points_award=100, msrp=Decimal("40.00")), make.user()
