"""Member accounts: registration, sign-in sessions, guest accounts and password reset."""

import logging
import secrets
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.events.outbox import record_event, record_identify
from webapp.extensions import db
from webapp.loyalty import account_links
from webapp.loyalty.account_links import LinkError
from webapp.loyalty.account_sessions import end_every_session
from webapp.loyalty.custom_answers import active_fields, check_answers, save_answers
from webapp.loyalty.ledger import log_action
from webapp.loyalty.membership import add_membership, is_member, join_brand, member_brand_ids
from webapp.loyalty.passwords import hash_password, verify_password
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import ReferralError, attach_referral
from webapp.models import Brand, BrandStaff, User
from webapp.timeutil import utcnow

__all__ = ["AccountError", "LinkError", "RegistrationError"]

log = logging.getLogger(__name__)

DEFAULT_MIN_AGE = 21
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
)
EMAIL_TAKEN = "An account with this email already exists. Sign in or reset your password."


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


def min_age(brand):
    """The brand's minimum age (settings.min_age, default 21)."""
    value = brand.setting("min_age", default=DEFAULT_MIN_AGE) if brand else DEFAULT_MIN_AGE
    return int(value or DEFAULT_MIN_AGE)


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
        return "Please use a shorter email address."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Please enter a valid email address."
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        return EMAIL_TAKEN
    return None


def _age_problem(date_of_birth, minimum):
    if not isinstance(date_of_birth, date):
        return "Please enter your date of birth."
    today = date.today()
    if date_of_birth > today or date_of_birth.year < 1900:
        return "Please enter a real date of birth."
    if age_on(date_of_birth, today) < minimum:
        return f"You must be {minimum} or older to join."
    return None


def _identity_errors(email, password, date_of_birth, minimum, names):
    checks = {
        "email": _email_problem(email),
        "password": password_problem(password),
        "date_of_birth": _age_problem(date_of_birth, minimum),
        "first_name": "Please keep this under 100 characters." if len(names[0]) > 100 else None,
        "last_name": "Please keep this under 100 characters." if len(names[1]) > 100 else None,
        "phone_number": "Please keep this under 20 characters." if len(names[2]) > 20 else None,
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
):
    """Create a verified-age member of `brand_id` (the caller commits); RegistrationError lists
    what to fix, with nothing of the account kept."""
    brand = db.session.get(Brand, brand_id)
    email = normalise_email(email)
    names = [(value or "").strip() for value in (first_name, last_name, phone_number)]
    fields = active_fields(brand_id)
    clean, errors = check_answers(fields, custom_values or {})
    errors.update(_identity_errors(email, password, date_of_birth, min_age(brand), names))
    if errors:
        raise RegistrationError(errors)
    details = {
        "marketing_consent": marketing_consent,
        "referral_code": referral_code,
        "ip_address": ip_address,
        "user_agent": user_agent,
    }
    try:
        with db.session.begin_nested():
            return _create_member(brand_id, email, password, names, fields, clean, **details)
    except IntegrityError:
        # Two sign-ups with one email at the same moment: the unique key decides.
        raise RegistrationError({"email": EMAIL_TAKEN}) from None


def _create_member(brand_id, email, password, names, fields, clean, **details):
    """The account, its wallet, answers, events and referral, added to the session."""
    now = utcnow()
    user = User(
        email=email,
        password_hash=hash_password(password),
        first_name=names[0] or None,
        last_name=names[1] or None,
        phone_number=names[2] or None,
        age_verified_at=now,
        marketing_consent=bool(details["marketing_consent"]),
        marketing_consent_updated_at=now,
        signup_brand_id=brand_id,
        points_balance=0,
        lifetime_points=0,
    )
    db.session.add(user)
    db.session.flush()
    add_membership(user, brand_id, marketing_consent=details["marketing_consent"], now=now)
    ensure_referral_code(user)
    save_answers(user.id, fields, clean)
    context = {"ip_address": details["ip_address"], "user_agent": details["user_agent"]}
    record_event(user, "user_registered", brand_id=brand_id, context=context)
    record_identify(user, brand_id=brand_id)
    _attach_referral(user, details["referral_code"], brand_id)
    db.session.flush()
    return user


def join_program(user, brand_id, *, date_of_birth, marketing_consent, custom_values=None):
    """An existing account joins the brand's program (age against the brand's minimum, its
    required questions, consent never assumed); the caller commits. RegistrationError lists
    what to fix.
    """
    brand = db.session.get(Brand, brand_id)
    fields = active_fields(brand_id)
    clean, errors = check_answers(fields, custom_values or {})
    problem = _age_problem(date_of_birth, min_age(brand))
    if problem:
        errors["date_of_birth"] = problem
    if errors:
        raise RegistrationError(errors)
    wallet = join_brand(user, brand_id, marketing_consent=marketing_consent)
    save_answers(user.id, fields, clean)
    return wallet


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


def message_brand_for(user, requested_brand_id):
    """The brand whose workspace may carry a secret (a reset or activation link) to `user`.

    Staff hear through their own brand; members through the requested brand when they are
    its member, else the brand they signed up with, else their oldest membership. Never
    through a brand the request merely arrived on. None when no brand may.
    """
    staff_brand = db.session.scalar(
        select(BrandStaff.brand_id).where(BrandStaff.user_id == user.id).order_by(BrandStaff.id)
    )
    if staff_brand is not None:
        return staff_brand
    if requested_brand_id is not None and is_member(user.id, requested_brand_id):
        return requested_brand_id
    if user.signup_brand_id is not None and is_member(user.id, user.signup_brand_id):
        return user.signup_brand_id
    memberships = member_brand_ids(user.id)
    return memberships[0] if memberships else None


def _send_link(user, event_name, requested_brand_id, link):
    brand_id = message_brand_for(user, requested_brand_id)
    if brand_id is None:
        log.warning("no brand may send %s to user %s; nothing sent", event_name, user.id)
        return
    record_event(user, event_name, brand_id=brand_id, context={"link": link})
    account_links.log_link_when_unsent(event_name, user.email, link, brand_id)


def send_activation_link(user, brand_id, public_url=None):
    """Record `guest_activation_requested` with a 7-day link to set a password."""
    public_url = (public_url or current_app.config["PUBLIC_URL"]).rstrip("/")
    token = account_links.make_token(user, account_links.ACTIVATION_SALT)
    _send_link(user, "guest_activation_requested", brand_id, f"{public_url}/activate/{token}")


def claim_as_guest(email, brand_id, public_url=None):
    """The account for `email`: an existing one, or a new guest sent an activation link."""
    if len(email or "") > 255:
        raise AccountError({"email": "Please use a shorter email address."})
    try:
        email = validate_email(normalise_email(email), check_deliverability=False).normalized
    except EmailNotValidError:
        raise AccountError({"email": "Please enter a valid email address."}) from None
    user = find_user(email)
    if user is not None and user.is_active:
        if user.is_guest:
            send_activation_link(user, brand_id, public_url)
        return user
    if user is not None:
        raise AccountError({"email": "This email can't be used. Please use another."})
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


def request_password_reset(email, brand_id, public_url):
    """Send a reset (or, for a guest, an activation) link; silent about unknown emails."""
    user = find_user(email)
    if user is None or not user.is_active:
        return
    if user.is_guest:
        send_activation_link(user, brand_id, public_url)
    else:
        token = account_links.make_token(user, account_links.RESET_SALT)
        link = f"{public_url.rstrip('/')}/password/reset/{token}"
        _send_link(user, "password_reset_requested", brand_id, link)


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
        raise LinkError("This account is already active. Please sign in.")
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
