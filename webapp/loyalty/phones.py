"""Phone numbers in E.164, parsed and checked with the `phonenumbers` library against the
member's country; SMS consent needs a number that can receive texts."""

import phonenumbers
from phonenumbers import PhoneNumberType

from webapp.translation_marks import N_

TEXTABLE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
INVALID = N_("Please enter a valid phone number, with the area code (for example 415 555 2671).")
NOT_MOBILE = N_(
    "Text messages need a mobile number. Please enter a mobile number or leave the box."
)


class PhoneProblem(ValueError):
    """A phone number we can't use; the message tells the member what to do."""


def parse_phone(raw, country):
    """The number in E.164 (+14155552671), None when blank; PhoneProblem when not a valid
    number of `country` (a number written with + and its country code may be from anywhere)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if len(raw) > 30:
        raise PhoneProblem(INVALID)
    try:
        number = phonenumbers.parse(raw, country or "US")
    except phonenumbers.NumberParseException:
        raise PhoneProblem(INVALID) from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneProblem(INVALID)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_texts(e164_number):
    """True when the number is a mobile number (or, as in North America, may be one)."""
    if not e164_number:
        return False
    number = phonenumbers.parse(e164_number, None)
    return phonenumbers.number_type(number) in TEXTABLE_TYPES


def country_of_region(region, fallback="US"):
    """The country part of an ISO 3166-2 region (US-CA -> US), else `fallback`."""
    if region and len(region) >= 2 and region[:2].isalpha():
        return region[:2].upper()
    return fallback
