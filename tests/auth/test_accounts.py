"""Account rules: registration, sign-in, sessions, guests, password reset links."""

import logging

import pytest
from sqlalchemy import func, select

from tests.auth.conftest import years_ago
from webapp.extensions import db
from webapp.loyalty import account_links, accounts
from webapp.loyalty.accounts import AccountError, LinkError, RegistrationError
from webapp.loyalty.passwords import hash_password
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.models import CustomerIoEventQueue, Referral, ReferralCode, User, UserActionLog
from webapp.models import UserCustomFieldValue as Answer

pytestmark = pytest.mark.sqlite_ok


def events(name):
    return list(db.session.scalars(select(CustomerIoEventQueue).filter_by(event_name=name)))


def test_register_creates_a_verified_member(app, brand, signup):
    with app.test_request_context():
        user = accounts.register(brand.id, **signup)
        db.session.commit()
        db.session.expire_all()
        user = db.session.get(User, user.id)
        assert user.email == "new.member@example.com"
        assert user.age_verified_at is not None
        assert user.signup_brand_id == brand.id
        assert user.marketing_consent is False
        assert user.marketing_consent_updated_at is not None
        assert user.referral_code.startswith("NIA-")
        assert db.session.scalar(select(ReferralCode.code).filter_by(user_id=user.id))
        answers = {a.field_value for a in db.session.scalars(select(Answer))}
        assert answers == {"Flower", "94110"}
        assert not hasattr(user, "date_of_birth")
        assert [e.user_id for e in events("user_registered")] == [user.id]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"password": "short"}, "password", "at least 10"),
        ({"password": "x" * 73}, "password", "at most 72"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"date_of_birth": years_ago(21, days=-1)}, "date_of_birth", "21 or older"),
        ({"date_of_birth": years_ago(-1)}, "date_of_birth", "real date"),
        ({"date_of_birth": None}, "date_of_birth", "date of birth"),
        ({"custom_values": {}}, "cf_favorite_form", "answer this"),
        ({"custom_values": {"favorite_form": "Pizza"}}, "cf_favorite_form", "one of the options"),
        (
            {"custom_values": {"favorite_form": "Flower", "zip_code": "9" * 501}},
            "cf_zip_code",
            "under 500",
        ),
        (
            {"custom_values": {"favorite_form": "Flower", "newsletter_sms": "maybe"}},
            "cf_newsletter_sms",
            "tick the box",
        ),
        ({"first_name": "n" * 101}, "first_name", "under 100"),
    ],
)
def test_register_explains_what_to_fix(app, brand, signup, change, field, message):
    signup.update(change)
    with app.test_request_context(), pytest.raises(RegistrationError) as caught:
        accounts.register(brand.id, **signup)
    assert message in caught.value.errors[field]
    assert db.session.scalar(select(User.id)) is None


def test_exactly_21_today_is_old_enough(app, brand, signup):
    signup["date_of_birth"] = years_ago(21)
    with app.test_request_context():
        assert accounts.register(brand.id, **signup).age_verified_at
        db.session.commit()


def test_brand_minimum_age_is_respected(app, make, signup):
    brand = make.brand(settings={"min_age": 18})
    signup.update(date_of_birth=years_ago(19), custom_values={})
    with app.test_request_context():
        assert accounts.register(brand.id, **signup).id
        db.session.commit()


def test_a_taken_email_creates_nothing_and_tells_its_owner(app, brand, signup, make):
    owner = make.user(email="new.member@example.com", brands=[brand])
    with app.test_request_context():
        assert accounts.register(brand.id, **signup) is None
    assert db.session.scalar(select(func.count(User.id))) == 1
    (notice,) = events("sign_up_with_existing_email")
    assert notice.user_id == owner.id and notice.brand_id == brand.id
    assert "/password/reset/" in notice.event_data["event_context"]["link"]
    assert events("email_confirmation_requested") == []


def test_a_taken_email_of_another_brands_member_tells_no_brand(app, brand, signup, make):
    elsewhere = make.brand()
    make.user(email="new.member@example.com", brands=[elsewhere])
    with app.test_request_context():
        assert accounts.register(brand.id, **signup) is None
    assert events("sign_up_with_existing_email") == []
    assert db.session.scalar(select(func.count(CustomerIoEventQueue.id))) == 0


