"""Factories: small functions that create valid rows with sensible defaults."""

import itertools
from decimal import Decimal

from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.codes import new_code
from webapp.loyalty.compliance_settings import document_versions
from webapp.loyalty.consents import accept_documents
from webapp.loyalty.passwords import hash_password
from webapp.models import Brand, BrandHost, BrandStaff, MemberWallet, Product, Rank, ScanCode, User
from webapp.timeutil import utcnow

DEFAULT_PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
_password_hash = {}


def _n():
    return next(_sequence)


def _hash(password):
    # bcrypt is slow on purpose; tests reuse one hash per password (4 rounds).
    if password not in _password_hash:
        _password_hash[password] = hash_password(password, rounds=4)
    return _password_hash[password]


def _save(row):
    db.session.add(row)
    db.session.commit()
    return row


def brand(hosts=(), **overrides):
    """An active brand owning `hosts` (also read from a `settings["hosts"]` override)."""
    n = _n()
    values = {"name": f"Brand {n}", "slug": f"brand-{n}", "settings": {}}
    values.update(overrides)
    settings = dict(values["settings"] or {})
    hosts = [*hosts, *settings.pop("hosts", [])]
    values["settings"] = settings
    made = _save(Brand(**values))
    for host in hosts:
        db.session.add(BrandHost(brand_id=made.id, host=host.lower()))
    db.session.commit()
    return made


WALLET_FIELDS = ("current_rank_key", "marketing_consent", "marketing_consent_updated_at")


def user(password=DEFAULT_PASSWORD, brands=None, **overrides):
    """A person with a password, a member of `brands` (default: the sign-up brand when given,
    else every brand that exists now). Points and rank overrides go to the first wallet."""
    n = _n()
    values = {
        "email": f"member{n}@example.com",
        "first_name": f"Member{n}",
        "password_hash": _hash(password),
        "points_balance": 0,
        "lifetime_points": 0,
    }
    values.update(overrides)
    person = _save(User(**values))
    if brands is None:
        brands = (
            [db.session.get(Brand, person.signup_brand_id)]
            if person.signup_brand_id
            else db.session.scalars(select(Brand).order_by(Brand.id)).all()
        )
    for index, joined in enumerate(brands):
        carried = {k: v for k, v in overrides.items() if k in WALLET_FIELDS}
        if index == 0:
            carried["points_balance"] = person.points_balance or 0
            carried["lifetime_points"] = person.lifetime_points or 0
        member(person, joined, **carried)
    return person


def member(person, brand, **overrides):
    """Make `person` a member of `brand`, with a wallet (points added to their totals)."""
    values = {
        "user_id": person.id,
        "brand_id": brand.id,
        "points_balance": 0,
        "lifetime_points": 0,
        "joined_at": person.created_at or utcnow(),
    }
    values.update(overrides)
    wallet = _save(MemberWallet(**values))
    accept_current_terms(person, brand)
    others = db.session.scalars(select(MemberWallet).where(MemberWallet.user_id == person.id)).all()
    person.points_balance = sum(w.points_balance for w in others)
    person.lifetime_points = sum(w.lifetime_points for w in others)
    db.session.commit()
    return wallet


def accept_current_terms(person, brand):
    """Record that the member accepted the brand's current terms and privacy versions (as
    registering does), so member pages open without the re-accept step."""
    accept_documents(person.id, brand.id, document_versions(brand), "registration")
    db.session.commit()


def product(brand, **overrides):
    """A scannable product of `brand`."""
    n = _n()
    values = {
        "brand_id": brand.id,
        "sku": f"SKU-{n}",
        "name": f"Product {n}",
        "msrp": Decimal("40.00"),
        "points_award": 100,
        "product_form": "Flower",
        "strain_type": "Hybrid",
        "tags": [],
    }
    values.update(overrides)
    return _save(Product(**values))


def rank(brand, key, points_required, multiplier="1.00", **overrides):
    """A rank of `brand`'s ladder."""
    values = {
        "brand_id": brand.id,
        "key": key,
        "name": key.title(),
        "points_required": points_required,
        "point_multiplier": Decimal(multiplier),
    }
    values.update(overrides)
    return _save(Rank(**values))


def scan_code(product, **overrides):
    """An unclaimed code for `product`."""
    values = {"product_id": product.id, "code": new_code()}
    values.update(overrides)
    return _save(ScanCode(**values))


def staff(user, brand, role="owner"):
    """Give `user` a staff role in `brand`."""
    return _save(BrandStaff(user_id=user.id, brand_id=brand.id, role=role))


def confirmation_path(email):
    """The path of the newest email-confirmation link sent to `email` (None when none was)."""
    from webapp.models import CustomerIoEventQueue

    owner = select(User.id).where(User.email == email.strip().lower()).scalar_subquery()
    row = db.session.scalar(
        select(CustomerIoEventQueue)
        .where(
            CustomerIoEventQueue.event_name == "email_confirmation_requested",
            CustomerIoEventQueue.user_id == owner,
        )
        .order_by(CustomerIoEventQueue.id.desc())
    )
    if row is None:
        return None
    link = row.event_data["event_context"]["link"]
    return "/confirm/" + link.rsplit("/confirm/", 1)[1]
