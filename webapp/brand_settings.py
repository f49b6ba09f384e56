"""Every brand setting and its default, once: the typed view of `brands.settings` (JSON).

`settings_of(brand)` is how code reads a brand's settings (defaults for no brand). Stored JSON
keeps its shape (`{"wording": {"points": ...}, "theme": {...}, "min_age": 21, ...}`); a value
that does not fit its field falls back to the default, with a warning in the log, so a bad
row never breaks a page. A new setting is one field here, with its type and default.
"""

import copy
import logging
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from webapp.fonts import BRAND_FONTS, DEFAULT_FONT
from webapp.translation_marks import N_

log = logging.getLogger(__name__)

HEX_DIGITS = frozenset("0123456789abcdef")


def _font_key(value):
    """One of the bundled fonts (webapp.fonts.BRAND_FONTS)."""
    if value not in BRAND_FONTS:
        raise ValueError("not a bundled font")
    return value


def _hex_colour(value):
    """A CSS hex colour, lower-cased; #rgb is written out as #rrggbb (what colour inputs take)."""
    value = value.strip().lower()
    if len(value) not in (4, 5, 7, 9) or value[0] != "#" or not set(value[1:]) <= HEX_DIGITS:
        raise ValueError("not a hex colour")
    return "#" + "".join(digit * 2 for digit in value[1:]) if len(value) == 4 else value


def _time_zone(value):
    """An IANA time zone name the system knows ("America/Los_Angeles")."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("not a known time zone") from error
    return value


HexColour = Annotated[str, AfterValidator(_hex_colour)]
Count = Annotated[int, Field(ge=1, le=10_000)]
Points = Annotated[int, Field(ge=0, le=1_000_000)]


class Section(BaseModel):
    """A group of settings stored as one JSON object; unknown keys are kept, not read."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=False)


class Wording(Section):
    """What the brand calls points and ranks."""

    points: Annotated[str, Field(min_length=1, max_length=30)] = N_("Points")
    rank: Annotated[str, Field(min_length=1, max_length=30)] = N_("Rank")


class Theme(Section):
    """The brand's colours (CSS custom properties `--brand-*` in base.html)."""

    primary: HexColour = "#1f5f3f"
    accent: HexColour = "#c8a13a"
    background: HexColour = "#f7f5ef"
    text: HexColour = "#1b1b1b"
    on_primary: HexColour = "#ffffff"
    on_accent: HexColour = "#1b1b1b"


class Referral(Section):
    """Refer-a-friend: the bonuses paid on the friend's first scan and how long it may take."""

    referrer_bonus: Points = 500
    referee_bonus: Points = 0
    expiry_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # The region members' local phone numbers are read in (ISO 3166 alpha-2).
    phone_region: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] = "US"


class RateLimits(Section):
    """Wrong scan codes allowed per hour before guessing slows to one code a minute, and the
    codes a signed-out visitor may look up per hour from one IP address (found or not)."""

    bad_codes_per_user_per_hour: Count = 10
    bad_codes_per_ip_per_hour: Count = 30
    code_lookups_per_ip_per_hour: Count = 60


class Scan(Section):
    """Scanning: the most the rank, boost and campaign multipliers together may multiply a
    product's points by (a campaign's fixed bonus is added after)."""

    max_multiplier: Annotated[Decimal, Field(ge=1, le=1000, allow_inf_nan=False)] = Decimal(20)


class Birthday(Section):
    """The birthday bonus: points paid once a year on the birth month and day a member gave
    (0 = no bonus)."""

    bonus_points: Points = 0


QUALIFYING_PERIODS = ("lifetime", "rolling_12_months", "calendar_year")


class Tiers(Section):
    """How ranks are earned: on lifetime points (they never go down), or on the points of a
    qualifying period (the last 12 months, or the calendar year so far), kept `grace_days`
    after falling short, then lowered one rank per daily run."""

    qualifying: Literal["lifetime", "rolling_12_months", "calendar_year"] = "lifetime"
    grace_days: Annotated[int, Field(ge=0, le=3650)] = 30


Cap = Annotated[int | None, Field(ge=1, le=1_000_000_000)]


class EarningCaps(Section):
    """The most one member earns by scanning at this brand in one of its days (None: no cap);
    a scan over a cap still claims its code and earns what the cap leaves."""

    points_per_day: Cap = None
    scans_per_day: Cap = None


class PointsExpiry(Section):
    """When points expire: never (`none`), the whole wallet `months` after the member's last
    earning (`inactivity`), or each award `months` after it was earned, oldest spent first
    (`rolling`); a `points_expiring` reminder goes each of `reminder_days` days before."""

    policy: Literal["none", "inactivity", "rolling"] = "none"
    months: Annotated[int, Field(ge=1, le=120)] = 12
    reminder_days: Annotated[list[Annotated[int, Field(ge=1, le=365)]], Field(max_length=10)] = [
        30,
        7,
    ]

    @field_validator("reminder_days")
    @classmethod
    def distinct_days(cls, value):
        """Each reminder day once, the earliest reminder (most days before) first."""
        return sorted(set(value), reverse=True)