def test_a_second_sign_up_of_an_unconfirmed_email_sends_a_set_password_link(app, brand, signup):
    with app.test_request_context():
        first = accounts.register(brand.id, **signup)
        assert accounts.register(brand.id, **signup) is None
    (activation,) = events("guest_activation_requested")
    assert activation.user_id == first.id


def test_a_new_sign_up_waits_for_its_email_to_be_confirmed(app, brand, signup):
    with app.test_request_context():
        user = accounts.register(brand.id, **signup, pending_code="ABC123")
        assert accounts.awaits_confirmation(user)
        (sent,) = events("email_confirmation_requested")
        assert sent.user_id == user.id and sent.brand_id == brand.id
        token = sent.event_data["event_context"]["link"].rsplit("/confirm/", 1)[1]
        confirmed, code = accounts.confirm_email(token)
        assert confirmed.id == user.id and code == "ABC123"
        assert not accounts.awaits_confirmation(db.session.get(User, user.id))
        with pytest.raises(LinkError, match="already confirmed"):
            accounts.confirm_email(token)
    db.session.expire_all()
    assert db.session.get(User, user.id).is_guest is False
    identify = select(CustomerIoEventQueue.status).filter_by(event_type="identify", user_id=user.id)
    assert "pending" in set(db.session.scalars(identify))


def test_checkbox_answer_is_stored_as_yes(app, brand, signup):
    signup["custom_values"]["newsletter_sms"] = True
    with app.test_request_context():
        accounts.register(brand.id, **signup)
        db.session.commit()
    assert "yes" in {a.field_value for a in db.session.scalars(select(Answer))}


def test_authenticate(app, make):
    make.user(email="sam@example.com", password="right password")
    laravel = make.user(
        email="old@example.com", password_hash="$2y$" + hash_password("php password", 4)[4:]
    )
    with app.app_context():
        assert accounts.authenticate(" SAM@example.com ", "right password").email
        assert accounts.authenticate("sam@example.com", "wrong password") is None
        assert accounts.authenticate("nobody@example.com", "right password") is None
        assert accounts.authenticate("old@example.com", "php password").id == laravel.id


def test_deleted_member_cannot_sign_in(app, make):
    from webapp.timeutil import utcnow

    make.user(email="gone@example.com", password="right password", deleted_at=utcnow())
    with app.app_context():
        assert accounts.authenticate("gone@example.com", "right password") is None


def test_sessions_are_logged_with_no_points(app, make):
    brand = make.brand()
    user = make.user()
    with app.app_context():
        accounts.start_session(user, brand.id, "10.0.0.1", "pytest")
        accounts.end_session(user, brand.id, "10.0.0.1", "pytest")
        rows = list(db.session.scalars(select(UserActionLog).order_by(UserActionLog.id)))
        assert [r.action_type for r in rows] == ["user_session_started", "user_session_ended"]
        assert {r.points_awarded for r in rows} == {0}
        assert {r.brand_id for r in rows} == {brand.id}
        assert len(events("user_session_started")) == 1


def test_guest_claim_and_activation(app, make):
    brand = make.brand()
    with app.app_context():
        guest = accounts.claim_as_guest("Guest@Example.com", brand.id)
        assert guest.is_guest and guest.email == "guest@example.com"
        assert accounts.authenticate("guest@example.com", "") is None
        (event,) = events("guest_activation_requested")
        assert event.priority == 1
        link = event.event_data["event_context"]["link"]
        assert link.startswith("http://rewards.test/activate/")
        token = link.rsplit("/", 1)[1]
        member = accounts.activate_guest(token, "my new password")
        assert member.is_guest is False
        assert accounts.authenticate("guest@example.com", "my new password").id == guest.id
        with pytest.raises(LinkError, match="already"):
            accounts.activate_guest(token, "another password")
        assert accounts.claim_as_guest("guest@example.com", brand.id).id == guest.id


def test_guest_claim_rejects_a_bad_email(app, make):
    with app.app_context(), pytest.raises(AccountError):
        accounts.claim_as_guest("nope", make.brand().id)


