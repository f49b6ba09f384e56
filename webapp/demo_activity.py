"""Ninety days of the demo program in use, for the admin's charts: shoppers who joined over the
last 90 days and scanned packs through the real rules, their rows dated back afterwards."""

import random
from datetime import timedelta

from sqlalchemy import func, select, update

from webapp.code_batches import generate_codes
from webapp.demo_story import SCANNED_SKUS
from webapp.extensions import db
from webapp.loyalty.accounts import unusable_password_hash
from webapp.loyalty.membership import add_membership
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.scan import scan_code
from webapp.models import MemberWallet, Product, ScanCode, User, UserActionLog
from webapp.timeutil import utcnow

DAYS = 90
SHOPPERS = 40
MOST_SCANS = 7
EMAIL = "shopper-{:02d}@greenharbor.example"
FIRST_NAMES = ("Alex", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Avery")


def add_program_activity(brand_id, region, now=None):
    """Once per database: SHOPPERS members joining over DAYS days, each scanning a few packs
    (committed per shopper). A database that has them already is left alone."""
    if db.session.scalar(select(User.id).where(User.email == EMAIL.format(1))):
        return 0
    now, chance = now or utcnow(), random.Random(DAYS)
    packs = _packs(brand_id)
    scans = 0
    for number in range(1, SHOPPERS + 1):
        joined = now - timedelta(days=chance.uniform(1, DAYS))
        user = _shopper(number, brand_id, region, joined)
        count = chance.randint(1, MOST_SCANS)
        for when in sorted(joined + (now - joined) * chance.random() for _ in range(count)):
            _scan_on(user, brand_id, packs[chance.randrange(len(packs))].pop(), when)
        db.session.commit()
        scans += count
    return scans


def _packs(brand_id):
    """One batch of codes per product the shoppers buy (enough for all of them), as lists."""
    packs = []
    for sku in dict.fromkeys(SCANNED_SKUS):
        product = db.session.scalar(select(Product).filter_by(brand_id=brand_id, sku=sku))
        batch = generate_codes(brand_id, product.id, SHOPPERS * MOST_SCANS)
        packs.append(list(db.session.scalars(select(ScanCode.code).filter_by(batch_id=batch.id))))
    return packs


def _shopper(number, brand_id, region, joined):
    user = User(
        email=EMAIL.format(number),
        password_hash=unusable_password_hash(),
        first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
        age_verified_at=joined,
        signup_brand_id=brand_id,
        points_balance=0,
        lifetime_points=0,
        created_at=joined,
    )
    db.session.add(user)
    db.session.flush()
    wallet = add_membership(user, brand_id, now=joined)
    wallet.region = region
    ensure_referral_code(user)
    return user


def _scan_on(user, brand_id, code, when):
    """Scan `code` through the rules, then date what the scan wrote to `when`."""
    last_row = db.session.scalar(select(func.max(UserActionLog.id))) or 0
    result = scan_code(user.id, code, brand_id=brand_id, ip_address="127.0.0.1")
    if result.outcome != "awarded":
        raise RuntimeError(f"demo activity scan was not awarded: {result.outcome}")
    db.session.execute(
        update(UserActionLog)
        .where(UserActionLog.user_id == user.id, UserActionLog.id > last_row)
        .values(created_at=when)
    )
    db.session.execute(update(ScanCode).where(ScanCode.code == code).values(claimed_at=when))
    db.session.execute(
        update(MemberWallet)
        .where(MemberWallet.user_id == user.id, MemberWallet.brand_id == brand_id)
        .values(last_activity_at=when)
    )
