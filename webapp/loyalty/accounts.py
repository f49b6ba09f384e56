"""Member accounts: registration, sign-in sessions, guest accounts and password reset."""

import logging
import secrets
from datetime import date
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.events.outbox import record_event, record_identify
from webapp.extensions import db
from webapp.loyalty import account_links
from webapp.loyalty.account_links import LinkError
from webapp.loyalty.account_mail import (
    message_brand_for,
    send_activation_link,
    send_confirmation_link,
    send_link,
    tell_owner_of_sign_up,
)
from webapp.loyalty.account_sessions import end_every_session
from webapp.loyalty.compliance_settings import document_versions
from webapp.loyalty.consents import accept_documents, record_consent
from webapp.loyalty.custom_answers import active_fields, check_answers, save_answers
from webapp.loyalty.ledger import log_action
from webapp.loyalty.member_compliance import check_signup, join_min_age, record_signup
from webapp.loyalty.membership import add_membership, join_brand, member_brand_ids
from webapp.loyalty.passwords import hash_password, verify_password
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import ReferralError, attach_referral
from webapp.models import Brand, User
from webapp.timeutil import utcnow
from webapp.translation_marks import N_

__all__ = ["AccountError", "LinkError", "RegistrationError", "message_brand_for"]

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_BYTES = 72  # bcrypt reads no further
REGISTER_FIELDS = (
    "email",
    "password",
    "first_name",
    "last_name",
    "phone_number",
    "date_of_birth",
    "marketing_consent",
    "referral_code",
    "region",
    "sms_consent",
    "accept_terms",
    "medical_attested",
)


