"""The consumer portal: every page's views, registered on the one portal blueprint."""

from webapp.portal import (  # noqa: F401  (each module adds its routes to the blueprint)
    achievements,
    age_gate,
    bp,
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

__all__ = ["bp"]
