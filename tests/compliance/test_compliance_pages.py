"""The compliance pages: sign-up asks the region only when there is a choice, shows the SMS
disclosure; the region step and the re-accept step come before the next member page; the
admin's region rules and consent texts, behind roles and brand walls."""

import re

import pytest
from sqlalchemy import select

from tests.admin.conftest import HOST_A, HOST_B, sign_in
from tests.auth.conftest import years_ago
from tests.compliance.conftest import add_rules, member_in
from tests.loyalty.test_query_bound import statements_of
from webapp.extensions import db
from webapp.loyalty.jurisdiction_editing import EXAMPLES_NOTICE
from webapp.models import (
    ConsentEvent,
    JurisdictionRule,
    MemberWallet,
    StaffAuditLog,
    User,
    UserActionLog,
)

pytestmark = pytest.mark.sqlite_ok

HOST = "http://regional.test"


def test_sign_up_asks_the_region_only_with_a_choice(client, make):
    single = make.brand(hosts=["one.test"])
    add_rules(single, {"CA-AB": ("Alberta", 18, {})})
    several = make.brand(hosts=["two.test"])
    add_rules(several, {"CA-AB": ("Alberta", 18, {}), "US-CO": ("Colorado", 21, {})})
    assert 'name="region"' not in client.get("/register", base_url="http://one.test").get_data(True)
    page = client.get("/register", base_url="http://two.test").get_data(as_text=True)
    assert 'name="region"' in page and "Colorado (US-CO)" in page


def test_sign_up_shows_the_brands_sms_disclosure_unticked(client, make):
    make.brand(hosts=["sms.test"], settings={"compliance": {
        "sms_disclosure": "Texts from {brand}: reply STOP to end, rates may apply."}})  # fmt: skip
    page = client.get("/register", base_url="http://sms.test").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="sms_consent"[^>]*>', page).group(0)
    assert "checked" not in box
    assert "reply STOP to end" in page and "{brand}" not in page
    assert 'name="accept_terms"' in page


def test_a_form_sign_up_from_a_refused_region_is_told_why(client, regional):
    data = {
        "email": "id@example.com",
        "password": "long enough pass",
        "first_name": "Ida",
        "date_of_birth": years_ago(30).isoformat(),
        "region": "US-ID",
        "accept_terms": "y",
    }
    page = client.post("/register", data=data, base_url=HOST).get_data(as_text=True)
    assert "can&#39;t accept members in Idaho" in page


def test_a_member_without_a_region_is_asked_first_and_the_move_is_logged(
    client, auth, make, regional
):
    person = member_in(make, regional.brand, None)
    client.post("/login", data={"email": person.email, "password": "correct horse battery"},
                base_url=HOST)  # fmt: skip
    response = client.get("/rewards", base_url=HOST)
    assert response.status_code == 303 and response.headers["Location"].startswith("/region")
    answer = client.post("/region?next=/rewards", data={"region": "US-CO"}, base_url=HOST)
    assert answer.status_code == 303 and answer.headers["Location"] == "/rewards"
    db.session.expire_all()
    assert db.session.get(MemberWallet, (person.id, regional.brand.id)).region == "US-CO"
    log = db.session.scalar(select(UserActionLog).filter_by(action_type="profile_updated"))
    assert log.action_data == {"region": {"from": None, "to": "US-CO"}}
    assert client.get("/rewards", base_url=HOST).status_code == 200


def test_moving_to_a_higher_minimum_age_asks_the_date_of_birth(client, make, regional):
    person = member_in(make, regional.brand, "CA-AB")  # 18 there
    client.post("/login", data={"email": person.email, "password": "correct horse battery"},
                base_url=HOST)  # fmt: skip
    page = client.post("/region", data={"region": "CA-QC"}, base_url=HOST).get_data(True)
    assert "minimum age of 21" in page
    too_young = {"region": "CA-QC", "date_of_birth": years_ago(20).isoformat()}
    page = client.post("/region", data=too_young, base_url=HOST).get_data(True)
    assert "must be 21 or older" in page
    db.session.expire_all()
    assert db.session.get(MemberWallet, (person.id, regional.brand.id)).region == "CA-AB"
    old_enough = {"region": "CA-QC", "date_of_birth": years_ago(25).isoformat()}
    moved = client.post("/region", data=old_enough, base_url=HOST)
    assert moved.status_code == 303