class AccountError(ValueError):
    """Input a person can fix: `errors` maps form field names to messages."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class RegistrationError(AccountError):
    """The sign-up form has something to fix."""


def normalise_email(email):
    """The stored form of an email address: stripped and lower-case."""
    return (email or "").strip().lower()


def age_on(date_of_birth, today):
    """Whole years between `date_of_birth` and `today`."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def password_problem(password):
    """Why `password` can't be used, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return f"Please use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        return f"Please use at most {MAX_PASSWORD_BYTES} characters."
    return None


def _email_problem(email):
    if len(email) > 255:
        return N_("Please use a shorter email address.")
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return N_("Please enter a valid email address.")
    return None


def _age_problem(date_of_birth, minimum):
    if not isinstance(date_of_birth, date):
        return N_("Please enter your date of birth.")
    today = date.today()
    if date_of_birth > today or date_of_birth.year < 1900:
        return N_("Please enter a real date of birth.")
    if age_on(date_of_birth, today) < minimum:
        return f"You must be {minimum} or older to join."
    return None


def _identity_errors(email, password, date_of_birth, minimum, names):
    checks = {
        "email": _email_problem(email),
        "password": password_problem(password),
        "date_of_birth": _age_problem(date_of_birth, minimum),
        "first_name": N_("Please keep this under 100 characters.") if len(names[0]) > 100 else None,
        "last_name": N_("Please keep this under 100 characters.") if len(names[1]) > 100 else None,
    }
    return {field: message for field, message in checks.items() if message}


def _attach_referral(user, referral_code, brand_id):
    """Open a pending referral for the owner of `referral_code`, if one was given."""
    if not referral_code or not referral_code.strip():
        return
    try:
        attach_referral(user.id, referral_code.strip(), brand_id)
    except ReferralError as error:
        raise RegistrationError({"referral_code": str(error)}) from None


def register(
    brand_id,
    *,
    email,
    password,
    first_name,
    last_name,
    phone_number,
    date_of_birth,
    marketing_consent,
    referral_code=None,
    custom_values=None,
    ip_address=None,
    user_agent=None,
    pending_code=None,
    public_url=None,
    region=None,
    sms_consent=False,
    accept_terms=False,
    medical_attested=False,
):
    """Start a sign-up at `brand_id` (the caller commits); RegistrationError lists what to
    fix, with nothing of the account kept.

    A new email gets an account of verified age (against their region's minimum, the terms
    accepted, consents recorded) that waits for its owner to confirm the email (`is_guest`
    until then; the link signs them in). An email that already has an account gets nothing
    new: its owner hears of the attempt instead. Both come back alike to the person asking
    (the new account, or None), so the form never tells who has an account.
    """
    brand = db.session.get(Brand, brand_id)
    email = normalise_email(email)
    names = [(value or "").strip() for value in (first_name, last_name)]
    fields = active_fields(brand_id)
    clean, errors = check_answers(fields, custom_values or {})
    checks, compliance_errors = check_signup(
        brand,
        region=region,
        phone_number=phone_number,
        sms_consent=sms_consent,
        accept_terms=accept_terms,
        medical_attested=medical_attested,
    )
    errors.update(compliance_errors)
    errors.update(_identity_errors(email, password, date_of_birth, checks.min_age, names))
    if errors:
        raise RegistrationError(errors)
    password_hash = hash_password(password)  # on both paths: the answer takes as long
    existing = find_user(email)
    if existing is not None:
        tell_owner_of_sign_up(existing, brand_id, public_url)
        return None
    sign_up = SignUp(
        brand, email, password_hash, names, checks, fields, clean,
        marketing_consent=bool(marketing_consent), referral_code=referral_code,
        ip_address=ip_address, user_agent=user_agent,
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            user = _create_member(sign_up)
    except IntegrityError:
        # Two sign-ups with one email at the same moment: the unique key decides, and the
        # one that won sent its own link.
        return None
    send_confirmation_link(user, brand_id, public_url, pending_code)
    return user


class SignUp(NamedTuple):
    """What a checked sign-up form holds."""

    brand: object
    email: str
    password_hash: str
    names: list
    checks: object
    fields: list
    clean: dict
    marketing_consent: bool
    referral_code: str | None
    ip_address: str | None
    user_agent: str | None


def _create_member(sign_up):
    """The account, its wallet, consents, answers, events and referral, added to the session."""
    now, brand_id = utcnow(), sign_up.brand.id
    user = User(
        email=sign_up.email,
        password_hash=sign_up.password_hash,
        is_guest=True,
        first_name=sign_up.names[0] or None,
        last_name=sign_up.names[1] or None,
        phone_number=sign_up.checks.phone_number,
        age_verified_at=now,
        marketing_consent=sign_up.marketing_consent,
        marketing_consent_updated_at=now,
        signup_brand_id=brand_id,
        points_balance=0,
        lifetime_points=0,
    )
    db.session.add(user)
    db.session.flush()
    wallet = add_membership(user, brand_id, marketing_consent=sign_up.marketing_consent, now=now)
    record_signup(
        user,
        wallet,
        sign_up.brand,
        sign_up.checks,
        marketing_consent=sign_up.marketing_consent,
        ip_address=sign_up.ip_address,
        source="registration",
    )
    ensure_referral_code(user)
    save_answers(user.id, sign_up.fields, sign_up.clean)
    context = {"ip_address": sign_up.ip_address, "user_agent": sign_up.user_agent}
    record_event(user, "user_registered", brand_id=brand_id, context=context)
    record_identify(user, brand_id=brand_id)
    _attach_referral(user, sign_up.referral_code, brand_id)
    db.session.flush()
    return user


def join_program(
    user,
    brand_id,
    *,
    date_of_birth,
    marketing_consent,
    custom_values=None,
    accept_terms=False,
    ip_address=None,
):
    """An existing account joins the brand's program (age against the brand's minimum, its
    required questions, consent never assumed; terms not accepted here are asked before the
    next member page); the caller commits. RegistrationError lists what to fix.
    """
    brand = db.session.get(Brand, brand_id)
    fields = active_fields(brand_id)
    clean, errors = check_answers(fields, custom_values or {})
    problem = _age_problem(date_of_birth, join_min_age(brand))
    if problem:
        errors["date_of_birth"] = problem
    if errors:
        raise RegistrationError(errors)
    wallet = join_brand(user, brand_id, marketing_consent=marketing_consent)
    record_consent(
        user.id, brand_id, "email", bool(marketing_consent), "join", ip_address=ip_address
    )
    if accept_terms:
        accept_documents(user.id, brand_id, document_versions(brand), "join", ip_address=ip_address)
    save_answers(user.id, fields, clean)
    return wallet


def check_confirmation_token(token):
    """The sign-up a confirmation link names and the code it carries; LinkError when
    expired, used or invalid."""
    salt, max_age = account_links.CONFIRMATION_SALT, account_links.CONFIRMATION_MAX_AGE
    user = account_links.user_for_token(token, salt, max_age)
    if not user.is_guest:
        raise LinkError(N_("Your email is already confirmed. Please sign in."))
    return user, account_links.code_in_token(token, salt, max_age)


def confirm_email(token):
    """Confirm a sign-up's email from its link: the account becomes a full member (the caller
    commits). Returns the account and the scan code the link carries."""
    user, code = check_confirmation_token(token)
    user.is_guest = False
    for brand_id in member_brand_ids(user.id):
        record_identify(user, brand_id=brand_id)
    return user, code


def resend_confirmation(user, brand_id, pending_code=None):
    """Send a sign-up that signed in before confirming a fresh link (the caller commits)."""
    send_confirmation_link(user, brand_id, pending_code=pending_code)


def awaits_confirmation(user):
    """True for an account that signed up with a password but has not confirmed its email."""
    return bool(user.is_guest) and user.is_active


def find_user(email):
    """The account with this email (any case), or None."""
    email = normalise_email(email)
    return db.session.scalar(select(User).where(func.lower(User.email) == email))


_DUMMY_HASH = {}


def _spend_equal_time(password):
    # Checking a password against a throwaway hash keeps "no such email" as slow as "wrong
    # password", so response times don't reveal who has an account.
    if "hash" not in _DUMMY_HASH:
        _DUMMY_HASH["hash"] = hash_password(secrets.token_urlsafe(16))
    verify_password(password, _DUMMY_HASH["hash"])


def authenticate(email, password):
    """The active member with this email and password, else None."""
    user = find_user(email)
    if user is None:
        _spend_equal_time(password)
        return None
    if user.is_active and verify_password(password, user.password_hash):
        return user
    return None


def _log_session(user, action, brand_id, ip_address, user_agent):
    log_action(
        user,
        action,
        brand_id=brand_id,
        ip_address=(ip_address or "")[:45] or None,
        user_agent=user_agent,
    )
    record_event(user, action, brand_id=brand_id)


def start_session(user, brand_id, ip_address=None, user_agent=None):
    """Log `user_session_started` (0 points) and its Customer.io event."""
    _log_session(user, "user_session_started", brand_id, ip_address, user_agent)


def end_session(user, brand_id, ip_address=None, user_agent=None):
    """Log `user_session_ended` (0 points) and its Customer.io event."""
    _log_session(user, "user_session_ended", brand_id, ip_address, user_agent)


def unusable_password_hash():
    """A bcrypt hash of a random secret nobody knows: the account can't sign in with it."""
    return hash_password(secrets.token_urlsafe(32), rounds=4)


