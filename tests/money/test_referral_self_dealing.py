"""Item 12: a referral code never pays the phone number that owns it, and referrals between
accounts seen on one network or device are listed for staff review."""

import pytest
from sqlalchemy import select

from tests.admin.conftest import HOST_A
from tests.money.test_lock_order import referral_code_of
from webapp.extensions import db
from webapp.loyalty.referral_review import e164
from webapp.loyalty.referrals import ReferralError, attach_referral
from webapp.loyalty.scan import scan_code
from webapp.models import MemberWallet, Referral, UserActionLog


def test_phone_numbers_compare_in_e164_however_they_are_typed():
    assert e164("(415) 555-2671") == e164("+1 415.555.2671") == "+14155552671"
    assert e164("not a phone") is None and e164("") is None


def test_a_second_email_on_the_same_phone_cannot_use_the_first_ones_code(make):
    brand = make.brand()
    owner = make.user(signup_brand_id=brand.id, phone_number="+1 415 555 2671")
    second = make.user(signup_brand_id=brand.id, phone_number="(415) 555-2671")
    with pytest.raises(ReferralError, match="your phone number"):
        attach_referral(second.id, referral_code_of(owner), brand.id)
    assert db.session.scalar(select(Referral.id)) is None


def test_a_phone_added_after_sign_up_pays_no_bonus_on_the_first_scan(make):
    brand = make.brand()
    product = make.product(brand, points_award=100)
    owner = make.user(signup_brand_id=brand.id, phone_number="415-555-2671")
    second = make.user(signup_brand_id=brand.id)
    attach_referral(second.id, referral_code_of(owner), brand.id)
    second.phone_number = "+14155552671"
    db.session.commit()
    assert scan_code(second.id, make.scan_code(product).code, brand_id=brand.id).points == 100
    db.session.expire_all()
    assert db.session.get(MemberWallet, (owner.id, brand.id)).points_balance == 0


def seen(user, brand, ip, agent="Phone/1"):
    db.session.add(
        UserActionLog(user_id=user.id, brand_id=brand.id, action_type="user_session_started",
                      points_awarded=0, ip_address=ip, user_agent=agent)
    )  # fmt: skip
    db.session.commit()


def test_referrals_seen_on_one_network_are_listed_for_staff(app, owner, world, make):
    with app.app_context():
        brand = world.brand_a
        referrer = make.user(email="ref@example.com", signup_brand_id=brand.id)
        clustered = make.user(email="twin@example.com", signup_brand_id=brand.id)
        elsewhere = make.user(email="friend@example.com", signup_brand_id=brand.id)
        for friend in (clustered, elsewhere):
            attach_referral(friend.id, referral_code_of(referrer), brand.id)
        seen(referrer, brand, "203.0.113.9")
        seen(clustered, brand, "203.0.113.9")
        seen(elsewhere, brand, "198.51.100.4", agent="Laptop/2")
    page = owner.get("/admin/referrals/review", base_url=HOST_A).get_data(as_text=True)
    assert "twin@example.com" in page and "Same device" in page and "203.0.113.9" in page
    assert "friend@example.com" not in page