def test_new_terms_are_accepted_before_the_next_member_page(client, make):
    brand = make.brand(hosts=["terms.test"])
    person = member_in(make, brand, None)
    client.post("/login", data={"email": person.email, "password": "correct horse battery"},
                base_url="http://terms.test")  # fmt: skip
    assert client.get("/rewards", base_url="http://terms.test").status_code == 200
    brand.settings = {"compliance": {"terms_version": "2"}}
    db.session.commit()
    response = client.get("/rewards", base_url="http://terms.test")
    assert response.status_code == 303 and response.headers["Location"].startswith("/terms/accept")
    page = client.get(response.headers["Location"], base_url="http://terms.test").get_data(True)
    assert "version 2" in page
    refused = client.post("/terms/accept", data={}, base_url="http://terms.test")
    assert refused.status_code == 200 and "tick the box" in refused.get_data(True)
    client.post("/terms/accept", data={"accept_terms": "y"}, base_url="http://terms.test")
    assert client.get("/rewards", base_url="http://terms.test").status_code == 200
    versions = db.session.scalars(
        select(ConsentEvent.version).where(
            ConsentEvent.user_id == person.id, ConsentEvent.channel == "loyalty_terms"
        )
    ).all()
    assert versions == ["1", "2"]


def test_the_terms_page_shows_the_brands_text(client, make):
    make.brand(hosts=["doc.test"], settings={"compliance": {"terms_text": "Rules of {brand}."}})
    page = client.get("/terms", base_url="http://doc.test").get_data(as_text=True)
    assert "Rules of Brand" in page and "version 1" in page


@pytest.mark.parametrize(("role", "status"), [("owner", 200), ("manager", 200), ("support", 403)])
def test_region_rules_are_for_owners_and_managers(client, world, role, status):
    sign_in(client, world.emails[role])
    assert client.get("/admin/regions", base_url=HOST_A).status_code == status


def test_staff_add_edit_and_remove_a_rule_with_audit_rows(client, world):
    sign_in(client, world.emails["manager"])
    rule = {"region": "us-co", "name": "Colorado", "min_age": "21", "registration_allowed": "y",
            "earning_allowed": "y"}  # fmt: skip
    assert client.post("/admin/regions", data=rule, base_url=HOST_A).status_code == 303
    row = db.session.scalar(select(JurisdictionRule).filter_by(region="US-CO"))
    assert (row.region, row.redemption_allowed, row.earning_allowed) == ("US-CO", False, True)
    again = client.post("/admin/regions", data=rule, base_url=HOST_A)
    assert again.status_code == 422 and "already has a rule" in again.get_data(True)
    bad = client.post("/admin/regions", data={**rule, "region": "Colorado"}, base_url=HOST_A)
    assert bad.status_code == 422 and "ISO 3166-2" in bad.get_data(True)
    edit = {**rule, "min_age": "19", "redemption_allowed": "y"}
    client.post(f"/admin/regions/{row.id}", data=edit, base_url=HOST_A)
    db.session.expire_all()
    assert db.session.get(JurisdictionRule, row.id).min_age == 19
    client.post(f"/admin/regions/{row.id}/delete", base_url=HOST_A)
    actions = db.session.scalars(select(StaffAuditLog.action).order_by(StaffAuditLog.id)).all()
    assert actions == ["jurisdiction_rule_saved", "jurisdiction_rule_saved",
                       "jurisdiction_rule_deleted"]  # fmt: skip


def test_the_example_set_loads_and_says_to_confirm_with_counsel(client, world):
    sign_in(client, world.emails["owner"])
    page = client.get("/admin/regions", base_url=HOST_A).get_data(as_text=True)
    assert EXAMPLES_NOTICE in page
    client.post("/admin/regions/examples", base_url=HOST_A)
    rules = db.session.scalars(
        select(JurisdictionRule).where(JurisdictionRule.brand_id == world.brand_a.id)
    ).all()
    by_region = {rule.region: rule for rule in rules}
    assert by_region["CA-AB"].min_age == 18 and by_region["CA-QC"].min_age == 21
    assert by_region["US-MA"].earning_allowed is False
    assert len([r for r in rules if r.region.startswith("US-")]) == 51