def claim_as_guest(email, brand_id, public_url=None):
    """The account for `email`: an existing one, or a new guest sent an activation link."""
    if len(email or "") > 255:
        raise AccountError({"email": N_("Please use a shorter email address.")})
    try:
        email = validate_email(normalise_email(email), check_deliverability=False).normalized
    except EmailNotValidError:
        raise AccountError({"email": N_("Please enter a valid email address.")}) from None
    user = find_user(email)
    if user is not None and user.is_active:
        if user.is_guest:
            send_activation_link(user, brand_id, public_url)
        return user
    if user is not None:
        raise AccountError({"email": N_("This email can't be used. Please use another.")})
    now = utcnow()
    user = User(
        email=email.lower(),
        password_hash=unusable_password_hash(),
        is_guest=True,
        signup_brand_id=brand_id,
        points_balance=0,
        lifetime_points=0,
    )
    db.session.add(user)
    db.session.flush()
    add_membership(user, brand_id, now=now)
    ensure_referral_code(user)
    send_activation_link(user, brand_id, public_url)
    record_identify(user, brand_id=brand_id)
    return user


def request_password_reset(email, brand_id, public_url=None):
    """Send a reset (or, for a guest, an activation) link; silent about unknown emails."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    if user.is_guest:
        send_activation_link(user, brand_id, public_url)
    else:
        token = account_links.make_token(user, account_links.RESET_SALT)
        path = f"/password/reset/{token}"
        send_link(user, "password_reset_requested", brand_id, path, public_url)


def _set_password(user, password):
    problem = password_problem(password)
    if problem:
        raise AccountError({"password": problem})
    user.password_hash = hash_password(password)
    end_every_session(user)
    log_action(user, "password_reset", brand_id=user.signup_brand_id)


def check_reset_token(token):
    """The member a reset link names; LinkError when expired, used or invalid."""
    return account_links.user_for_token(
        token, account_links.RESET_SALT, account_links.RESET_MAX_AGE
    )


def check_activation_token(token):
    """The guest an activation link names; LinkError when expired, used or invalid."""
    user = account_links.user_for_token(
        token, account_links.ACTIVATION_SALT, account_links.ACTIVATION_MAX_AGE
    )
    if not user.is_guest:
        raise LinkError(N_("This account is already active. Please sign in."))
    return user


def reset_password(token, new_password):
    """Set a new password from a reset link (the link dies with the old password)."""
    user = check_reset_token(token)
    _set_password(user, new_password)
    return user


def activate_guest(token, password):
    """Turn a guest into a full member with the password they chose."""
    user = check_activation_token(token)
    _set_password(user, password)
    user.is_guest = False
    for brand_id in member_brand_ids(user.id):
        record_identify(user, brand_id=brand_id)
    return user
