"""The benchmark's data set: two brands with a program (products, rewards, ranks), members with
wallets, ledger history, active achievements, unclaimed codes and delivered outbox rows, in
bulk INSERTs.

Every member's wallet and totals are the sums of their ledger rows, so the ledger invariants
hold before the run. Member 0 of the first brand is the busy member: HISTORY_OF_THE_BUSY rows of
history and BUSY_OUTBOX_ROWS sent outbox rows (the one-member scan runs as them). The first
SIGNED_IN members have a real password; the others cannot sign in.
"""

import random
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from tests import factories
from webapp.extensions import db
from webapp.loyalty.codes import new_code
from webapp.models import (
    AchievementConfig,
    Campaign,
    CustomerIoEventQueue,
    MemberWallet,
    Product,
    ScanCode,
    User,
    UserActionLog,
)
from webapp.timeutil import utcnow

CHUNK = 5000
SIGNED_IN = 21
POINTS_PER_ROW = 10
BUSY_OUTBOX_ROWS = 17_000
FIRST_BRAND_SLUG = "bench-harbor"  # DEFAULT_BRAND: the brand of 127.0.0.1
SECOND_BRAND_HOST = "north.bench.test"


@dataclass(frozen=True)
class Sizes:
    """How much of everything to load."""

    members: int
    ledger_rows: int
    codes: int
    achievements_per_brand: int
    outbox_rows: int
    busy_history: int

    @classmethod
    def full(cls):
        """The issue's data set."""
        return cls(100_000, 1_000_000, 500_000, 50, 1_000_000, 50_000)

    @classmethod
    def smoke(cls):
        """Small enough for `make test`."""
        return cls(300, 3_000, 8_000, 50, 3_000, 500)


@dataclass(frozen=True)
class Loaded:
    """What the driver needs from the data set."""

    brand_id: int
    emails: list
    codes: list
    campaigns: str


def _bulk(model, rows):
    table = model.__table__
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])
    db.session.commit()


def _program(name, slug, hosts):
    """A brand with five products to scan, six rewards and a three-rank ladder."""
    brand = factories.brand(hosts=hosts, name=name, slug=slug)
    for n in range(5):
        factories.product(brand, name=f"{name} pack {n}", points_award=50 + 10 * n)
    for n in range(6):
        factories.product(
            brand, name=f"{name} reward {n}", points_award=0, points_cost=500 * (n + 1)
        )
    for key, required, multiplier in (
        ("member", 0, "1.00"),
        ("silver", 1000, "1.25"),
        ("gold", 5000, "1.50"),
    ):
        factories.rank(brand, key, required, multiplier)
    return brand


def _achievements(brand_id, count):
    rows = [
        {
            "brand_id": brand_id,
            "name": f"Bench {n}",
            "achievement_key": f"bench_{n}",
            "achievement_type": "scan_count",
            "criteria": {
                "metric": "scan_count",
                "operator": ">=",
                "value": 1_000_000 + n,
                "timeframe": ("all_time", "30d", "7d", "365d")[n % 4],
            },
            "rewards": {"points": 10},
            "visibility": {"active": True, "show_progress": True, "priority": n},
            "is_active": True,
        }
        for n in range(count)
    ]
    _bulk(AchievementConfig, rows)


def _campaigns(brands):
    """A running double-points campaign per brand, with a budget no run spends; said."""
    now = utcnow()
    for brand_id in brands:
        db.session.add(
            Campaign(
                brand_id=brand_id,
                name="Bench double points",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                multiplier=Decimal(2),
                budget_points=2_000_000_000,
            )
        )
    db.session.commit()
    return f"a running 2x campaign with a budget at each of the {len(brands)} brands"


