"""The rules ask for an identify whenever a synced attribute changes: scans, sign-up, profile."""

from datetime import date

import pytest
from sqlalchemy import select

from tests.customerio.conftest import run_jobs
from webapp.extensions import db
from webapp.loyalty import accounts, profiles
from webapp.loyalty.scan import scan_code
from webapp.models import CustomerIoEventQueue

pytestmark = pytest.mark.sqlite_ok


def identify_rows(user_id):
    return db.session.scalars(
        select(CustomerIoEventQueue).where(
            CustomerIoEventQueue.user_id == user_id,
            CustomerIoEventQueue.event_type == "identify",
        )
    ).all()


def test_a_burst_of_scans_sends_one_identify_with_the_final_balance(cio, make, app):
    brand = make.brand()
    product = make.product(brand, points_award=120)
    user = make.user(signup_brand_id=brand.id)
    codes = [make.scan_code(product).code for _ in range(5)]
    if app.config.get("REDIS_URL"):
        for code in codes:
            assert scan_code(user.id, code, brand_id=brand.id).outcome == "awarded"
            db.session.commit()
        assert len(identify_rows(user.id)) == 5  # one a scan: the delivery sends one
        run_jobs()
    else:  # inline jobs deliver after each commit: one identify per scan, the last one final
        for code in codes:
            assert scan_code(user.id, code, brand_id=brand.id).outcome == "awarded"
            db.session.commit()
    identifies = [i for i in cio.identifies() if i["customer_id"] == str(user.id)]
    assert identifies, "no identify reached Customer.io"
    assert identifies[-1]["attributes"]["points_balance"] == 600
    assert identifies[-1]["attributes"]["lifetime_points"] == 600
    if app.config.get("REDIS_URL"):
        assert len(identifies) == 1


def test_sign_up_and_profile_changes_ask_for_an_identify(cio, make, app):
    brand = make.brand()
    with app.test_request_context():
        user = accounts.register(
            brand.id,
            email="new@example.com",
            password="a long password",
            first_name="Ana",
            last_name="Ng",
            phone_number="",
            date_of_birth=date(1990, 1, 1),
            marketing_consent=False,
            accept_terms=True,
        )
        db.session.commit()
    run_jobs()
    assert cio.identifies()[-1]["attributes"]["first_name"] == "Ana"
    profiles.update_profile(
        user.id,
        brand.id,
        first_name="Ana",
        last_name="Ng",
        phone_number="(415) 555-2671",
        marketing_consent=True,
        custom_values={},
    )
    db.session.commit()
    run_jobs()
    latest = [i for i in cio.identifies() if i["customer_id"] == str(user.id)][-1]
    assert latest["attributes"]["marketing_consent"] is True
    assert latest["attributes"]["phone"] == "+14155552671"  # stored and sent as E.164
