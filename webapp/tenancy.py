"""Which brand a request belongs to: the one brand that owns its host.

Brands and their hosts are read through the in-process configuration cache, which every
process refreshes within a second of a change saved anywhere (`config_cache.check_stamp`).
A host no brand owns gets `DEFAULT_BRAND`; in development, else the first brand; in
production, else a 404.
"""

from flask import abort, current_app, g, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp.brand_settings import settings_of
from webapp.loyalty.brand_directory import (  # noqa: F401  (tenancy's names for them)
    active_brands,
    brand_directory,
    invalidate_brand_cache,
    normalise_host,
)
from webapp.loyalty.config_cache import check_stamp
from webapp.loyalty.membership import wallet_of
from webapp.loyalty.ranks import rank_name_for

# Machine endpoints answer on any host: they carry their brand in the URL, or none.
HOSTLESS_BLUEPRINTS = ("system", "webhooks")


def resolve_brand(host, default_slug=None, *, first_as_fallback=True):
    """The brand owning `host`, else DEFAULT_BRAND, else (unless told not to) the first."""
    directory = brand_directory()
    by_id = {brand.id: brand for brand in directory.brands}
    owner = directory.host_owner.get(normalise_host(host))
    if owner in by_id:
        return by_id[owner]
    if default_slug:
        for brand in directory.brands:
            if brand.slug == default_slug:
                return brand
        return None
    if first_as_fallback and directory.brands:
        return directory.brands[0]
    return None


def current_brand():
    """The brand of the current request (None when no brand claims it)."""
    if "brand" not in g or g.get("brand_host") != request.host:
        check_stamp()  # first: another process may have moved a host a moment ago
        config = current_app.config
        g.brand_host = request.host
        g.brand = resolve_brand(
            request.host,
            config.get("DEFAULT_BRAND"),
            first_as_fallback=config.get("APP_ENV") != "production",
        )
    return g.brand


def current_wallet():
    """The signed-in person's wallet at this request's brand (None for non-members)."""
    brand = current_brand()
    if brand is None or not current_user.is_authenticated:
        return None
    key = (current_user.id, brand.id)
    if g.get("wallet_key") != key or g.get("wallet") is None:
        g.wallet_key, g.wallet = key, wallet_of(*key)
    return g.wallet


def remember_wallet(wallet):
    """Keep `wallet` (loaded with the signed-in person) as this request's `current_wallet`."""
    g.wallet_key, g.wallet = (wallet.user_id, wallet.brand_id), wallet


def _refuse_unclaimed_hosts():
    """Production: a host no brand owns (and no DEFAULT_BRAND) is not a page of ours."""
    if current_app.config.get("APP_ENV") != "production":
        return None
    if request.blueprint in HOSTLESS_BLUEPRINTS or request.endpoint in (None, "static"):
        return None
    if current_brand() is None:
        abort(404)
    return None


def _template_context():
    brand = current_brand()
    settings = settings_of(brand)
    wallet = current_wallet() if current_user.is_authenticated else None
    return {
        "brand": brand,
        "wallet": wallet,
        "brand_settings": settings,
        # The brand's own word, or ours; the defaults ("Points", "Rank") read in the language.
        "points_word": gettext(settings.wording.points),
        "rank_word": gettext(settings.wording.rank),
        "current_rank_name": rank_name_for(brand, wallet.current_rank_key) if wallet else None,
        "home_url": url_for("portal.index"),
        "sw_url": url_for("portal.service_worker"),
        "manifest_url": url_for("portal.manifest"),
    }


def register(app):
    """Resolve the brand per request and expose it, its settings, the wallet and the wording
    to templates (`settings_of(brand)` too, for pages rendered without a request's brand)."""
    app.before_request(_refuse_unclaimed_hosts)
    app.context_processor(_template_context)
    app.add_template_global(settings_of, "settings_of")
