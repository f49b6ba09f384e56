"""Brands and the hosts they own: onboarding, host changes and deactivation.

A host belongs to exactly one brand: `brand_hosts.host` is unique, so of two brands saving the
same host at once one wins and the other is told the host is taken.
"""

import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.loyalty.passwords import hash_password
from webapp.models import Brand, BrandHost, BrandStaff, User

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
HOST_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$")


class BrandError(ValueError):
    """A brand or host change that cannot go ahead; the message says why."""


def normalise_host(host):
    """A host as the browser sends it: lower case, with its port when not 80/443."""
    return (host or "").strip().lower()


def check_host(host):
    """The normalised host, or BrandError when it is not a host name."""
    host = normalise_host(host)
    if not HOST_PATTERN.match(host):
        raise BrandError(f"'{host}' is not a host name (like rewards.example.com or a.test:8000).")
    return host


def hosts_of(brand_id):
    """The brand's hosts, in the order they were added."""
    return list(
        db.session.scalars(
            select(BrandHost.host).where(BrandHost.brand_id == brand_id).order_by(BrandHost.id)
        )
    )


def _owner_of(host):
    return db.session.scalar(select(BrandHost.brand_id).where(BrandHost.host == host))


def add_host(brand, host):
    """Give `host` to `brand` (not committed); BrandError when another brand owns it."""
    host = check_host(host)
    owner = _owner_of(host)
    if owner == brand.id:
        return host
    if owner is not None:
        raise BrandError(f"{host} is already used by another brand.")
    try:
        with db.session.begin_nested():
            db.session.add(BrandHost(brand_id=brand.id, host=host))
    except IntegrityError:
        raise BrandError(f"{host} is already used by another brand.") from None
    return host


def remove_host(brand, host):
    """Take `host` away from `brand` (not committed); BrandError when it is not the brand's."""
    host = normalise_host(host)
    removed = db.session.execute(
        delete(BrandHost).where(BrandHost.brand_id == brand.id, BrandHost.host == host)
    ).rowcount
    if not removed:
        raise BrandError(f"{host} is not a host of {brand.slug}.")


def set_hosts(brand, hosts):
    """Make `hosts` exactly the brand's hosts (not committed); BrandError names a taken one."""
    wanted = [check_host(host) for host in hosts]
    for host in set(hosts_of(brand.id)) - set(wanted):
        remove_host(brand, host)
    for host in wanted:
        add_host(brand, host)
    return wanted


def brand_by_slug(slug):
    """The brand with this slug, or BrandError."""
    brand = db.session.scalar(select(Brand).where(Brand.slug == (slug or "").strip()))
    if brand is None:
        raise BrandError(f"There is no brand '{slug}'.")
    return brand


def create_brand(slug, name, hosts=(), owner_email=None, owner_password=None):
    """A new active brand with its hosts and, when given, its owner (the caller commits)."""
    slug = (slug or "").strip().lower()
    if not SLUG_PATTERN.match(slug):
        raise BrandError("A slug is lower-case letters, digits and dashes, like green-harbor.")
    if not (name or "").strip() or len(name.strip()) > 255:
        raise BrandError("Give the brand a name of at most 255 characters.")
    if db.session.scalar(select(Brand.id).where(Brand.slug == slug)) is not None:
        raise BrandError(f"The slug '{slug}' is taken.")
    with db.session.begin_nested():  # a refused host or owner leaves no brand behind
        brand = Brand(slug=slug, name=name.strip(), settings={}, is_active=True)
        db.session.add(brand)
        db.session.flush()
        for host in hosts:
            add_host(brand, host)
        if owner_email:
            _add_owner(brand, owner_email, owner_password)
    return brand


def _add_owner(brand, email, password):
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        if not password or len(password) < 10:
            raise BrandError("Give the new owner a password of at least 10 characters.")
        user = User(email=email, password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
    db.session.add(BrandStaff(user_id=user.id, brand_id=brand.id, role="owner"))


def deactivate_brand(slug):
    """Switch a brand off: its hosts stop resolving to it (the caller commits)."""
    brand = brand_by_slug(slug)
    brand.is_active = False
    return brand


@dataclass(frozen=True)
class BrandDirectory:
    """Active brands (detached from the session) and which brand owns each host."""

    brands: tuple
    host_owner: dict


def _load_directory(_key):
    brands = list(
        db.session.scalars(select(Brand).where(Brand.is_active.is_(True)).order_by(Brand.id))
    )
    for brand in brands:
        db.session.expunge(brand)
    active = {brand.id for brand in brands}
    owners = {
        host: brand_id
        for host, brand_id in db.session.execute(select(BrandHost.host, BrandHost.brand_id))
        if brand_id in active
    }
    return BrandDirectory(tuple(brands), owners)


_directory = ConfigCache(_load_directory)
invalidate_on_write(Brand, _directory, key_of=lambda row: "all")
invalidate_on_write(BrandHost, _directory, key_of=lambda row: "all")


def invalidate_brand_cache():
    """Forget cached brands and hosts (after staff change brand settings)."""
    _directory.invalidate()


def brand_directory():
    """The cached directory of active brands and host owners."""
    return _directory.get("all")


def active_brands():
    """Active brands, detached from the session (cached)."""
    return list(_directory.get("all").brands)
