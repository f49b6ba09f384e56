"""Wishlist: toggling hearts on a brand's active products."""

import pytest

from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.wishlist import (
    WishlistError,
    toggle_wishlist,
    wishlist_product_ids,
    wishlist_products,
)
from webapp.models import User

pytestmark = pytest.mark.sqlite_ok


def test_toggle_adds_then_removes(make, recorded):
    brand = make.brand()
    user = make.user()
    product = make.product(brand)
    assert toggle_wishlist(user.id, product.id, brand.id) is True
    assert wishlist_product_ids(user.id) == {product.id}
    assert toggle_wishlist(user.id, product.id, brand.id) is False
    assert wishlist_product_ids(user.id) == set()
    added = recorded.actions(user, "wishlist_added")
    removed = recorded.actions(user, "wishlist_removed")
    assert [(row.product_id, row.points_awarded) for row in added] == [(product.id, 0)]
    assert [(row.product_id, row.brand_id) for row in removed] == [(product.id, brand.id)]
    events = recorded.events(user, "wishlist_added")
    assert len(events) == 1
    assert events[0].event_data["product_snapshot"]["identity"]["id"] == product.id
    assert recorded.events(user, "wishlist_removed") == []


def test_wishlist_lists_only_the_brands_active_products(make):
    brand = make.brand()
    other = make.brand()
    user = make.user()
    first = make.product(brand)
    second = make.product(brand)
    foreign = make.product(other)
    toggle_wishlist(user.id, first.id, brand.id)
    toggle_wishlist(user.id, second.id, brand.id)
    toggle_wishlist(user.id, foreign.id, other.id)
    assert [p.id for p in wishlist_products(user.id, brand.id)] == [second.id, first.id]
    assert wishlist_product_ids(user.id) == {first.id, second.id, foreign.id}


@pytest.mark.parametrize("case", ["other_brand", "inactive", "missing"])
def test_only_the_brands_active_products(make, recorded, case):
    brand = make.brand()
    user = make.user()
    product_id = {
        "other_brand": lambda: make.product(make.brand()).id,
        "inactive": lambda: make.product(brand, is_active=False).id,
        "missing": lambda: 987_654,
    }[case]()
    with pytest.raises(WishlistError, match="not available"):
        toggle_wishlist(user.id, product_id, brand.id)
    assert wishlist_product_ids(user.id) == set()
    assert recorded.actions(user, "wishlist_added") == []


def test_a_retired_product_can_still_be_taken_off(make, recorded):
    brand = make.brand()
    user = make.user()
    product = make.product(brand)
    toggle_wishlist(user.id, product.id, brand.id)
    product.is_active = False
    db.session.commit()
    assert toggle_wishlist(user.id, product.id, brand.id) is False
    assert wishlist_product_ids(user.id) == set()
    assert len(recorded.actions(user, "wishlist_removed")) == 1
    with pytest.raises(WishlistError, match="not available"):
        toggle_wishlist(user.id, product.id, brand.id)


def test_wishlist_achievement_unlocks_on_the_second_heart(make, recorded):
    brand = make.brand()
    user = make.user()
    create_achievement(
        brand_id=brand.id,
        achievement_key="collector",
        name="Collector",
        achievement_type="wishlist_items",
        criteria={"metric": "wishlist_items", "operator": ">=", "value": 2},
        rewards={"points": 25},
    )
    first, second = make.product(brand), make.product(brand)
    toggle_wishlist(user.id, first.id, brand.id)
    assert recorded.actions(user, "achievement_unlocked") == []
    toggle_wishlist(user.id, second.id, brand.id)
    unlocked = recorded.actions(user, "achievement_unlocked")
    assert [row.points_awarded for row in unlocked] == [25]
    db.session.expire_all()
    assert db.session.get(User, user.id).points_balance == 25
