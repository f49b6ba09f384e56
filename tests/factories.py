"""Factories: small functions that create valid rows with sensible defaults."""

import itertools
from decimal import Decimal

from webapp.extensions import db
from webapp.loyalty.codes import new_code
from webapp.loyalty.passwords import hash_password
from webapp.models import Brand, BrandStaff, Product, Rank, ScanCode, User

DEFAULT_PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
_password_hash = {}


def _n():
    return next(_sequence)


def _hash(password):
    # bcrypt is slow on purpose; tests reuse one hash per password (4 rounds).
    if password not in _password_hash:
        _password_hash[password] = hash_password(password, rounds=4)
    return _password_hash[password]


def _save(row):
    db.session.add(row)
    db.session.commit()
    return row


def brand(**overrides):
    """An active brand."""
    n = _n()
    values = {"name": f"Brand {n}", "slug": f"brand-{n}", "settings": {}}
    values.update(overrides)
    return _save(Brand(**values))


def user(password=DEFAULT_PASSWORD, **overrides):
    """A member with a password."""
    n = _n()
    values = {
        "email": f"member{n}@example.com",
        "first_name": f"Member{n}",
        "password_hash": _hash(password),
        "points_balance": 0,
        "lifetime_points": 0,
    }
    values.update(overrides)
    return _save(User(**values))


def product(brand, **overrides):
    """A scannable product of `brand`."""
    n = _n()
    values = {
        "brand_id": brand.id,
        "sku": f"SKU-{n}",
        "name": f"Product {n}",
        "msrp": Decimal("40.00"),
        "points_award": 100,
        "product_form": "Flower",
        "strain_type": "Hybrid",
        "tags": [],
    }
    values.update(overrides)
    return _save(Product(**values))


def rank(brand, key, points_required, multiplier="1.00", **overrides):
    """A rank of `brand`'s ladder."""
    values = {
        "brand_id": brand.id,
        "key": key,
        "name": key.title(),
        "points_required": points_required,
        "point_multiplier": Decimal(multiplier),
    }
    values.update(overrides)
    return _save(Rank(**values))


def scan_code(product, **overrides):
    """An unclaimed code for `product`."""
    values = {"product_id": product.id, "code": new_code()}
    values.update(overrides)
    return _save(ScanCode(**values))


def staff(user, brand, role="owner"):
    """Give `user` a staff role in `brand`."""
    return _save(BrandStaff(user_id=user.id, brand_id=brand.id, role=role))
