"""A small program for the portal page tests: the brand, a product, a member, helpers."""

from types import SimpleNamespace

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import MemberWallet, User

HTMX = {"HX-Request": "true"}


def new_program(make, **brand_settings):
    """The site's brand (created first), a 150-point product and a member with no points."""
    brand = make.brand(settings=brand_settings)
    product = make.product(brand, name="Blue Dream 3.5g", points_award=150)
    member = make.user()
    return SimpleNamespace(brand=brand, product=product, member=member, email=member.email)


def new_code(make, program, **overrides):
    """A fresh unclaimed code of the program's product, as a string."""
    return make.scan_code(program.product, **overrides).code


def balance_of(email):
    """The committed balance of the account with `email`."""
    db.session.expire_all()
    return db.session.scalar(select(User.points_balance).where(User.email == email))


def set_wallet(program, **values):
    """Set the member's wallet at the program's brand (and their totals) directly."""
    wallet = db.session.get(MemberWallet, (program.member.id, program.brand.id))
    for key, value in values.items():
        setattr(wallet, key, value)
        setattr(program.member, key, value)
    db.session.commit()
    return wallet
