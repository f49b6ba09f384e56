"""What registration and the profile check and record for compliance: the member's region
and its minimum age, medical attestation, E.164 phone, SMS consent and the accepted terms.

Nothing here commits: the caller (registration, the profile view) does, once.
"""

from dataclasses import dataclass
from datetime import date

from webapp.events.outbox import record_identify
from webapp.extensions import db
from webapp.loyalty.compliance_settings import document_versions, sms_disclosure
from webapp.loyalty.consents import accept_documents, change_sms_consent, record_consent
from webapp.loyalty.jurisdictions import (
    RegionProblem,
    asks_region,
    brand_min_age,
    implied_region,
    registration_rule,
    rule_for,
)
from webapp.loyalty.ledger import lock_member, log_action
from webapp.loyalty.phones import PhoneProblem, can_receive_texts, country_of_region, parse_phone
from webapp.loyalty.referral_review import phone_region
from webapp.models import Brand
from webapp.timeutil import utcnow
from webapp.translation_marks import N_, Phrase

TERMS_NEEDED = N_("Please accept the program terms and privacy policy to join.")
SMS_NEEDS_NUMBER = N_("Enter a mobile number to get text messages.")
SMS_NEEDS_MOBILE = N_("Text messages need a mobile number, not a landline.")
MEDICAL_NEEDED = N_("%(region)s allows the program for registered medical patients only.")
REGION_NEEDED = N_("Please choose where you live.")
DATE_OF_BIRTH_NEEDED = N_(
    "%(region)s has a minimum age of %(age)s. Please enter your date of birth to move there."
)
TOO_YOUNG_THERE = N_("You must be %(age)s or older to be a member in %(region)s.")


@dataclass
class SignupChecks:
    """The checked compliance answers of a sign-up."""

    region: str | None = None
    min_age: int = 21
    phone_number: str | None = None
    sms_consent: bool = False
    medical_attested: bool = False


def _region_answer(brand, region):
    region = (region or "").strip().upper() or None
    if region is None and not asks_region(brand.id):
        return implied_region(brand.id)
    return region


def phone_country(brand, region):
    """The country a member's local phone number is read in: their region's, else the
    brand's phone region."""
    return country_of_region(region, fallback=phone_region(brand))


def check_phone(brand, region, raw_phone, sms_consent):
    """The E.164 number, or {field: message} for what to fix (a number for SMS must be
    mobile)."""
    try:
        number = parse_phone(raw_phone, phone_country(brand, region))
    except PhoneProblem as problem:
        return None, {"phone_number": str(problem)}
    if sms_consent and number is None:
        return None, {"sms_consent": SMS_NEEDS_NUMBER}
    if sms_consent and not can_receive_texts(number):
        return None, {"sms_consent": SMS_NEEDS_MOBILE}
    return number, {}


def check_signup(brand, *, region, phone_number, sms_consent, accept_terms, medical_attested):
    """Region (and the minimum age it sets), phone and consents of a sign-up, and the
    {field: message} errors."""
    errors = {}
    checks = SignupChecks(sms_consent=bool(sms_consent), medical_attested=bool(medical_attested))
    checks.region = _region_answer(brand, region)
    try:
        rule = registration_rule(brand, checks.region)
    except RegionProblem as problem:
        errors["region"] = problem.message if checks.region else REGION_NEEDED
        rule = None
    if rule is not None:
        checks.min_age = rule.min_age
        if rule.medical_only and not checks.medical_attested:
            errors["medical_attested"] = Phrase(MEDICAL_NEEDED, region=rule.name)
    checks.phone_number, phone_errors = check_phone(
        brand, checks.region, phone_number, checks.sms_consent
    )
    errors.update(phone_errors)
    if not accept_terms:
        errors["accept_terms"] = TERMS_NEEDED
    return checks, errors


def record_signup(user, wallet, brand, checks, *, marketing_consent, ip_address, source):
    """The region and attestation on the wallet, and the consent events of the sign-up."""
    now = utcnow()
    wallet.region = checks.region
    if checks.medical_attested:
        wallet.medical_attested_at = now
    record_consent(
        user.id, brand.id, "email", marketing_consent, source, ip_address=ip_address, at=now
    )
    if checks.sms_consent:
        _, version = sms_disclosure(brand)
        record_consent(
            user.id, brand.id, "sms", True, source, version=version, ip_address=ip_address, at=now
        )
    accept_documents(user.id, brand.id, document_versions(brand), source, ip_address=ip_address)


def _age_on(date_of_birth, today):
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def _moving_age_problem(verified_min_age, new_rule, date_of_birth):
    """Why the member can't move to `new_rule`'s region, given the age they were checked
    against; None when they can."""
    if new_rule.min_age <= verified_min_age:
        return None
    if not isinstance(date_of_birth, date):
        return Phrase(DATE_OF_BIRTH_NEEDED, region=new_rule.name, age=new_rule.min_age)
    if _age_on(date_of_birth, date.today()) < new_rule.min_age:
        return Phrase(TOO_YOUNG_THERE, age=new_rule.min_age, region=new_rule.name)
    return None


def _verified_min_age(brand, region):
    """The minimum age the member was checked against: their region's, else the brand's."""
    try:
        return rule_for(brand, region).min_age
    except RegionProblem:
        return brand_min_age(brand)


def join_min_age(brand):
    """The minimum age an existing account joining the brand is checked against."""
    return _verified_min_age(brand, None)


class RegionChangeError(ValueError):
    """The region change can't be made: `errors` maps form fields to messages."""

    def __init__(self, errors):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def change_region(user_id, brand_id, region, *, date_of_birth=None, medical_attested=False):
    """Move the member to `region` at the brand (logged as `profile_updated`); a higher
    minimum age there asks for the date of birth again. RegionChangeError lists what to fix."""
    brand = db.session.get(Brand, brand_id)
    region = (region or "").strip().upper()
    try:
        new_rule = rule_for(brand, region or None)
    except RegionProblem as problem:
        raise RegionChangeError({"region": problem.message if region else REGION_NEEDED}) from None
    member = lock_member(user_id, brand_id)
    wallet, old_region = member.wallet, member.wallet.region
    problem = _moving_age_problem(_verified_min_age(brand, old_region), new_rule, date_of_birth)
    if problem:
        raise RegionChangeError({"date_of_birth": problem})
    if new_rule.medical_only and not (medical_attested or wallet.medical_attested_at):
        raise RegionChangeError({"medical_attested": Phrase(MEDICAL_NEEDED, region=new_rule.name)})
    if medical_attested and wallet.medical_attested_at is None:
        wallet.medical_attested_at = utcnow()
    wallet.region = new_rule.region
    log_action(
        member.user,
        "profile_updated",
        brand_id=brand_id,
        action_data={"region": {"from": old_region, "to": new_rule.region}},
    )
    record_identify(member.user, brand_id=brand_id)
    return wallet


def set_phone_and_sms(user, brand, number, sms_consent, *, ip_address=None):
    """Store the member's checked phone (E.164) and record an SMS consent change (the
    consent ends when the number goes)."""
    user.phone_number = number
    _, version = sms_disclosure(brand)
    change_sms_consent(
        user,
        brand.id,
        bool(sms_consent) and number is not None,
        "profile",
        version=version,
        ip_address=ip_address,
    )
