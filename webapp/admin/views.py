"""The brand staff admin area: every screen's views, registered on one blueprint."""

from webapp.admin import (  # noqa: F401  (each module adds its routes to the blueprint)
    achievements,
    batches,
    campaigns,
    consent_settings,
    customerio,
    dashboard,
    jurisdictions,
    members,
    products,
    program,
    redemptions,
    referral_review,
    settings,
    staff,
)
from webapp.admin.blueprint import bp

__all__ = ["bp"]
