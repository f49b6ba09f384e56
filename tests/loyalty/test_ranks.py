"""Rank ladders: the implicit member rank, progress to the next rank, the in-process cache."""

from decimal import Decimal

import pytest
from sqlalchemy import event, text

from webapp.extensions import db
from webapp.loyalty.config_cache import invalidate_all
from webapp.loyalty.ranks import (
    MEMBER_RANK,
    ladder,
    rank_for,
    rank_name_for,
    rank_progress,
)


@pytest.fixture
def brand(make):
    brand = make.brand()
    make.rank(brand, "silver", 1000, "1.25")
    make.rank(brand, "gold", 5000, "1.50")
    make.rank(brand, "retired", 200, "3.00", is_active=False)
    return brand


@pytest.mark.sqlite_ok
def test_the_ladder_starts_with_the_implicit_member_rank(brand):
    steps = ladder(brand.id)
    assert [(s.key, s.points_required, s.multiplier) for s in steps] == [
        ("member", 0, Decimal("1.00")),
        ("silver", 1000, Decimal("1.25")),
        ("gold", 5000, Decimal("1.50")),
    ]


@pytest.mark.sqlite_ok
def test_a_zero_point_rank_replaces_the_member_rank(make):
    brand = make.brand()
    make.rank(brand, "seedling", 0, "1.10")
    assert [s.key for s in ladder(brand.id)] == ["seedling"]
    assert ladder(make.brand().id) == (MEMBER_RANK,)


@pytest.mark.sqlite_ok
@pytest.mark.parametrize(
    ("lifetime", "key"), [(0, "member"), (999, "member"), (1000, "silver"), (9999, "gold")]
)
def test_rank_for_is_the_highest_threshold_reached(brand, lifetime, key):
    assert rank_for(ladder(brand.id), lifetime).key == key


@pytest.mark.sqlite_ok
def test_progress_to_the_next_rank(brand):
    progress = rank_progress(brand.id, 250)
    assert (progress.current.key, progress.next.key) == ("member", "silver")
    assert (progress.points_to_next, progress.percent) == (750, 25)
    halfway = rank_progress(brand.id, 3000)
    assert (halfway.current.key, halfway.next.key, halfway.points_to_next) == (
        "silver",
        "gold",
        2000,
    )
    assert halfway.percent == 50
    assert rank_progress(brand.id, 4999).percent == 99  # 100 only once the rank is reached


@pytest.mark.sqlite_ok
def test_the_top_rank_has_no_next(brand):
    progress = rank_progress(brand.id, 7000)
    assert (progress.current.key, progress.next, progress.points_to_next, progress.percent) == (
        "gold",
        None,
        0,
        100,
    )


@pytest.mark.sqlite_ok
def test_rank_names(brand):
    assert rank_name_for(brand, "silver") == "Silver"
    assert rank_name_for(brand, "nope") == "Member"
    assert rank_name_for(None, "silver") == "Member"


@pytest.mark.sqlite_ok
def test_the_ladder_is_read_once_then_cached(brand):
    statements = []
    engine = db.engine

    def count(*args):
        statements.append(args[2])

    ladder(brand.id)
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            ladder(brand.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


@pytest.mark.sqlite_ok
def test_saving_a_rank_forgets_the_cached_ladder(make, brand):
    assert len(ladder(brand.id)) == 3
    make.rank(brand, "platinum", 10000, "2.00")
    assert [s.key for s in ladder(brand.id)][-1] == "platinum"


@pytest.mark.sqlite_ok
def test_changes_made_elsewhere_show_after_invalidate(brand):
    assert len(ladder(brand.id)) == 3
    db.session.execute(text("UPDATE ranks SET is_active = 0 WHERE brand_id = :b"), {"b": brand.id})
    db.session.commit()
    assert len(ladder(brand.id)) == 3  # another process's change: cached for the TTL
    invalidate_all()  # what check_stamp does when another process raised the stamp
    assert ladder(brand.id) == (MEMBER_RANK,)
