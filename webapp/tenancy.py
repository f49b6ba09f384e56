"""Which brand a request belongs to, read through a short in-process cache."""

import threading
import time

from flask import current_app, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Brand

CACHE_SECONDS = 30
_cache = {"loaded_at": 0.0, "brands": []}
_lock = threading.Lock()


def invalidate_brand_cache():
    """Forget cached brands (after staff change brand settings)."""
    with _lock:
        _cache["loaded_at"] = 0.0


def active_brands():
    """Active brands, detached from the session, refreshed every CACHE_SECONDS."""
    now = time.monotonic()
    with _lock:
        if now - _cache["loaded_at"] < CACHE_SECONDS and _cache["brands"]:
            return _cache["brands"]
    brands = list(
        db.session.scalars(select(Brand).where(Brand.is_active.is_(True)).order_by(Brand.id))
    )
    for brand in brands:
        db.session.expunge(brand)
    with _lock:
        _cache["brands"] = brands
        _cache["loaded_at"] = now
    return brands


def resolve_brand(host, default_slug=None):
    """The brand for a host: listed in settings.hosts, else DEFAULT_BRAND, else the first."""
    brands = active_brands()
    host = (host or "").lower()
    for brand in brands:
        if host in [h.lower() for h in brand.setting("hosts", default=[]) or []]:
            return brand
    if default_slug:
        for brand in brands:
            if brand.slug == default_slug:
                return brand
    return brands[0] if brands else None


def current_brand():
    """The brand of the current request (None when no brand exists yet)."""
    if "brand" not in g:
        g.brand = resolve_brand(request.host, current_app.config.get("DEFAULT_BRAND"))
    return g.brand


def _template_context():
    brand = current_brand()
    wording = (brand.setting("wording", default={}) if brand else {}) or {}
    return {
        "brand": brand,
        "points_word": wording.get("points", "Points"),
        "rank_word": wording.get("rank", "Rank"),
        "current_rank_name": _rank_name(brand),
        "home_url": url_for("portal.index"),
        "sw_url": url_for("portal.service_worker"),
        "manifest_url": url_for("portal.manifest"),
    }


def _rank_name(brand):
    if not current_user.is_authenticated:
        return None
    from webapp.loyalty.ranks import rank_name_for

    return rank_name_for(brand, current_user.current_rank_key)


def register(app):
    """Expose the brand and wording to every template."""
    app.context_processor(_template_context)