def load(sizes, log=print):
    """Fill an empty, migrated database; returns what the driver needs."""
    started = time.perf_counter()
    chance = random.Random(2026)
    first = _program("Bench Harbor", FIRST_BRAND_SLUG, [])
    second = _program("North Bench", "north-bench", [SECOND_BRAND_HOST])
    brands = [first.id, second.id]
    products = {
        brand_id: list(
            db.session.scalars(
                select(Product.id).where(Product.brand_id == brand_id, Product.points_award > 0)
            )
        )
        for brand_id in brands
    }
    for brand_id in brands:
        _achievements(brand_id, sizes.achievements_per_brand)
    campaigns = _campaigns(brands)
    log(f"brands and {sizes.achievements_per_brand} achievements each: {_since(started)}")

    token = secrets.token_hex(3)
    password = factories._hash(factories.DEFAULT_PASSWORD)
    now = utcnow()
    emails = [f"bench-{token}-{n}@example.com" for n in range(sizes.members)]
    _bulk(
        User,
        [
            {
                "email": email,
                "password_hash": password if n < SIGNED_IN else "!",
                "signup_brand_id": brands[0] if n < SIGNED_IN else brands[n % 2],
                "points_balance": 0,
                "lifetime_points": 0,
                "age_verified_at": now,
                "created_at": now - timedelta(days=300),
            }
            for n, email in enumerate(emails)
        ],
    )
    first_id = db.session.scalar(select(func.min(User.id)).where(User.email.in_(emails[:1])))
    user_ids = list(range(first_id, first_id + sizes.members))
    brand_of = {
        uid: (brands[0] if n < SIGNED_IN else brands[n % 2]) for n, uid in enumerate(user_ids)
    }
    log(f"{sizes.members:,} members: {_since(started)}")

    rows_of = _history_sizes(sizes, len(user_ids))
    wallets, ledger = [], []
    for uid, count in zip(user_ids, rows_of, strict=True):
        brand_id = brand_of[uid]
        wallets.append(
            {
                "user_id": uid,
                "brand_id": brand_id,
                "points_balance": POINTS_PER_ROW * count,
                "lifetime_points": POINTS_PER_ROW * count,
                "joined_at": now - timedelta(days=300),
                "marketing_consent": True,
            }
        )
        for _ in range(count):
            ledger.append(
                {
                    "user_id": uid,
                    "brand_id": brand_id,
                    "action_type": "product_scanned",
                    "product_id": chance.choice(products[brand_id]),
                    "points_awarded": POINTS_PER_ROW,
                    "action_data": {"code": "history"},
                    "created_at": now - timedelta(minutes=chance.randrange(1, 290 * 24 * 60)),
                }
            )
        if len(ledger) >= 100_000:
            _bulk(UserActionLog, ledger)
            ledger = []
    _bulk(UserActionLog, ledger)
    _bulk(MemberWallet, wallets)
    db.session.execute(
        User.__table__.update()
        .where(User.id.in_(select(MemberWallet.user_id)), User.email.like(f"bench-{token}-%"))
        .values(
            points_balance=select(MemberWallet.points_balance)
            .where(MemberWallet.user_id == User.id)
            .scalar_subquery(),
            lifetime_points=select(MemberWallet.lifetime_points)
            .where(MemberWallet.user_id == User.id)
            .scalar_subquery(),
        )
    )
    db.session.commit()
    for uid in user_ids[:SIGNED_IN]:
        factories.accept_current_terms(db.session.get(User, uid), first)
    log(f"{sum(rows_of):,} ledger rows and the wallets: {_since(started)}")

    codes = [new_code() for _ in range(sizes.codes)]
    _bulk(
        ScanCode,
        [
            {"product_id": products[brands[0]][n % len(products[brands[0]])], "code": c}
            for n, c in enumerate(codes)
        ],
    )
    log(f"{sizes.codes:,} codes: {_since(started)}")

    _outbox(sizes, user_ids, brand_of, now, chance)
    log(f"{sizes.outbox_rows:,} sent outbox rows: {_since(started)}")
    return Loaded(brands[0], emails[:SIGNED_IN], codes, campaigns)


def _history_sizes(sizes, members):
    """Rows of history per member: the busy member's, the rest spread evenly."""
    busy = min(sizes.busy_history, sizes.ledger_rows)
    rest = sizes.ledger_rows - busy
    each, extra = divmod(rest, max(1, members - 1))
    return [busy] + [each + (1 if n < extra else 0) for n in range(members - 1)]


def _outbox(sizes, user_ids, brand_of, now, chance):
    busy = min(BUSY_OUTBOX_ROWS, sizes.outbox_rows // 2)
    rows = []
    for n in range(sizes.outbox_rows):
        uid = user_ids[0] if n < busy else chance.choice(user_ids)
        sent = now - timedelta(minutes=chance.randrange(1, 20 * 24 * 60))
        rows.append(
            {
                "user_id": uid,
                "brand_id": brand_of[uid],
                "event_type": "identify" if n % 5 == 0 else "event",
                "event_name": "identify" if n % 5 == 0 else "product_scanned",
                "event_uid": f"bench{n:021d}",
                "status": "sent",
                "priority": 5,
                "attempt_count": 1,
                "created_at": sent,
                "processed_at": sent,
                "event_data": {},
            }
        )
        if len(rows) >= 100_000:
            _bulk(CustomerIoEventQueue, rows)
            rows = []
    _bulk(CustomerIoEventQueue, rows)


def _since(started):
    return f"{time.perf_counter() - started:.0f} s"
