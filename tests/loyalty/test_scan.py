"""Scanning: every outcome, the award and its multiplier, and what one scan writes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from webapp.code_batches import fill_batch, generate_codes
from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.codes import create_batch, void_batch_codes
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import attach_referral
from webapp.loyalty.scan import preview_code, scan_code, scan_points
from webapp.loyalty.scan_limits import bad_codes_allowed, clear_bad_codes
from webapp.models import MemberWallet, Referral, ScanCode, User, UserAchievement
from webapp.timeutil import utcnow


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


@pytest.fixture
def program(make):
    """A brand with a product worth 100 points and a member."""
    brand = make.brand()
    product = make.product(brand, points_award=100, name="Blue Dream 3.5g")
    return brand, product, make.user()


@pytest.mark.sqlite_ok
def test_scan_awards_points_logs_and_records_the_event(make, program, recorded):
    brand, product, user = program
    code = make.scan_code(product)
    result = scan_code(
        user.id, code.code, brand_id=brand.id, ip_address="203.0.113.9", user_agent="Phone/1.0"
    )
    assert (result.outcome, result.points, result.balance) == ("awarded", 100, 100)
    assert result.product.id == product.id
    assert result.message == "You earned 100 points for Blue Dream 3.5g."
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points, fresh.current_rank_key) == (
        100,
        100,
        "member",
    )
    [log] = recorded.actions(user, "product_scanned")
    assert (log.points_awarded, log.product_id, log.brand_id) == (100, product.id, brand.id)
    assert (log.ip_address, log.user_agent) == ("203.0.113.9", "Phone/1.0")
    assert log.action_data == {"code": code.code, "base_points": 100, "multiplier": "1.00"}
    [event] = recorded.events(user, "product_scanned")
    assert event.brand_id == brand.id
    data = event.event_data
    assert data["product_snapshot"]["identity"]["sku"] == product.sku
    assert data["user_snapshot"]["economy"]["points_balance"] == 100
    assert data["event_context"]["points_awarded"] == 100
    assert data["event_context"]["brand_id"] == brand.id
    claimed = db.session.scalar(select(ScanCode).where(ScanCode.id == code.id))
    assert claimed.claimed_by_user_id == user.id and claimed.claimed_at is not None


@pytest.mark.sqlite_ok
def test_codes_are_read_the_way_people_type_them(make, program):
    brand, product, user = program
    code = make.scan_code(product)
    typed = f" {code.code[:5].lower()}-{code.code[5:]} "
    assert scan_code(user.id, typed, brand_id=brand.id).outcome == "awarded"


@pytest.mark.sqlite_ok
@pytest.mark.parametrize("raw", ["NOSUCHCODE2345", "", "   ", "---"])
def test_unknown_code(program, raw):
    brand, _product, user = program
    result = scan_code(user.id, raw, brand_id=brand.id)
    assert result.outcome == "unknown"
    assert "couldn't find" in result.message
    assert reload(user).points_balance == 0


@pytest.mark.sqlite_ok
def test_voided_code(make, program):
    brand, product, user = program
    code = make.scan_code(product, voided_at=utcnow())
    result = scan_code(user.id, code.code, brand_id=brand.id)
    assert (result.outcome, result.points) == ("voided", 0)
    assert "no longer valid" in result.message


@pytest.mark.sqlite_ok
def test_already_yours_and_already_claimed_are_distinct(make, program):
    brand, product, user = program
    other = make.user()
    code = make.scan_code(product)
    assert scan_code(user.id, code.code, brand_id=brand.id).outcome == "awarded"
    again = scan_code(user.id, code.code, brand_id=brand.id)
    theirs = scan_code(other.id, code.code, brand_id=brand.id)
    assert (again.outcome, theirs.outcome) == ("already_yours", "already_claimed")
    assert again.message != theirs.message
    assert (reload(user).points_balance, reload(other).points_balance) == (100, 0)


@pytest.mark.sqlite_ok
def test_another_brands_code_is_not_claimed(make, program):
    brand, _product, user = program
    other_brand = make.brand()
    make.member(user, other_brand)
    code = make.scan_code(make.product(other_brand))
    result = scan_code(user.id, code.code, brand_id=brand.id)
    assert result.outcome == "wrong_brand"
    db.session.expire_all()
    assert db.session.get(ScanCode, code.id).claimed_by_user_id is None
    assert scan_code(user.id, code.code, brand_id=other_brand.id).outcome == "awarded"


def test_bad_codes_are_rate_limited_per_member(make, program):
    brand, product, user = program
    brand.settings = {"rate_limits": {"bad_codes_per_user_per_hour": 3}}
    db.session.commit()
    good = make.scan_code(product)
    for _ in range(3):
        assert scan_code(user.id, "WRONGWRONG2345", brand_id=brand.id).outcome == "unknown"
    blocked = scan_code(user.id, good.code, brand_id=brand.id)
    assert blocked.outcome == "rate_limited"
    assert "wait" in blocked.message
    assert reload(user).points_balance == 0
    clear_bad_codes(brand.id, user_id=user.id)
    assert scan_code(user.id, good.code, brand_id=brand.id).outcome == "awarded"


def test_bad_codes_are_rate_limited_per_ip_across_members(make, program):
    brand, product, _user = program
    brand.settings = {"rate_limits": {"bad_codes_per_ip_per_hour": 4}}
    db.session.commit()
    ip = "198.51.100.7"
    members = [make.user() for _ in range(4)]
    for member in members:
        assert scan_code(member.id, "WRONG", brand_id=brand.id, ip_address=ip).outcome == "unknown"
    newcomer = make.user()
    good = make.scan_code(product)
    assert scan_code(newcomer.id, good.code, brand_id=brand.id, ip_address=ip).outcome == (
        "rate_limited"
    )
    assert scan_code(
        newcomer.id, good.code, brand_id=brand.id, ip_address="198.51.100.8"
    ).outcome == ("awarded")


def test_rescanning_your_own_code_is_not_a_bad_code(make, program):
    brand, product, user = program
    brand.settings = {"rate_limits": {"bad_codes_per_user_per_hour": 2}}
    db.session.commit()
    code = make.scan_code(product)
    scan_code(user.id, code.code, brand_id=brand.id)
    for _ in range(3):
        assert scan_code(user.id, code.code, brand_id=brand.id).outcome == "already_yours"
    assert scan_code(user.id, make.scan_code(product).code, brand_id=brand.id).outcome == "awarded"


def test_default_thresholds_apply_without_settings(make, program):
    brand, product, user = program
    for _ in range(10):
        scan_code(user.id, "WRONG", brand_id=brand.id)
    assert scan_code(user.id, make.scan_code(product).code, brand_id=brand.id).outcome == (
        "rate_limited"
    )


@pytest.mark.sqlite_ok
def test_rank_multiplier_before_the_award_is_floored(make, program):
    brand, product, user = program
    make.rank(brand, "silver", 100, "1.25")
    make.rank(brand, "gold", 200, "1.55")
    user.lifetime_points = user.points_balance = 99
    db.session.commit()
    first = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert first.points == 100  # member multiplier: the rank held before the scan
    assert (first.rank_changed, first.new_rank_name) == (True, "Silver")
    assert "Welcome to Silver!" in first.message
    second = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert (second.points, second.rank_changed) == (125, True)
    third = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert (third.points, third.rank_changed, third.new_rank_name) == (155, False, None)
    fresh = reload(user)
    assert (fresh.points_balance, fresh.lifetime_points) == (99 + 100 + 125 + 155,) * 2


@pytest.mark.sqlite_ok
def test_scan_points_are_exact():
    assert scan_points(100, Decimal("1.15")) == 115
    assert scan_points(33, Decimal("1.50")) == 49
    assert scan_points(7, Decimal("1.00") * Decimal("1.10")) == 7


def give_boost(user, brand_id, key, multiplier, expires_in):
    """Unlock a custom achievement of `brand_id` carrying a boost ending after `expires_in`."""
    config = create_achievement(
        brand_id=brand_id,
        achievement_key=key,
        name=key,
        achievement_type="custom",
        criteria={},
        rewards={"points": 0},
    )
    db.session.add(
        UserAchievement(
            user_id=user.id,
            achievement_config_id=config.id,
            completed=True,
            completed_at=utcnow(),
            boost_multiplier=Decimal(multiplier),
            boost_expires_at=utcnow() + expires_in,
        )
    )
    db.session.commit()


@pytest.mark.sqlite_ok
def test_active_boosts_multiply_expired_ones_do_not(make, program):
    brand, product, user = program
    make.rank(brand, "silver", 0, "1.20")
    give_boost(user, brand.id, "double", "2.00", timedelta(days=1))
    give_boost(user, brand.id, "half-again", "1.50", timedelta(days=2))
    give_boost(user, brand.id, "expired", "3.00", -timedelta(seconds=1))
    result = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert result.points == 360  # floor(100 x 1.20 x 2.00 x 1.50)


@pytest.mark.sqlite_ok
def test_another_brands_boost_does_not_apply(make, program):
    brand, product, user = program
    give_boost(user, make.brand().id, "elsewhere", "2.00", timedelta(days=1))
    assert scan_code(user.id, make.scan_code(product).code, brand_id=brand.id).points == 100


@pytest.mark.sqlite_ok
def test_first_scan_converts_the_pending_referral(make, program, recorded):
    brand, product, referee = program
    referrer = make.user()
    attach_referral(referee.id, ensure_referral_code(referrer), brand.id)
    db.session.commit()
    scan_code(referee.id, make.scan_code(product).code, brand_id=brand.id)
    referral = db.session.scalar(select(Referral).where(Referral.referee_user_id == referee.id))
    db.session.refresh(referral)
    assert referral.status == "converted"
    assert reload(referrer).points_balance == 500
    assert len(recorded.events(referrer, "referral_converted")) == 1


@pytest.mark.sqlite_ok
def test_scan_unlocks_achievements_in_the_same_transaction(make, program, recorded):
    brand, product, user = program
    create_achievement(
        brand_id=brand.id,
        achievement_key="first-scan",
        name="First Scan",
        achievement_type="scan_count",
        criteria={"value": 1},
        rewards={"points": 50, "badge": "starter"},
    )
    result = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert [(u.name, u.badge, u.points) for u in result.unlocked] == [("First Scan", "starter", 50)]
    assert result.message.endswith("Unlocked: First Scan.")
    assert reload(user).points_balance == 150
    assert len(recorded.events(user, "achievement_unlocked")) == 1


@pytest.mark.sqlite_ok
def test_preview_shows_the_points_waiting_without_claiming(make, program):
    brand, product, user = program
    make.rank(brand, "starter", 0, "1.50")
    code = make.scan_code(product)
    preview = preview_code(code.code.lower(), brand.id)
    assert (preview.outcome, preview.points, preview.product.id) == ("available", 150, product.id)
    assert preview.message == "Join to claim 150 points for Blue Dream 3.5g."
    db.session.expire_all()
    assert db.session.get(ScanCode, code.id).claimed_by_user_id is None
    scan_code(user.id, code.code, brand_id=brand.id)
    assert preview_code(code.code, brand.id).outcome == "already_claimed"
    assert preview_code("NOPE", brand.id).outcome == "unknown"


def test_preview_guessing_is_rate_limited_per_ip(make, program):
    """A signed-out visitor's look-ups count, found or not, against the IP's look-up
    allowance: guessing is bounded on the one page a visitor can try codes on."""
    brand, product, _user = program
    brand.settings = {"rate_limits": {"code_lookups_per_ip_per_hour": 3}}
    db.session.commit()
    ip = "198.51.100.9"
    code = make.scan_code(product)
    assert preview_code(code.code, brand.id, ip_address=ip).outcome == "available"
    for _ in range(2):
        assert preview_code("GUESS", brand.id, ip_address=ip).outcome == "unknown"
    assert preview_code(code.code, brand.id, ip_address=ip).outcome == "rate_limited"
    assert preview_code(code.code, brand.id, ip_address="198.51.100.10").outcome == "available"


def test_only_scan_code_counts_bad_codes(make, program):
    """Looking a wrong code up, signed in or out, counts no bad code: the claim that follows
    counts it once."""
    brand, product, user = program
    brand.settings = {"rate_limits": {"bad_codes_per_ip_per_hour": 1}}
    db.session.commit()
    ip = "198.51.100.11"
    for visitor in (None, user.id, None):
        assert preview_code("GUESS", brand.id, user_id=visitor, ip_address=ip).outcome == "unknown"
    assert bad_codes_allowed(brand.id, user.id, ip)
    assert scan_code(user.id, "GUESS", brand_id=brand.id, ip_address=ip).outcome == "unknown"
    assert not bad_codes_allowed(brand.id, None, ip)


def void_batch(batch_id):
    """Void a batch's unclaimed codes and commit, as the admin's void button does."""
    voided = void_batch_codes(batch_id)
    db.session.commit()
    return voided


@pytest.mark.sqlite_ok
def test_void_batch(make, program):
    brand, product, user = program
    batch = generate_codes(brand.id, product.id, 5)
    codes = db.session.scalars(select(ScanCode.code).where(ScanCode.batch_id == batch.id)).all()
    assert scan_code(user.id, codes[0], brand_id=brand.id).outcome == "awarded"
    assert void_batch_codes(batch.id) == 4
    assert {scan_code(user.id, c, brand_id=brand.id).outcome for c in codes[1:]} == {"voided"}
    assert scan_code(user.id, codes[0], brand_id=brand.id).outcome == "already_yours"
    assert void_batch(batch.id) == 0


@pytest.mark.sqlite_ok
def test_a_batch_voided_before_it_is_filled_gets_no_codes(program):
    brand, product, _user = program
    batch = create_batch(brand.id, product.id, 50)
    db.session.commit()
    assert void_batch_codes(batch.id) == 0
    filled = fill_batch(batch.id)
    assert (filled.generated_count, filled.voided_at is not None) == (0, True)
    assert db.session.scalar(select(ScanCode.id).where(ScanCode.batch_id == batch.id)) is None


@pytest.mark.sqlite_ok
def test_a_scan_computes_the_rank_once(make, program, monkeypatch):
    """The multiplier reads the rank the ledger stored; only the ledger's update after the
    points places the member on the ladder."""
    from webapp.loyalty import ledger, ranks
    from webapp.loyalty import scan as scan_rules

    brand, product, user = program
    make.rank(brand, "silver", 100, "1.50")
    calls = []
    real_rank_for = ranks.rank_for

    def counting_rank_for(steps, lifetime_points):
        calls.append(lifetime_points)
        return real_rank_for(steps, lifetime_points)

    monkeypatch.setattr(ranks, "rank_for", counting_rank_for)
    monkeypatch.setattr(ledger, "rank_for", counting_rank_for)
    monkeypatch.setattr(scan_rules, "rank_for", counting_rank_for, raising=False)
    result = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert (result.outcome, result.new_rank_name) == ("awarded", "Silver")
    assert calls == [100]  # once, by the ledger, on the points after the scan


@pytest.mark.sqlite_ok
def test_the_multiplier_is_the_rank_the_member_holds(make, program):
    """A member whose stored rank is Gold scans at Gold's multiplier although their points
    fall short of it (the rank they hold, as the ledger last placed them), and a stored rank
    the brand has since removed reads as the rank their points reach."""
    brand, product, user = program
    make.rank(brand, "gold", 1_000, "2.00")
    wallet = db.session.scalar(select(MemberWallet).where(MemberWallet.user_id == user.id))
    wallet.current_rank_key = "gold"
    wallet.lifetime_points = wallet.points_balance = 900  # short of Gold, still holding it
    db.session.commit()
    held = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert held.points == 200

    wallet = db.session.scalar(select(MemberWallet).where(MemberWallet.user_id == user.id))
    wallet.current_rank_key = "platinum"  # no longer on the ladder
    db.session.commit()
    fallback = scan_code(user.id, make.scan_code(product).code, brand_id=brand.id)
    assert fallback.points == 200  # its 1,100 points reach Gold
