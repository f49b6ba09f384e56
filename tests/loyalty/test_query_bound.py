"""A scan runs a fixed number of SQL statements, however many achievements or how much history."""

import itertools
from datetime import timedelta

from sqlalchemy import event, insert

from webapp.extensions import db
from webapp.loyalty.achievement_metrics import scan_aggregate_for
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.referral_codes import ensure_referral_code
from webapp.loyalty.referrals import attach_referral
from webapp.loyalty.scan import scan_code
from webapp.models import UserActionLog, UserActionLogArchive
from webapp.timeutil import utcnow

# What the scan view of a warm process runs: lock the person and their wallet at the brand
# (one statement), the code's product, claim, progress rows, log row, wallet and totals
# updates, goals, one aggregate over scans, progress insert, the product_scanned event and an
# identify (queued, never looked up: the delivery sends one per member and claim). The log
# row and both outbox rows go in the scan's one flush. A person nobody referred has no
# pending referral to look up (a referred one has: see the referral test). The views' scan is
# their whole transaction (`alone`): no savepoint, a refusal rolls it all back.
EXPECTED_SCAN_STATEMENTS = 11

TIMEFRAMES = ("all_time", "24h", "7d", "30d", "90d", "365d")
FILTERS = (
    None,
    {"product_form": "Vape"},
    {"product_line": "Gold"},
    {"strain_type": "Indica"},
    {"tag": "limited"},
)
OPERATORS = (">=", ">", "==")