def test_another_brands_staff_cannot_see_or_change_a_rule(client, world):
    rule = JurisdictionRule(brand_id=world.brand_a.id, region="US-CO", name="Colorado", min_age=21)
    db.session.add(rule)
    db.session.commit()
    sign_in(client, world.emails["other_owner"], host=HOST_B)
    assert client.get(f"/admin/regions/{rule.id}", base_url=HOST_B).status_code == 404
    assert client.post(f"/admin/regions/{rule.id}/delete", base_url=HOST_B).status_code == 404
    assert "Colorado" not in client.get("/admin/regions", base_url=HOST_B).get_data(True)
    db.session.expire_all()
    assert db.session.get(JurisdictionRule, rule.id) is not None


def test_owners_edit_the_consent_texts(client, world):
    sign_in(client, world.emails["owner"])
    form = {
        "sms_disclosure": "Texts from {brand}. Reply STOP to cancel.",
        "sms_disclosure_version": "2",
        "terms_version": "2026-02",
        "terms_url": "https://example.com/terms",
        "terms_text": "",
        "privacy_version": "1",
        "privacy_url": "",
        "privacy_text": "Privacy.",
    }
    assert client.post("/admin/consent-texts", data=form, base_url=HOST_A).status_code == 303
    db.session.expire_all()
    saved = db.session.get(type(world.brand_a), world.brand_a.id).settings["compliance"]
    assert saved["terms_version"] == "2026-02" and saved["sms_disclosure_version"] == "2"
    bad = client.post(
        "/admin/consent-texts", data={**form, "terms_url": "ftp://x"}, base_url=HOST_A
    )
    assert "https://" in bad.get_data(as_text=True)
    sign_in(client, world.emails["manager"])
    assert client.get("/admin/consent-texts", base_url=HOST_A).status_code == 403


def test_the_member_page_shows_the_region_to_staff(client, world):
    add_rules(world.brand_a, {"US-CO": ("Colorado", 21, {}), "US-CA": ("California", 21, {})})
    wallet = db.session.get(MemberWallet, (world.ids["member_id"], world.brand_a.id))
    wallet.region = "US-CA"
    db.session.commit()
    sign_in(client, world.emails["support"])
    page = client.get(f"/admin/members/{world.ids['member_id']}", base_url=HOST_A).get_data(True)
    assert re.search(r'id="member-region">California \(US-CA\)<', page)


def test_a_brand_of_several_regions_takes_no_email_only_claims(client, make, regional):
    code = make.scan_code(regional.product).code
    page = client.get(f"/s/{code}", base_url=HOST).get_data(as_text=True)
    assert "claim with your email only" not in page and "Join and claim" in page
    refused = client.post(f"/s/{code}/guest", data={"email": "g@example.com"}, base_url=HOST)
    assert refused.status_code == 422 and "depends on where you live" in refused.get_data(True)
    assert db.session.scalar(select(User).filter_by(email="g@example.com")) is None


def _consent_reads(call):
    """The consent_events SELECTs the engine saw while `call` ran."""
    return [
        s for s in statements_of(call) if s.lstrip().startswith("SELECT") and "consent_events" in s
    ]


def test_accepted_terms_are_looked_up_once_per_browser_until_they_change(client, make):
    brand = make.brand(hosts=["terms.test"])
    first, second = member_in(make, brand, None), member_in(make, brand, None)
    site = "http://terms.test"
    client.post("/login", data={"email": first.email, "password": "correct horse battery"},
                base_url=site)  # fmt: skip
    assert len(_consent_reads(lambda: client.get("/rewards", base_url=site))) == 1
    assert _consent_reads(lambda: client.get("/rewards", base_url=site)) == []
    # another member signing in on the same browser is looked up anew
    client.post("/logout", base_url=site)
    client.post("/login", data={"email": second.email, "password": "correct horse battery"},
                base_url=site)  # fmt: skip
    assert len(_consent_reads(lambda: client.get("/rewards", base_url=site))) == 1
    # the versions changed: looked up again, and sent to accept them
    brand.settings = {"compliance": {"privacy_version": "2"}}
    db.session.commit()
    answers = []
    assert len(_consent_reads(lambda: answers.append(client.get("/rewards", base_url=site)))) == 1
    assert answers[0].headers["Location"].startswith("/terms/accept")
