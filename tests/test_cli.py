"""Operator commands: demo data, staff accounts, scan code generation."""

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from tests.reliability.services import assert_ledger_invariants
from webapp.admin.stats import day_range, scans_per_day, signups_per_day
from webapp.demo_activity import SHOPPERS
from webapp.extensions import db
from webapp.loyalty.codes import ALPHABET, CODE_LENGTH
from webapp.loyalty.goals import active_goals
from webapp.models import Brand, BrandStaff, Product, Rank, ScanCode, User, UserActionLog

pytestmark = pytest.mark.sqlite_ok


def seed(runner):
    result = runner.invoke(args=["seed-demo", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_seed_demo_json_gives_what_a_tester_needs(app):
    data = seed(app.test_cli_runner())
    assert data["brand"] == "green-harbor"
    assert set(data["staff"]) == {"email", "password"}
    assert set(data["consumer"]) == {"email", "password"}
    assert len(data["codes"]) >= 20
    reward = db.session.get(Product, data["reward_product_id"])
    assert reward.points_cost > 0
    ranks = {
        r.key: (r.points_required, str(r.point_multiplier))
        for r in db.session.scalars(select(Rank))
    }
    assert ranks == {"bronze": (1000, "1.20"), "silver": (5000, "1.50"), "gold": (10000, "2.00")}
    assert db.session.scalar(select(func.count()).select_from(Product)) >= 12


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    first = seed(runner)
    second = seed(runner)
    assert first["codes"] == second["codes"]
    assert db.session.scalar(select(func.count()).select_from(Brand)) == 1
    shoppers = User.email.like("shopper-%@greenharbor.example")
    assert db.session.scalar(select(func.count()).select_from(User).where(~shoppers)) == 2
    assert db.session.scalar(select(func.count()).select_from(User).where(shoppers)) == SHOPPERS


def test_the_demo_admin_charts_show_ninety_days_of_a_program_in_use(app):
    seed(app.test_cli_runner())
    brand = db.session.scalar(select(Brand))
    scan_days = [day for day, scans in scans_per_day(brand.id, day_range(90)) if scans]
    join_days = [day for day, joins in signups_per_day(brand.id, day_range(90)) if joins]
    assert len(scan_days) >= 30 and len(join_days) >= 20
    assert (max(scan_days) - min(scan_days)).days >= 60
    assert_ledger_invariants()  # dated back, every balance is still the sum of its rows


def test_the_demo_member_starts_with_history_a_redeemable_reward_and_a_goal(app):
    seed(app.test_cli_runner())
    sam = db.session.scalar(select(User).where(User.email == "sam@greenharbor.example"))
    costs = db.session.scalars(select(Product.points_cost).where(Product.points_cost > 0)).all()
    assert sam.points_balance >= min(costs)
    scans = db.session.scalar(
        select(func.count())
        .select_from(UserActionLog)
        .where(UserActionLog.user_id == sam.id, UserActionLog.action_type == "product_scanned")
    )
    assert scans >= 8
    (goal,) = active_goals(sam.id, sam.signup_brand_id)
    assert goal.target_points * 0.7 <= sam.points_balance < goal.target_points


def test_seed_demo_if_empty_still_prints_the_accounts(app):
    runner = app.test_cli_runner()
    seed(runner)
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "sam@greenharbor.example / harbor-member-2026" in result.stdout
    assert f"{app.config['PUBLIC_URL']}/s/" in result.stdout


def test_seeded_accounts_can_sign_in(app, client, auth):
    data = seed(app.test_cli_runner())
    response = auth.login(data["consumer"]["email"], data["consumer"]["password"])
    assert response.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert 'id="points-balance"' in page and 'id="rank-name"' in page


def test_create_staff_creates_the_user_and_role(app, make):
    brand = make.brand(slug="acme")
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--brand",
            "acme",
            "--email",
            "Boss@Acme.example",
            "--role",
            "manager",
            "--password",
            "s3cret-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@acme.example"))
    staff = db.session.scalar(select(BrandStaff).where(BrandStaff.user_id == user.id))
    assert (staff.brand_id, staff.role) == (brand.id, "manager")


def test_create_staff_rejects_an_unknown_brand(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "--brand",
            "nope",
            "--email",
            "a@b.example",
            "--role",
            "owner",
            "--password",
            "x",
        ]
    )
    assert result.exit_code != 0
    assert "No brand" in result.output


def test_codes_generate_writes_a_csv_of_claim_urls(app, make, tmp_path):
    brand = make.brand(slug="acme")
    make.product(brand, sku="CART-1")
    out = tmp_path / "codes.csv"
    result = app.test_cli_runner().invoke(
        args=[
            "codes",
            "generate",
            "--brand",
            "acme",
            "--sku",
            "CART-1",
            "--count",
            "250",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 250
    assert len({row["code"] for row in rows}) == 250
    for row in rows:
        assert len(row["code"]) == CODE_LENGTH and set(row["code"]) <= set(ALPHABET)
        assert row["url"] == f"http://rewards.test/s/{row['code']}"
    assert db.session.scalar(select(func.count()).select_from(ScanCode)) == 250


def test_codes_clear_bad_codes_lifts_a_members_and_an_ips_slowdown(app, make):
    from webapp.loyalty.scan_limits import bad_codes_allowed, record_bad_code

    limits = {"bad_codes_per_user_per_hour": 1, "bad_codes_per_ip_per_hour": 1}
    brand = make.brand(slug="acme", settings={"rate_limits": limits})
    user = make.user(email="slow@example.com")
    for _ in range(2):
        record_bad_code(brand.id, user.id, "203.0.113.5")
    assert not bad_codes_allowed(brand.id, user.id, None)
    assert not bad_codes_allowed(brand.id, None, "203.0.113.5")
    runner = app.test_cli_runner()
    args = ["codes", "clear-bad-codes", "--brand", "acme"]
    result = runner.invoke(args=[*args, "--email", "Slow@example.com"])
    assert result.exit_code == 0, result.output
    assert bad_codes_allowed(brand.id, user.id, None)
    assert not bad_codes_allowed(brand.id, None, "203.0.113.5")
    assert runner.invoke(args=[*args, "--ip", "203.0.113.5"]).exit_code == 0
    assert bad_codes_allowed(brand.id, None, "203.0.113.5")


def test_codes_clear_bad_codes_refuses_unclear_requests(app, make):
    make.brand(slug="acme")
    runner = app.test_cli_runner()
    args = ["codes", "clear-bad-codes", "--brand", "acme"]
    assert runner.invoke(args=args).exit_code == 2
    unknown = runner.invoke(args=[*args, "--email", "nobody@example.com"])
    assert unknown.exit_code == 1 and "No account" in unknown.output
