"""Profile rules: editing, exporting everything, deleting (anonymising) the account."""

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty import profiles
from webapp.loyalty.accounts import AccountError
from webapp.models import (
    CustomerIoEventQueue,
    User,
    UserActionLog,
    UserActionLogArchive,
    UserCustomFieldValue,
    Wishlist,
)

pytestmark = pytest.mark.sqlite_ok

PROFILE = {
    "first_name": " Ana ",
    "last_name": "Diaz",
    "phone_number": "415-555-2671",
    "marketing_consent": True,
    "custom_values": {"favorite_form": "Edible"},
}


def test_update_profile_saves_and_stamps_consent(app, brand, make):
    user = make.user(marketing_consent=False)
    with app.app_context():
        profiles.update_profile(user.id, brand.id, **PROFILE)
        db.session.expire_all()
        saved = db.session.get(User, user.id)
        assert (saved.first_name, saved.marketing_consent) == ("Ana", True)
        stamped = saved.marketing_consent_updated_at
        assert stamped is not None
        assert db.session.scalar(select(UserCustomFieldValue.field_value)) == "Edible"
        log = db.session.scalar(select(UserActionLog).filter_by(action_type="profile_updated"))
        assert (log.points_awarded, log.brand_id) == (0, brand.id)


def test_update_profile_keeps_the_consent_stamp_when_consent_is_unchanged(app, brand, make):
    from datetime import datetime

    stamp = datetime(2024, 1, 1)
    user = make.user(marketing_consent=True, marketing_consent_updated_at=stamp)
    with app.app_context():
        profiles.update_profile(user.id, brand.id, **PROFILE)
        assert db.session.get(User, user.id).marketing_consent_updated_at == stamp


def test_update_profile_checks_custom_answers(app, brand, make):
    user = make.user()
    with app.app_context(), pytest.raises(AccountError) as caught:
        profiles.update_profile(user.id, brand.id, **{**PROFILE, "custom_values": {}})
    assert "cf_favorite_form" in caught.value.errors


def test_export_holds_profile_answers_and_both_ledgers(app, brand, make):
    user = make.user(first_name="Ana")
    product = make.product(brand)
    with app.app_context():
        profiles.update_profile(user.id, brand.id, **PROFILE)
        db.session.add(Wishlist(user_id=user.id, product_id=product.id))
        db.session.add(
            UserActionLogArchive(
                id=999, user_id=user.id, action_type="product_scanned", points_awarded=50
            )
        )
        db.session.commit()
        data = profiles.export_member_data(user.id)
    assert data["profile"]["email"] == user.email
    assert "password_hash" not in data["profile"]
    assert data["custom_fields"][0]["answer"] == "Edible"
    assert {row["action_type"] for row in data["points_ledger"]} == {
        "profile_updated",
        "product_scanned",
    }
    assert data["wishlist"][0]["product_id"] == product.id
    assert {"goals", "achievements", "referrals_made", "redemptions", "ai_profile"} <= set(data)


def test_delete_account_anonymises_and_keeps_the_ledger(app, brand, make):
    user = make.user(email="ana@example.com", phone_number="555", marketing_consent=True)
    product = make.product(brand)
    with app.app_context():
        profiles.update_profile(user.id, brand.id, **PROFILE)
        db.session.add(Wishlist(user_id=user.id, product_id=product.id))
        db.session.commit()
        profiles.delete_account(user.id)
        db.session.expire_all()
        gone = db.session.get(User, user.id)
        assert gone.email == f"deleted-{user.id}@invalid"
        assert (gone.first_name, gone.last_name, gone.phone_number) == (None, None, None)
        assert gone.deleted_at is not None and gone.marketing_consent is False
        assert not gone.is_active
        assert db.session.scalar(select(UserCustomFieldValue.id)) is None
        assert db.session.scalar(select(Wishlist.id)) is None
        assert db.session.scalar(select(UserActionLog.id).filter_by(user_id=user.id))
        deletes = db.session.scalars(
            select(CustomerIoEventQueue).filter_by(event_type="delete", user_id=user.id)
        ).all()
        # the profile was edited in `brand`: that workspace must forget the person
        assert [row.brand_id for row in deletes] == [brand.id]
        identify = db.session.scalar(
            select(CustomerIoEventQueue).filter_by(event_type="identify", user_id=user.id)
        )
        assert deletes[0].priority > identify.priority  # the last word is the delete
