"""Each regional rule, enforced in the loyalty layer: sign-up, age, earning, redemption,
physical rewards, referral bonuses, medical-only; and the member with no region."""

import pytest
from sqlalchemy import func, select

from tests.auth.conftest import years_ago
from tests.compliance.conftest import REGIONS, add_rules, member_in, signup_values
from webapp.extensions import db
from webapp.loyalty import accounts
from webapp.loyalty.accounts import RegistrationError
from webapp.loyalty.redemption import RegionForbids, redeem
from webapp.loyalty.referrals import attach_referral
from webapp.loyalty.scan import MESSAGES, scan_code
from webapp.models import MemberWallet, Referral, ScanCode, User, UserActionLog
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok

SHIPPING = {
    "name": "Ria Diaz",
    "address1": "1 Main St",
    "city": "Denver",
    "region": "CO",
    "postal_code": "80202",
    "country": "US",
}


def register(app, brand, **changes):
    with app.test_request_context():
        return accounts.register(brand.id, **signup_values(**changes))


def registration_errors(app, brand, **changes):
    with pytest.raises(RegistrationError) as refused:
        register(app, brand, **changes)
    db.session.rollback()
    return refused.value.errors


# region, age, medical attestation -> the field refused (None: registered)
SIGN_UPS = [
    ("US-CO", 21, False, None),
    ("US-CO", 20, False, "date_of_birth"),
    ("CA-AB", 18, False, None),  # Alberta's minimum is 18
    ("CA-AB", 17, False, "date_of_birth"),
    ("CA-QC", 20, False, "date_of_birth"),  # Quebec's is 21
    ("US-FL", 18, True, None),
    ("US-FL", 30, False, "medical_attested"),  # medical-only: attestation needed
    ("US-ID", 40, False, "region"),  # registration not allowed
    ("US-NV", 40, False, "region"),  # not one of the brand's regions
    ("", 40, False, "region"),  # several regions: the member must say
]


@pytest.mark.parametrize(("region", "age", "medical", "refused"), SIGN_UPS)
def test_sign_up_follows_the_region_rule(app, regional, region, age, medical, refused):
    changes = {"region": region, "date_of_birth": years_ago(age), "medical_attested": medical}
    if refused is None:
        user = register(app, regional.brand, **changes)
        wallet = db.session.get(MemberWallet, (user.id, regional.brand.id))
        assert wallet.region == region
        assert (wallet.medical_attested_at is not None) == medical
    else:
        errors = registration_errors(app, regional.brand, **changes)
        assert set(errors) == {refused}, errors
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_refused_region_is_told_politely(app, regional):
    errors = registration_errors(app, regional.brand, region="US-ID")
    assert errors["region"].startswith("Sorry,") and "Idaho" in errors["region"]


def test_a_one_region_brand_implies_the_region(app, make):
    brand = make.brand()
    add_rules(brand, {"CA-AB": ("Alberta", 18, {})})
    user = register(app, brand, region="", date_of_birth=years_ago(18))
    assert db.session.get(MemberWallet, (user.id, brand.id)).region == "CA-AB"


def test_a_brand_without_rules_runs_everywhere_with_its_own_minimum(app, make):
    brand = make.brand(settings={"min_age": 21})
    user = register(app, brand, region="")
    assert db.session.get(MemberWallet, (user.id, brand.id)).region is None
    assert set(
        registration_errors(app, brand, email="b@example.com", date_of_birth=years_ago(20))
    ) == {"date_of_birth"}


# region -> the scan outcome
EARNING = [(code, "awarded" if code in ("US-CO", "US-CA", "US-WA", "CA-QC") else "no_earning")
           for code in REGIONS if code != "US-FL"]  # fmt: skip


@pytest.mark.parametrize(("region", "outcome"), EARNING)
def test_scanning_follows_the_region_rule(make, regional, region, outcome):
    person = member_in(make, regional.brand, region)
    code = make.scan_code(regional.product).code
    result = scan_code(person.id, code, brand_id=regional.brand.id)
    assert result.outcome == outcome
    db.session.expire_all()
    wallet = db.session.get(MemberWallet, (person.id, regional.brand.id))
    claimed = db.session.scalar(select(ScanCode).where(ScanCode.code == code))
    assert claimed.claimed_by_user_id == person.id  # claimed either way
    [log] = db.session.scalars(
        select(UserActionLog).where(
            UserActionLog.user_id == person.id, UserActionLog.action_type == "product_scanned"
        )
    ).all()
    expected = 100 if outcome == "awarded" else 0
    assert log.points_awarded == expected and wallet.points_balance == expected
    if outcome == "no_earning":
        assert "can't be earned" in result.message and REGIONS[region][0] in result.message
        assert log.action_data["earning_blocked"]


