"""A brand's compliance settings and their defaults, in one place: the SMS disclosure shown
next to the SMS consent box, and the program terms and privacy policy (each a URL or a text,
with a version; a new version is accepted again before the next member page).

Stored under `brands.settings["compliance"]`; read only through `compliance_settings(brand)`.
"""

from pydantic import BaseModel, Field, ValidationError, field_validator

DEFAULT_SMS_DISCLOSURE = (
    "By ticking this box you agree to receive recurring automated marketing text messages "
    "from {brand} at the mobile number provided. Consent is not a condition of purchase or "
    "membership. Message frequency varies. Message and data rates may apply. Reply STOP to "
    "cancel, HELP for help."
)
DEFAULT_TERMS_TEXT = (
    "{brand} Rewards is a loyalty program for adults of legal age where they live. Points "
    "have no cash value, cannot be sold or transferred, and are void where the program is "
    "not allowed. What the program offers depends on the region you live in. {brand} may "
    "change or end the program; changes are shown to you before your next visit."
)
DEFAULT_PRIVACY_TEXT = (
    "{brand} keeps your name, email, phone number, region, the codes you scan and the rewards "
    "you redeem to run the program, and sends them to its messaging provider to contact you "
    "as you allowed. We never store your date of birth. You can download your data or delete "
    "your account from your profile at any time."
)
SETTINGS_KEY = "compliance"


class ComplianceSettings(BaseModel):
    """Every compliance setting of a brand, with its default."""

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

    def for_brand(self, brand_name):
        """The texts with the brand's name filled in."""
        fill = {"brand": brand_name}
        return {
            "sms_disclosure": self.sms_disclosure.replace("{brand}", fill["brand"]),
            "terms_text": self.terms_text.replace("{brand}", fill["brand"]),
            "privacy_text": self.privacy_text.replace("{brand}", fill["brand"]),
        }


def compliance_settings(brand):
    """The brand's compliance settings (defaults for anything unset or unusable)."""
    stored = brand.setting(SETTINGS_KEY, default=None) if brand is not None else None
    if not isinstance(stored, dict):
        return ComplianceSettings()
    try:
        return ComplianceSettings(**stored)
    except ValidationError:
        known = ComplianceSettings.model_fields
        kept = {}
        for key, value in stored.items():
            if key in known:
                try:
                    ComplianceSettings(**{key: value})
                except ValidationError:
                    continue
                kept[key] = value
        return ComplianceSettings(**kept)


def sms_disclosure(brand):
    """The SMS consent text shown to members of `brand`, and its version."""
    settings = compliance_settings(brand)
    return settings.for_brand(brand.name)["sms_disclosure"], settings.sms_disclosure_version


def document_versions(brand):
    """The terms and privacy versions a member of `brand` must have accepted."""
    settings = compliance_settings(brand)
    return {"loyalty_terms": settings.terms_version, "privacy": settings.privacy_version}
