"""Phone numbers in E.164 against the member's country, SMS only to mobiles, and the
Customer.io attributes that carry consent (`unsubscribed`, `sms_consent`)."""

import pytest

from tests.compliance.conftest import member_in, signup_values
from tests.customerio.conftest import run_jobs
from webapp.extensions import db
from webapp.loyalty import accounts, profiles
from webapp.loyalty.accounts import AccountError, RegistrationError
from webapp.loyalty.phones import INVALID, PhoneProblem, can_receive_texts, parse_phone
from webapp.models import User

pytestmark = pytest.mark.sqlite_ok

# raw, country -> E.164 (None: refused as invalid)
NUMBERS = [
    ("(415) 555-2671", "US", "+14155552671"),
    ("415.555.2671", "US", "+14155552671"),
    ("+1 415 555 2671", "CA", "+14155552671"),  # written with its country code
    ("403 555 0199", "CA", "+14035550199"),  # Calgary
    ("604-555-1234", "CA", "+16045551234"),
    ("555-0100", "US", None),  # no area code
    ("12", "US", None),
    ("not a phone", "US", None),
    ("+1 999 555 0100", "US", None),  # no such area code
]


@pytest.mark.parametrize(("raw", "country", "expected"), NUMBERS)
def test_numbers_are_read_against_the_country(raw, country, expected):
    if expected is None:
        with pytest.raises(PhoneProblem, match="valid phone number"):
            parse_phone(raw, country)
    else:
        assert parse_phone(raw, country) == expected


@pytest.mark.parametrize(
    ("number", "textable"),
    [
        ("+14155552671", True),  # North America: mobile or fixed line, can't be told apart
        ("+447400123456", True),  # a UK mobile
        ("+442079460958", False),  # a London landline
        ("+18005550199", False),  # toll-free
    ],
)
def test_only_mobile_numbers_take_texts(number, textable):
    assert can_receive_texts(number) is textable


def test_registration_stores_e164_and_refuses_an_invalid_number(app, make):
    brand = make.brand()
    with app.test_request_context():
        user = accounts.register(brand.id, **signup_values(region="", phone_number="415 555 2671"))
        assert db.session.get(User, user.id).phone_number == "+14155552671"
        with pytest.raises(RegistrationError) as refused:
            accounts.register(
                brand.id, **signup_values(region="", email="x@example.com", phone_number="555")
            )
    assert refused.value.errors["phone_number"] == INVALID


def test_sms_consent_needs_a_mobile_number(app, make):
    brand = make.brand()
    with app.test_request_context():
        for phone, message in (("", "Enter a mobile number"), ("1-800-555-0199", "landline")):
            with pytest.raises(RegistrationError) as refused:
                accounts.register(
                    brand.id, **signup_values(region="", phone_number=phone, sms_consent=True)
                )
            assert message in refused.value.errors["sms_consent"]
            db.session.rollback()


def test_a_canadian_members_local_number_is_read_in_canada(app, make):
    from tests.compliance.conftest import add_rules

    brand = make.brand()
    add_rules(brand, {"CA-AB": ("Alberta", 18, {}), "CA-BC": ("British Columbia", 19, {})})
    person = member_in(make, brand, "CA-AB")
    with app.test_request_context():
        profiles.update_profile(
            person.id, brand.id, first_name="Al", last_name="", phone_number="403-555-0199",
            marketing_consent=False, custom_values={},
        )  # fmt: skip
        with pytest.raises(AccountError):
            profiles.update_profile(
                person.id, brand.id, first_name="Al", last_name="", phone_number="403-555",
                marketing_consent=False, custom_values={},
            )  # fmt: skip
    assert db.session.get(User, person.id).phone_number == "+14035550199"


def test_customerio_hears_unsubscribed_and_sms_consent(cio, app, make):
    brand = make.brand()
    person = member_in(make, brand, None)
    with app.test_request_context():
        profiles.update_profile(
            person.id, brand.id, first_name="Ria", last_name="", phone_number="(415) 555-2671",
            marketing_consent=False, sms_consent=True, custom_values={},
        )  # fmt: skip
        db.session.commit()
    run_jobs()
    first = [i for i in cio.identifies() if i["customer_id"] == str(person.id)][-1]["attributes"]
    assert first["unsubscribed"] is True and first["sms_consent"] is True
    assert first["phone"] == "+14155552671"
    with app.test_request_context():
        profiles.update_profile(
            person.id, brand.id, first_name="Ria", last_name="", phone_number="(415) 555-2671",
            marketing_consent=True, sms_consent=False, custom_values={},
        )  # fmt: skip
        db.session.commit()
    run_jobs()
    latest = [i for i in cio.identifies() if i["customer_id"] == str(person.id)][-1]["attributes"]
    assert latest["unsubscribed"] is False and latest["sms_consent"] is False
    assert latest["marketing_consent"] is True