def statements_of(call):
    """Run `call` and return the SQL statements it sent."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def scan_based_configs(count):
    """`count` achievements measured from scans (all timeframes, filters) or needing no query."""
    kinds = itertools.cycle(("scan_count", "purchase_amount", "achievement_unlocked", "custom"))
    shapes = itertools.cycle(itertools.product(TIMEFRAMES, FILTERS, OPERATORS))
    for n, kind, (timeframe, filters, operator) in zip(range(count), kinds, shapes, strict=False):
        criteria = {"value": 1_000_000, "timeframe": timeframe, "operator": operator}
        if filters and kind in ("scan_count", "purchase_amount"):
            criteria["filters"] = filters
        yield f"a{n}", kind, ({} if kind == "custom" else criteria), {}


def every_type_configs(count):
    """`count` achievements of all six types, some targeted at AI segments."""
    kinds = itertools.cycle(
        (
            "scan_count",
            "purchase_amount",
            "referral_count",
            "wishlist_items",
            "achievement_unlocked",
            "custom",
        )
    )
    for n, kind in zip(range(count), kinds, strict=False):
        criteria = {} if kind == "custom" else {"value": 1_000_000, "timeframe": "30d"}
        targeting = {"segments": ["vip"]} if n % 7 == 0 else {}
        yield f"t{n}", kind, criteria, targeting


def create_configs(brand, configs):
    for key, kind, criteria, targeting in configs:
        create_achievement(
            brand_id=brand.id,
            achievement_key=key,
            name=key,
            achievement_type=kind,
            criteria=criteria,
            rewards={"points": 10},
            ai_enhancement=targeting or None,
        )


def add_history(user, product, rows):
    """`rows` past scans, half of them in the archive, back from the time returned."""
    now = utcnow()
    values = [
        {
            "user_id": user.id,
            "action_type": "product_scanned",
            "product_id": product.id,
            "brand_id": product.brand_id,
            "points_awarded": 0,
            "created_at": now - timedelta(hours=n),
        }
        for n in range(rows)
    ]
    half = rows // 2
    if half:
        db.session.execute(insert(UserActionLog), values[:half])
        archived = [{**v, "id": 10_000_000 + n} for n, v in enumerate(values[half:])]
        db.session.execute(insert(UserActionLogArchive), archived)
    db.session.commit()
    return now


def measured_scan(make, configs, history=0, referred=False, alone=True):
    """Statements of one member's scan in a warm process (caches filled by a first scan);
    `referred`: the member signed up with a friend's referral code (still pending); `alone`
    as `scan_code` takes it (the views' scan)."""
    brand = make.brand()
    product = make.product(brand, tags=["limited"])
    create_configs(brand, configs)
    warm_up = make.user()
    assert scan_code(warm_up.id, make.scan_code(product).code, brand_id=brand.id).unlocked == []
    user = make.user()
    if referred:
        attach_referral(user.id, ensure_referral_code(warm_up), brand.id)
        db.session.commit()
    add_history(user, product, history)
    code = make.scan_code(product).code
    result = []
    sent = statements_of(
        lambda: result.append(scan_code(user.id, code, brand_id=brand.id, alone=alone))
    )
    assert result[0].outcome == "awarded" and result[0].unlocked == []
    return sent


def test_a_referred_members_first_scan_looks_its_referral_up(make):
    plain = measured_scan(make, scan_based_configs(1))
    referred = measured_scan(make, scan_based_configs(1), referred=True)
    # the pending referral, the brand (its referral settings), the referrer, both members'
    # locks in id order and the bonuses' rows: counted, never on a scan of anyone unreferred
    assert not [s for s in plain if "referrals" in s]
    assert [s for s in referred if "FROM referrals" in s]
    assert len(referred) > len(plain)


def test_one_or_two_hundred_achievements_cost_the_same(make):
    one = measured_scan(make, scan_based_configs(1))
    many = measured_scan(make, scan_based_configs(200))
    assert len(one) == len(many) == EXPECTED_SCAN_STATEMENTS, "\n".join(many)


def test_every_type_and_targeting_add_a_fixed_few(make):
    six = measured_scan(make, every_type_configs(6))
    many = measured_scan(make, every_type_configs(200))
    # + the AI profile (the brand's, else the platform's: one read), the referral aggregate
    # and the wishlist aggregate
    assert len(six) == len(many) == EXPECTED_SCAN_STATEMENTS + 3, "\n".join(many)


def test_a_scan_writes_its_rows_with_one_statement_each(make):
    """The ledger rows in one INSERT, the person's and the wallet's points and rank in one
    prebuilt UPDATE each (Core, not the ORM's flush, which writes only the outbox rows)."""
    sent = measured_scan(make, scan_based_configs(1))
    writes = [s.split(" (")[0].split(" SET")[0] for s in sent if s.startswith(("INSERT", "UPDATE"))]
    assert writes.count("INSERT INTO user_action_log") == 1
    assert writes.count("UPDATE users") == writes.count("UPDATE member_wallets") == 1
    (person,) = [s for s in sent if s.startswith("UPDATE users")]
    assert "key_id" in person  # the prebuilt statement's primary key parameter
    assert sent.index(person) < [i for i, s in enumerate(sent) if "scan_days" in s][0]


def test_a_scan_inside_a_larger_transaction_keeps_it_with_a_savepoint(make):
    alone = measured_scan(make, scan_based_configs(1))
    inside = measured_scan(make, scan_based_configs(1), alone=False)
    assert not [s for s in alone if "SAVEPOINT" in s]
    assert len(inside) == len(alone) + 2  # SAVEPOINT, RELEASE SAVEPOINT
    assert inside[1].startswith("SAVEPOINT") and inside[-1].startswith("RELEASE SAVEPOINT")


def test_history_does_not_add_statements(make):
    fresh = measured_scan(make, scan_based_configs(20), history=0)
    veteran = measured_scan(make, scan_based_configs(20), history=5000)
    assert len(fresh) == len(veteran) == EXPECTED_SCAN_STATEMENTS


def campaign_scan(make, brand_settings=None, campaign=True, **campaign_values):
    """Statements of a warm scan at a brand with one campaign on now (none: `campaign` False)."""
    from decimal import Decimal

    from webapp.models import Campaign

    brand = make.brand(settings=brand_settings or {})
    product = make.product(brand)
    now = utcnow()
    if campaign:
        db.session.add(Campaign(brand_id=brand.id, name="Double", multiplier=Decimal(2),
                                starts_at=now - timedelta(hours=1),
                                ends_at=now + timedelta(hours=1), **campaign_values))  # fmt: skip
    db.session.commit()
    scan_code(make.user().id, make.scan_code(product).code, brand_id=brand.id)
    db.session.commit()
    user, code = make.user(), make.scan_code(product).code
    sent = statements_of(lambda: scan_code(user.id, code, brand_id=brand.id))
    db.session.rollback()
    return sent


def test_campaigns_and_caps_add_a_fixed_few_and_only_when_they_apply(make):
    plain = campaign_scan(make, campaign=False)
    with_campaign = campaign_scan(make)
    budgeted = campaign_scan(make, budget_points=10_000)
    member_capped = campaign_scan(make, cap_kind="scans", cap_period="day", cap_amount=5)
    caps = {"earning_caps": {"points_per_day": 10_000}}
    earning_capped = campaign_scan(make, caps, cap_kind="scans", cap_period="day", cap_amount=5)
    # The bonus row is a ledger grant of its own with its event, settled with the scan's in
    # one flush (the person and the wallet written once, both log rows in one INSERT, both
    # events in another, the goals read once); the campaigns themselves come from the cache,
    # and the identify the scan queued is held once per transaction. So a bonus costs no
    # statement (5 when each grant looked for the identify, 3 when each grant flushed).
    assert len(with_campaign) == len(plain), "\n".join(with_campaign)
    assert len(budgeted) == len(with_campaign) + 1  # the conditional UPDATE of the budget
    assert len(member_capped) == len(with_campaign) + 2  # read the count, insert it
    # the daily count's read; its row goes in the one INSERT of the member cap's count
    assert len(earning_capped) == len(member_capped) + 1


def test_a_scan_that_unlocks_nothing_writes_only_progress_one_branch_per_value(make):
    from sqlalchemy import select

    from webapp.models import UserAchievement

    brand = make.brand()
    product = make.product(brand, points_award=10)
    windows = {"all_time": None, "24h": None, "7d": None}
    create_configs(brand, [(f"w{n}-{tf}", "scan_count", {"value": 1_000_000, "timeframe": tf,
                                                         "operator": ">="}, {})
                           for tf in windows for n in range(3)])  # fmt: skip
    user = make.user()
    # one scan an hour, back from `now`; the windows end there (a second may pass meanwhile)
    now = add_history(user, product, 48)
    scan_code(user.id, make.scan_code(product).code, brand_id=brand.id, now=now)
    db.session.commit()
    code = make.scan_code(product).code
    sent = statements_of(lambda: scan_code(user.id, code, brand_id=brand.id, now=now))
    db.session.commit()
    (written,) = [s for s in sent if s.startswith("UPDATE user_achievements")]
    assert "completed" not in written and "boost" not in written
    assert written.count("WHEN") == 2  # nine rows, two distinct values (26 and 50)
    stored = dict(
        db.session.execute(
            select(UserAchievement.achievement_config_id, UserAchievement.progress).where(
                UserAchievement.user_id == user.id
            )
        ).all()
    )
    # 24h: the history of hours 0 to 24 and the two scans; 7d and all time: all 48 and the two
    assert sorted(stored.values()) == [27] * 3 + [50] * 6


def test_the_scan_aggregate_is_built_once_for_a_brands_metrics(make):
    brand = make.brand()
    product = make.product(brand, tags=["limited"])
    create_configs(brand, scan_based_configs(20))
    first = scan_code(make.user().id, make.scan_code(product).code, brand_id=brand.id)
    assert first.outcome == "awarded"
    built = scan_aggregate_for.cache_info()
    for _ in range(3):
        result = scan_code(make.user().id, make.scan_code(product).code, brand_id=brand.id)
        assert result.outcome == "awarded"
    reused = scan_aggregate_for.cache_info()
    assert reused.misses == built.misses  # no statement built again
    assert reused.hits >= built.hits + 3
