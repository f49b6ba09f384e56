"""A brand's compliance settings (`BrandSettings.compliance`, stored under
`brands.settings["compliance"]`): the SMS disclosure and the terms and privacy versions."""

from webapp.brand_settings import settings_of


def compliance_settings(brand):
    """The brand's compliance settings (defaults for anything unset or unusable)."""
    return settings_of(brand).compliance


def sms_disclosure(brand, translate=None):
    """The SMS consent text shown to members of `brand` (our default through `translate`, e.g.
    gettext), and its version."""
    settings = compliance_settings(brand)
    text = settings.for_brand(brand.name, translate)["sms_disclosure"]
    return text, settings.sms_disclosure_version


def document_versions(brand):
    """The terms and privacy versions a member of `brand` must have accepted."""
    settings = compliance_settings(brand)
    return {"loyalty_terms": settings.terms_version, "privacy": settings.privacy_version}