def test_medical_only_region_earns_only_with_the_attestation(make, regional):
    without = member_in(make, regional.brand, "US-FL")
    attested = member_in(make, regional.brand, "US-FL", medical_attested_at=utcnow())
    first = scan_code(without.id, make.scan_code(regional.product).code, brand_id=regional.brand.id)
    second = scan_code(
        attested.id, make.scan_code(regional.product).code, brand_id=regional.brand.id
    )
    assert first.outcome == "no_earning" and "medical patients" in first.message
    assert second.outcome == "awarded" and second.points == 100


def test_a_member_without_a_region_is_asked_before_scanning(make, regional):
    person = member_in(make, regional.brand, None)
    code = make.scan_code(regional.product).code
    result = scan_code(person.id, code, brand_id=regional.brand.id)
    assert result.outcome == "region_needed" and result.message == MESSAGES["region_needed"]
    db.session.expire_all()
    assert (
        db.session.scalar(select(ScanCode).where(ScanCode.code == code)).claimed_by_user_id is None
    )


# region, reward ("physical" or "digital"), medical attestation -> refusal text (None: redeemed)
REDEMPTIONS = [
    ("US-CO", "physical", False, None),
    ("US-MA", "physical", False, "Rewards can't be redeemed in Massachusetts."),
    ("CA-AB", "digital", False, "Rewards can't be redeemed in Alberta."),
    ("US-CA", "physical", False, "Physical rewards can't be sent to members in California."),
    ("US-CA", "digital", False, None),
    ("US-FL", "physical", False, "registered medical patients only"),
    ("US-FL", "physical", True, None),
]


@pytest.mark.parametrize(("region", "kind", "medical", "refusal"), REDEMPTIONS)
def test_redeeming_follows_the_region_rule(make, regional, region, kind, medical, refusal):
    extra = {"medical_attested_at": utcnow()} if medical else {}
    person = member_in(make, regional.brand, region, points=500, **extra)
    reward = regional.reward if kind == "physical" else regional.digital
    if refusal is None:
        redemption = redeem(person.id, reward.id, regional.brand.id, SHIPPING)
        assert redemption.points_spent == 100
        return
    with pytest.raises(RegionForbids) as refused:
        redeem(person.id, reward.id, regional.brand.id, SHIPPING)
    assert refusal in str(refused.value)
    db.session.expire_all()
    assert db.session.get(MemberWallet, (person.id, regional.brand.id)).points_balance == 500


@pytest.mark.parametrize(
    ("referrer_region", "referee_region", "referrer_paid", "referee_paid"),
    [
        ("US-CO", "US-CO", 500, 50),
        ("US-WA", "US-CO", 0, 50),  # Washington forbids the referrer's bonus
        ("US-CO", "US-WA", 500, 0),  # and the friend's, when the friend lives there
    ],
)
def test_referral_bonuses_follow_each_members_region(
    app, make, regional, referrer_region, referee_region, referrer_paid, referee_paid
):
    regional.brand.settings = {"referral": {"referrer_bonus": 500, "referee_bonus": 50}}
    db.session.commit()
    referrer = member_in(make, regional.brand, referrer_region)
    friend = member_in(make, regional.brand, referee_region)
    with app.test_request_context():
        from webapp.loyalty.referral_codes import ensure_referral_code

        code = ensure_referral_code(referrer)
        db.session.commit()
        attach_referral(friend.id, code, regional.brand.id)
    scan_code(friend.id, make.scan_code(regional.product).code, brand_id=regional.brand.id)
    db.session.expire_all()
    referral = db.session.scalar(select(Referral))
    assert referral.status == "converted"
    assert referral.points_awarded_to_referrer == referrer_paid
    assert referral.points_awarded_to_referee == referee_paid
    wallet = db.session.get(MemberWallet, (referrer.id, regional.brand.id))
    assert wallet.points_balance == referrer_paid
