"""The consumer portal: every page's views, registered on the one portal blueprint."""

# After join: the compliance gate runs once membership is settled.
from webapp.portal import (  # noqa: F401  (each module adds its routes to the blueprint)
    achievements,
    age_gate,
    bp,
    compliance,  # noqa: E402,F401,I001
    dashboard,
    goals,
    history,
    join,
    profile,
    pwa,
    rank,
    referrals,
    rewards,
    scan,
    wishlist,
)
