"""`flask brands ...`: onboarding a brand and its hosts, with clear errors for taken ones."""

import json

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.brand_directory import hosts_of
from webapp.models import Brand, BrandStaff, User
from webapp.tenancy import invalidate_brand_cache, resolve_brand

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture
def brands(app):
    """Run `flask brands ARGS...`; returns the result."""
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=["brands", *args])

    return run


def test_create_with_hosts_and_owner_then_list(app, brands):
    made = brands(
        "create", "--slug", "green-harbor", "--name", "Green Harbor", "--host", "A.test",
        "--host", "rewards.a.test:8000", "--owner-email", "Olivia@Example.com",
        "--owner-password", "harbor-owner-2026",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    with app.app_context():
        brand = db.session.scalar(select(Brand).where(Brand.slug == "green-harbor"))
        assert hosts_of(brand.id) == ["a.test", "rewards.a.test:8000"]
        owner = db.session.scalar(select(User).where(User.email == "olivia@example.com"))
        staff = db.session.scalar(select(BrandStaff).where(BrandStaff.user_id == owner.id))
        assert (staff.brand_id, staff.role) == (brand.id, "owner")
    listed = json.loads(brands("list", "--json").output)
    assert listed == [
        {"id": brand.id, "slug": "green-harbor", "name": "Green Harbor", "active": True,
         "hosts": ["a.test", "rewards.a.test:8000"], "members": 0},
    ]  # fmt: skip
    assert "green-harbor" in brands("list").output


def test_taken_slug_and_host_are_clear_errors(app, brands):
    assert brands("create", "--slug", "a", "--name", "A", "--host", "a.test").exit_code == 0
    taken_slug = brands("create", "--slug", "a", "--name", "Again")
    assert taken_slug.exit_code != 0 and "The slug 'a' is taken." in taken_slug.output
    taken_host = brands("create", "--slug", "b", "--name", "B", "--host", "a.test")
    assert taken_host.exit_code != 0 and "a.test is already used by another brand." in (
        taken_host.output
    )
    with app.app_context():
        assert db.session.scalar(select(Brand).where(Brand.slug == "b")) is None  # nothing half
    assert brands("create", "--slug", "b", "--name", "B").exit_code == 0
    hijack = brands("add-host", "b", "a.test")
    assert hijack.exit_code != 0 and "already used by another brand" in hijack.output
    bad = brands("add-host", "b", "not a host!")
    assert bad.exit_code != 0 and "is not a host name" in bad.output
    assert brands("add-host", "nobody", "x.test").exit_code != 0


def test_hosts_move_and_deactivation_stops_a_brand_serving(app, brands):
    brands("create", "--slug", "a", "--name", "A", "--host", "a.test")
    brands("create", "--slug", "b", "--name", "B")
    assert brands("remove-host", "a", "a.test").exit_code == 0
    assert brands("add-host", "b", "a.test").exit_code == 0
    assert "is not a host of" in brands("remove-host", "a", "a.test").output
    with app.app_context():
        invalidate_brand_cache()
        assert resolve_brand("a.test").slug == "b"
    assert brands("deactivate", "b").exit_code == 0
    with app.app_context():
        invalidate_brand_cache()
        assert resolve_brand("a.test", first_as_fallback=False) is None
        assert resolve_brand("a.test").slug == "a"  # development falls back to the first