# Our default texts; a brand that keeps them reads them in the member's language (marked for
# the catalogues, translated where shown), a brand's own text reads as written. `{brand}` is
# filled with the brand's name after translation.
DEFAULT_SMS_DISCLOSURE = N_(
    "By ticking this box you agree to receive recurring automated marketing text messages "
    "from {brand} at the mobile number provided. Consent is not a condition of purchase or "
    "membership. Message frequency varies. Message and data rates may apply. Reply STOP to "
    "cancel, HELP for help."
)
DEFAULT_TERMS_TEXT = N_(
    "{brand} Rewards is a loyalty program for adults of legal age where they live. Points "
    "have no cash value, cannot be sold or transferred, and are void where the program is "
    "not allowed. What the program offers depends on the region you live in. {brand} may "
    "change or end the program; changes are shown to you before your next visit."
)
DEFAULT_PRIVACY_TEXT = N_(
    "{brand} keeps your name, email, phone number, region, the codes you scan and the rewards "
    "you redeem to run the program, and sends them to its messaging provider to contact you "
    "as you allowed. We never store your date of birth: if you give us your birthday for a "
    "birthday bonus, we keep only its month and day, until you remove it. You can download "
    "your data or delete your account from your profile at any time."
)


COMPLIANCE_TEXTS = ("sms_disclosure", "terms_text", "privacy_text")


class Compliance(Section):
    """The SMS disclosure shown next to the SMS consent box, and the program terms and privacy
    policy (each a URL or a text, with a version; a new version is accepted again before the
    next member page)."""

    sms_disclosure: str = Field(DEFAULT_SMS_DISCLOSURE, min_length=20, max_length=1000)
    sms_disclosure_version: str = Field("1", min_length=1, max_length=50)
    terms_version: str = Field("1", min_length=1, max_length=50)
    terms_url: str | None = Field(None, max_length=500)
    terms_text: str = Field(DEFAULT_TERMS_TEXT, max_length=20000)
    privacy_version: str = Field("1", min_length=1, max_length=50)
    privacy_url: str | None = Field(None, max_length=500)
    privacy_text: str = Field(DEFAULT_PRIVACY_TEXT, max_length=20000)

    @field_validator("terms_url", "privacy_url")
    @classmethod
    def web_address(cls, value):
        """A link is blank or an http(s) address."""
        value = (value or "").strip() or None
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// or http://")
        return value

    def for_brand(self, brand_name, translate=None):
        """The texts with the brand's name filled in; `translate` (e.g. gettext) turns the ones
        still at our default into the reader's language, a brand's own text stays as written."""
        texts = {}
        for name in COMPLIANCE_TEXTS:
            text = getattr(self, name)
            if translate is not None and text == type(self).model_fields[name].default:
                text = translate(text)
            texts[name] = text.replace("{brand}", brand_name)
        return texts


class BrandSettings(Section):
    """All of a brand's settings with their defaults; read with `settings_of(brand)`."""

    tagline: Annotated[str, Field(max_length=200)] = N_("Scan every pack. Earn every time.")
    # The language of a visitor who chose none and whose browser asks for none we speak
    # (webapp.i18n.LANGUAGES; anything else reads as English).
    default_language: Annotated[str, Field(max_length=16)] = "en"
    # The brand's clock: its days (campaigns, birthdays, the daily program run) begin at
    # midnight here.
    timezone: Annotated[str, Field(max_length=64), AfterValidator(_time_zone)] = "UTC"
    wording: Wording = Wording()
    theme: Theme = Theme()
    min_age: Annotated[int, Field(ge=18, le=99)] = 21
    font: Annotated[str, AfterValidator(_font_key)] = DEFAULT_FONT
    logo: Annotated[str, Field(max_length=2000)] | None = None
    referral: Referral = Referral()
    rate_limits: RateLimits = RateLimits()
    scan: Scan = Scan()
    birthday: Birthday = Birthday()
    tiers: Tiers = Tiers()
    earning_caps: EarningCaps = EarningCaps()
    compliance: Compliance = Compliance()
    points_expiry: PointsExpiry = PointsExpiry()

    @classmethod
    def from_stored(cls, raw):
        """The settings in `raw` (a brand's JSON); a value that does not fit gets its default."""
        data = copy.deepcopy(raw) if isinstance(raw, dict) else {}
        for _ in range(50):
            try:
                return cls.model_validate(data)
            except ValidationError as error:
                log.warning("brand settings: using defaults for %s", _bad_paths(error))
                for problem in error.errors():
                    _drop(data, problem["loc"])
        return cls()


def _bad_paths(error):
    return ", ".join(".".join(str(part) for part in problem["loc"]) for problem in error.errors())


def _drop(data, location):
    """Remove the value at `location` (a pydantic error path) so its default applies."""
    *parents, last = location or ("",)
    node = data
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)
    elif not parents:
        data.clear()


DEFAULTS = BrandSettings()


def settings_of(brand):
    """The brand's settings (the defaults for no brand); parsed once per stored value."""
    if brand is None:
        return DEFAULTS
    raw = brand.settings
    cached = brand.__dict__.get("_settings_model")
    if cached is not None and cached[0] == raw:
        return cached[1]
    model = BrandSettings.from_stored(raw)
    brand.__dict__["_settings_model"] = (copy.deepcopy(raw), model)
    return model