def reset_link(app, make, email="sam@example.com"):
    """Ask for a reset at a brand the account is a member of; the link that was sent."""
    brand = make.brand()
    user = accounts.find_user(email)
    if user is not None:
        make.member(user, brand)
    accounts.request_password_reset(email, brand.id, "http://rewards.test")
    rows = events("password_reset_requested")
    return rows[0].event_data["event_context"]["link"] if rows else None


def test_password_reset_link_works_once(app, make):
    make.user(email="sam@example.com", password="old password!")
    with app.app_context():
        link = reset_link(app, make)
        assert link.startswith("http://rewards.test/password/reset/")
        assert events("password_reset_requested")[0].priority == 1
        token = link.rsplit("/", 1)[1]
        accounts.reset_password(token, "brand new password")
        assert accounts.authenticate("sam@example.com", "brand new password")
        with pytest.raises(LinkError, match="already been used"):
            accounts.reset_password(token, "third password!!")


def test_password_reset_for_unknown_email_records_nothing(app, make):
    with app.app_context():
        assert reset_link(app, make, "nobody@example.com") is None
        assert db.session.scalar(select(CustomerIoEventQueue.id)) is None


def test_reset_link_is_logged_when_customerio_is_not_configured(app, make, caplog):
    make.user(email="sam@example.com")
    with app.app_context(), caplog.at_level(logging.WARNING, logger="webapp.events.outbox"):
        link = reset_link(app, make)
    assert link in caplog.text


def test_expired_and_forged_links_are_refused(app, make, monkeypatch):
    make.user(email="sam@example.com")
    with app.app_context():
        token = reset_link(app, make).rsplit("/", 1)[1]
        with pytest.raises(LinkError, match="isn't valid"):
            accounts.reset_password(token[:-3] + "abc", "brand new password")
        with pytest.raises(AccountError):
            accounts.reset_password(token, "short")
        monkeypatch.setattr(account_links, "RESET_MAX_AGE", -1)
        with pytest.raises(LinkError, match="expired"):
            accounts.reset_password(token, "brand new password")


def test_reset_token_cannot_activate_a_guest(app, make):
    make.user(email="sam@example.com")
    with app.app_context():
        token = reset_link(app, make).rsplit("/", 1)[1]
        with pytest.raises(LinkError):
            accounts.activate_guest(token, "brand new password")


def test_register_with_a_referral_code_opens_the_referral(app, brand, make, signup):
    friend = make.user(first_name="Sam")
    code = ensure_referral_code(friend)
    db.session.commit()
    with app.test_request_context():
        user = accounts.register(brand.id, **signup, referral_code=f" {code.lower()} ")
        db.session.commit()
    referral = db.session.scalar(select(Referral).where(Referral.referee_user_id == user.id))
    assert (referral.referrer_user_id, referral.status) == (friend.id, "pending")
    assert db.session.get(User, user.id).referred_by_user_id == friend.id


def test_register_with_an_unknown_referral_code_says_so(app, brand, signup):
    with app.test_request_context(), pytest.raises(RegistrationError) as caught:
        accounts.register(brand.id, **signup, referral_code="BAD-CODE")
    db.session.rollback()  # the boundary ends the refused sign-up's transaction
    assert "don't recognise that referral code" in caught.value.errors["referral_code"]
    assert db.session.scalar(select(User.id).where(User.email == signup["email"])) is None


def test_links_point_at_the_brand_that_sends_them(app, make, signup):
    """A brand on its own host sends links to that host (where its members' sessions live),
    never to the platform URL or to the host a request arrived on."""
    home = make.brand(hosts=["rewards.harbor.test:8000"])
    with app.test_request_context():
        user = accounts.register(home.id, **signup)
        accounts.request_password_reset(user.email, make.brand().id)
    (confirmation,) = events("email_confirmation_requested")
    link = confirmation.event_data["event_context"]["link"]
    assert link.startswith("http://rewards.harbor.test:8000/confirm/")
    (activation,) = events("guest_activation_requested")  # not confirmed yet: a set-password link
    assert activation.brand_id == home.id
    assert activation.event_data["event_context"]["link"].startswith(
        "http://rewards.harbor.test:8000/activate/"
    )
