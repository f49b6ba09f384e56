"""The consent ledger through every path: registration, profile, join, webhook, staff;
the data export carries it and deletion keeps an anonymised proof."""

import json

import pytest
from sqlalchemy import select

from tests.admin.conftest import sign_in
from tests.auth.conftest import years_ago
from tests.compliance.conftest import member_in, signup_values
from tests.customerio.conftest import run_jobs
from tests.customerio.test_webhooks import post_signed, unsubscribe
from webapp.brand_settings import DEFAULT_SMS_DISCLOSURE
from webapp.extensions import db
from webapp.loyalty import accounts, profiles
from webapp.loyalty.consents import consent_history, record_consent, subject_hash
from webapp.models import ConsentEvent, MemberWallet, User

pytestmark = pytest.mark.sqlite_ok

PROFILE = {"first_name": "Ria", "last_name": "Diaz", "custom_values": {}}


def events(user_id):
    db.session.expire_all()
    return [
        (row.channel, row.granted, row.source, row.version)
        for row in db.session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.user_id == user_id)
            .order_by(ConsentEvent.created_at, ConsentEvent.id)
        )
    ]


def test_registration_records_every_consent_with_its_version_and_ip(app, make):
    brand = make.brand(settings={"compliance": {"terms_version": "2026-01", "privacy_version": "p3",
                                                 "sms_disclosure_version": "sms-7"}})  # fmt: skip
    with app.test_request_context():
        user = accounts.register(
            brand.id,
            **signup_values(
                region="", phone_number="415 555 2671", sms_consent=True, marketing_consent=True
            ),
            ip_address="203.0.113.9",
        )
    assert sorted(events(user.id)) == [
        ("email", True, "registration", None),
        ("loyalty_terms", True, "registration", "2026-01"),
        ("privacy", True, "registration", "p3"),
        ("sms", True, "registration", "sms-7"),
    ]
    assert {row.ip_address for row in consent_history(user.id)} == {"203.0.113.9"}
    assert db.session.get(User, user.id).phone_number == "+14155552671"


def test_registration_without_accepting_the_terms_is_refused(app, make):
    brand = make.brand()
    with app.test_request_context(), pytest.raises(accounts.RegistrationError) as refused:
        accounts.register(brand.id, **signup_values(region="", accept_terms=False))
    assert "accept the program terms" in refused.value.errors["accept_terms"]


def test_the_profile_records_changes_only(app, make):
    brand = make.brand()
    person = member_in(make, brand, None)
    with app.test_request_context():
        profiles.update_profile(
            person.id, brand.id, phone_number="(415) 555-2671", marketing_consent=True,
            sms_consent=True, ip_address="198.51.100.7", **PROFILE,
        )  # fmt: skip
        profiles.update_profile(
            person.id, brand.id, phone_number="(415) 555-2671", marketing_consent=True,
            sms_consent=True, **PROFILE,
        )  # fmt: skip
        profiles.update_profile(
            person.id, brand.id, phone_number="", marketing_consent=False,
            sms_consent=False, **PROFILE,
        )  # fmt: skip
    recorded = [e for e in events(person.id) if e[0] in ("email", "sms")]
    assert recorded == [
        ("sms", True, "profile", "1"),
        ("email", True, "profile", None),
        ("sms", False, "profile", "1"),
        ("email", False, "profile", None),
    ]
    wallet = db.session.get(MemberWallet, (person.id, brand.id))
    assert (
        wallet.marketing_consent is False
        and db.session.get(User, person.id).marketing_consent is False
    )


def test_joining_records_the_email_choice_and_the_terms(app, make):
    home, other = make.brand(), make.brand()
    person = member_in(make, home, None)
    with app.test_request_context():
        accounts.join_program(
            person, other.id, date_of_birth=years_ago(30), marketing_consent=True,
            accept_terms=True, ip_address="192.0.2.1",
        )  # fmt: skip
    joined = [(c, g, s) for c, g, s, _ in events(person.id) if s == "join"]
    assert sorted(joined) == [("email", True, "join"), ("loyalty_terms", True, "join"),
                              ("privacy", True, "join")]  # fmt: skip


def test_an_email_unsubscribe_webhook_writes_a_consent_event(cio, client, make):
    brand = make.brand()
    person = member_in(make, brand, None, marketing_consent=True)
    assert post_signed(client, unsubscribe(person)).status_code == 202
    run_jobs()
    assert ("email", False, "webhook", None) in events(person.id)
    assert db.session.get(MemberWallet, (person.id, brand.id)).marketing_consent is False


def test_an_sms_unsubscribe_webhook_ends_sms_consent(cio, client, make):
    brand = make.brand()
    person = member_in(make, brand, None)
    record_consent(person.id, brand.id, "sms", True, "registration", version="1")
    db.session.commit()
    payload = unsubscribe(person, event_id="sms-1")
    payload["object_type"] = "sms"
    assert post_signed(client, payload).status_code == 202
    run_jobs()
    assert events(person.id)[-1] == ("sms", False, "webhook", None)
    sent = [i for i in cio.identifies() if i["customer_id"] == str(person.id)]
    assert sent and sent[-1]["attributes"]["sms_consent"] is False


def test_staff_record_a_members_request_with_an_audit_row(client, world):
    member_id = world.ids["member_id"]
    sign_in(client, world.emails["support"])
    response = client.post(
        f"/admin/members/{member_id}/consent",
        data={"channel": "sms", "granted": "1", "note": "asked by phone"},
        base_url="http://a.test",
    )
    assert response.status_code == 303
    [event] = [row for row in consent_history(member_id) if row.source == "staff"]
    assert (event.channel, event.granted, event.staff_user_id) == (
        "sms", True, world.users["support"].id,
    )  # fmt: skip
    page = client.get(f"/admin/members/{member_id}", base_url="http://a.test").get_data(True)
    assert 'id="member-consents"' in page and "staff" in page


def test_staff_of_another_brand_cannot_record_consent(client, world):
    sign_in(client, world.emails["other_owner"], host="http://b.test")
    response = client.post(
        f"/admin/members/{world.ids['member_id']}/consent",
        data={"channel": "email", "granted": "1", "note": "x"},
        base_url="http://b.test",
    )
    assert response.status_code == 404
    assert [row for row in consent_history(world.ids["member_id"]) if row.source == "staff"] == []


def test_the_export_carries_the_consent_history(app, make):
    brand = make.brand()
    person = member_in(make, brand, None)
    exported = json.loads(json.dumps(profiles.export_member_data(person.id), default=str))
    assert {row["channel"] for row in exported["consent_history"]} == {"loyalty_terms", "privacy"}


def test_deletion_keeps_an_anonymised_proof_of_consent(app, make):
    brand = make.brand()
    person = member_in(make, brand, None, marketing_consent=True)
    email = person.email
    record_consent(
        person.id, brand.id, "sms", True, "registration", version="1", ip_address="192.0.2.8"
    )
    db.session.commit()
    with app.test_request_context():
        profiles.delete_account(person.id)
    rows = consent_history(person.id)
    assert {row.subject_hash for row in rows} == {subject_hash(email)}
    assert {row.ip_address for row in rows} == {None}
    assert ("sms", False, "profile", None) in events(person.id)
    assert ("email", False, "profile", None) in events(person.id)
    assert ("sms", True, "registration", "1") in events(person.id)  # the proof stays


def test_the_default_sms_disclosure_names_stop_and_rates():
    assert "STOP" in DEFAULT_SMS_DISCLOSURE and "rates may apply" in DEFAULT_SMS_DISCLOSURE
