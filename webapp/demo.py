"""Demo data: one brand with ranks, products, achievements, fields, staff, a member, codes."""

from decimal import Decimal

from sqlalchemy import func, select

from webapp.brand_settings import DEFAULTS
from webapp.code_batches import generate_codes
from webapp.demo_activity import add_program_activity
from webapp.demo_images import add_demo_pictures
from webapp.demo_story import tell_member_story
from webapp.extensions import db
from webapp.loyalty.compliance_settings import document_versions
from webapp.loyalty.consents import accept_documents, missing_documents
from webapp.loyalty.jurisdiction_editing import example_rules, replace_rules
from webapp.loyalty.passwords import hash_password
from webapp.models import (
    AchievementConfig,
    Brand,
    BrandStaff,
    CustomField,
    JurisdictionRule,
    Product,
    Rank,
    ScanCode,
    User,
)

BRAND_SLUG = "green-harbor"
STAFF = {"email": "owner@greenharbor.example", "password": "harbor-owner-2026"}
CONSUMER = {"email": "sam@greenharbor.example", "password": "harbor-member-2026"}
DEMO_CODES_WANTED = 24
# The demo member lives where the example rules allow earning and redeeming.
DEMO_REGION = "US-CO"

# The demo brand spells out every setting (the defaults) so staff see them all in its JSON.
BRAND_SETTINGS = {
    **DEFAULTS.model_dump(mode="json", exclude_none=True),
    # The demo shop is on the US west coast: its program days begin at midnight there.
    "timezone": "America/Los_Angeles",
    # Every member who gives a birthday gets a bonus on the day.
    "birthday": {"bonus_points": 250},
}

# key, name, points required, multiplier, benefits, entry reward (points, paid once on arrival)
RANKS = [
    ("bronze", "Bronze", 1000, "1.20", "20% more points on every scan.", 0),
    ("silver", "Silver", 5000, "1.50", "50% more points, early access to drops.", 0),
    ("gold", "Gold", 10000, "2.00", "Double points, limited rewards, 500 points on arrival.", 500),
]

# sku, name, form, line, strain, type, thc, cbd, terpene, tags, msrp, award, cost, flags
PRODUCTS = [
    (
        "GH-VC-BD",
        "Blue Dream Live Resin Cart 1g",
        "Vape Cartridge",
        "Live Line",
        "Blue Dream",
        "Hybrid",
        "86.40",
        "0.20",
        "Myrcene",
        ["effect-balanced", "flavor-berry"],
        "45.00",
        150,
        None,
        {"is_featured": True},
    ),
    (
        "GH-VC-SD",
        "Sour Diesel Cart 0.5g",
        "Vape Cartridge",
        "Classic Line",
        "Sour Diesel",
        "Sativa",
        "84.10",
        "0.10",
        "Caryophyllene",
        ["effect-energetic", "flavor-fuel"],
        "30.00",
        100,
        None,
        {},
    ),
    (
        "GH-VC-GDP",
        "Granddaddy Purple Cart 1g",
        "Vape Cartridge",
        "Live Line",
        "Granddaddy Purple",
        "Indica",
        "82.70",
        "0.30",
        "Myrcene",
        ["effect-relaxed", "flavor-grape"],
        "44.00",
        150,
        None,
        {"is_new": True},
    ),
    (
        "GH-FL-GSC",
        "GSC Flower 3.5g",
        "Flower",
        "Reserve",
        "Girl Scout Cookies",
        "Hybrid",
        "24.50",
        "0.10",
        "Caryophyllene",
        ["effect-euphoric", "flavor-sweet"],
        "40.00",
        120,
        None,
        {},
    ),
    (
        "GH-FL-JH",
        "Jack Herer Flower 3.5g",
        "Flower",
        "Reserve",
        "Jack Herer",
        "Sativa",
        "22.00",
        "0.20",
        "Terpinolene",
        ["effect-creative", "flavor-pine"],
        "38.00",
        110,
        None,
        {},
    ),
    (
        "GH-FL-NL",
        "Northern Lights Flower 7g",
        "Flower",
        "Everyday",
        "Northern Lights",
        "Indica",
        "19.80",
        "0.40",
        "Myrcene",
        ["effect-sleepy", "flavor-earthy"],
        "55.00",
        160,
        None,
        {},
    ),
    (
        "GH-CN-WW",
        "Wedding Cake Live Rosin 1g",
        "Concentrate",
        "Solventless",
        "Wedding Cake",
        "Hybrid",
        "74.20",
        "0.10",
        "Limonene",
        ["effect-euphoric", "flavor-vanilla"],
        "60.00",
        200,
        None,
        {"is_limited": True},
    ),
    (
        "GH-CN-GG",
        "Gorilla Glue Badder 1g",
        "Concentrate",
        "Classic Line",
        "Gorilla Glue #4",
        "Hybrid",
        "78.00",
        "0.10",
        "Caryophyllene",
        ["effect-heavy", "flavor-earthy"],
        "50.00",
        180,
        None,
        {},
    ),
    (
        "GH-ED-MG",
        "Mango Sleep Gummies 100mg",
        "Edible",
        "Gummies",
        None,
        "Indica",
        None,
        None,
        "Linalool",
        ["effect-sleepy", "flavor-mango"],
        "22.00",
        80,
        None,
        {},
    ),
    (
        "GH-ED-CB",
        "Dark Chocolate Bar 100mg",
        "Edible",
        "Chocolate",
        None,
        "Hybrid",
        None,
        None,
        None,
        ["flavor-chocolate"],
        "25.00",
        80,
        None,
        {},
    ),
    (
        "GH-RW-TEE",
        "Green Harbor Tee",
        "Merch",
        "Rewards",
        None,
        None,
        None,
        None,
        None,
        ["merch"],
        "28.00",
        0,
        1500,
        {},
    ),
    (
        "GH-RW-BAT",
        "Harbor 510 Battery",
        "Accessory",
        "Rewards",
        None,
        None,
        None,
        None,
        None,
        ["accessory"],
        "35.00",
        0,
        2500,
        {"is_featured": True},
    ),
    (
        "GH-RW-HAT",
        "Gold Members' Dad Hat",
        "Merch",
        "Rewards",
        None,
        None,
        None,
        None,
        None,
        ["merch", "exclusive"],
        "32.00",
        0,
        4000,
        {"required_rank_key": "silver"},
    ),
]

ACHIEVEMENTS = [
    ("first_scan", "First Scan", "Scan your first product.", "scan_count", 1, 100, "common"),
    ("five_scans", "Regular", "Scan five products.", "scan_count", 5, 250, "uncommon"),
    ("twenty_scans", "Connoisseur", "Scan twenty products.", "scan_count", 20, 1000, "rare"),
    (
        "first_referral",
        "Good Company",
        "A friend you referred scans their first product.",
        "referral_count",
        1,
        200,
        "uncommon",
    ),
    (
        "wishlist_three",
        "Window Shopper",
        "Add three products to your wishlist.",
        "wishlist_items",
        3,
        50,
        "common",
    ),
]

CUSTOM_FIELDS = [
    (
        "favorite_form",
        "Favourite way to enjoy",
        "select",
        ["Vape Cartridge", "Flower", "Concentrate", "Edible"],
        False,
        1,
    ),
    ("zip_code", "ZIP code", "text", None, False, 2),
]


def _get_or_create(model, defaults=None, **keys):
    row = db.session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def _seed_products(brand):
    for (
        sku,
        name,
        form,
        line,
        strain,
        stype,
        thc,
        cbd,
        terpene,
        tags,
        msrp,
        award,
        cost,
        extra,
    ) in PRODUCTS:
        defaults = {
            "name": name,
            "product_form": form,
            "product_line": line,
            "strain_name": strain,
            "strain_type": stype,
            "potency_thc_percent": Decimal(thc) if thc else None,
            "potency_cbd_percent": Decimal(cbd) if cbd else None,
            "dominant_terpene": terpene,
            "tags": tags,
            "msrp": Decimal(msrp),
            "points_award": award,
            "points_cost": cost,
            "description": f"{name} from Green Harbor.",
            **extra,
        }
        _get_or_create(Product, defaults, brand_id=brand.id, sku=sku)


def _seed_program(brand):
    for key, name, required, multiplier, benefits, entry_points in RANKS:
        _get_or_create(
            Rank,
            {
                "name": name,
                "points_required": required,
                "point_multiplier": Decimal(multiplier),
                "benefits": benefits,
                "entry_points": entry_points or None,
            },
            brand_id=brand.id,
            key=key,
        )
    for priority, (key, name, description, kind, value, points, rarity) in enumerate(ACHIEVEMENTS):
        _get_or_create(
            AchievementConfig,
            {
                "name": name,
                "description": description,
                "achievement_type": kind,
                "criteria": {
                    "metric": kind,
                    "operator": ">=",
                    "value": value,
                    "timeframe": "all_time",
                },
                "rewards": {"points": points, "badge": key},
                "visibility": {"active": True, "show_progress": True, "priority": priority},
                "meta": {"category": "engagement", "rarity": rarity, "tags": []},
            },
            brand_id=brand.id,
            achievement_key=key,
        )
    for key, label, ftype, options, required, order in CUSTOM_FIELDS:
        _get_or_create(
            CustomField,
            {
                "field_label": label,
                "field_type": ftype,
                "field_options": options,
                "is_required": required,
                "field_order": order,
            },
            brand_id=brand.id,
            field_key=key,
        )


def _seed_people(brand):
    from webapp.loyalty.membership import add_membership, wallet_of
    from webapp.loyalty.referral_codes import ensure_referral_code

    owner = _get_or_create(
        User,
        {
            "password_hash": hash_password(STAFF["password"]),
            "first_name": "Olivia",
            "last_name": "Owner",
            "signup_brand_id": brand.id,
        },
        email=STAFF["email"],
    )
    _get_or_create(BrandStaff, {"role": "owner"}, user_id=owner.id, brand_id=brand.id)
    consumer = _get_or_create(
        User,
        {
            "password_hash": hash_password(CONSUMER["password"]),
            "first_name": "Sam",
            "last_name": "Rivera",
            "signup_brand_id": brand.id,
        },
        email=CONSUMER["email"],
    )
    wallet = wallet_of(consumer.id, brand.id) or add_membership(consumer, brand.id)
    wallet.region = wallet.region or DEMO_REGION
    versions = document_versions(brand)
    if missing_documents(consumer.id, brand.id, versions):
        accept_documents(consumer.id, brand.id, versions, "registration")
    ensure_referral_code(consumer)
    ensure_referral_code(owner)
    return consumer


def _unclaimed_demo_codes(brand, top_up=True):
    product = db.session.scalar(select(Product).filter_by(brand_id=brand.id, sku=PRODUCTS[0][0]))
    query = (
        select(ScanCode.code)
        .where(
            ScanCode.product_id == product.id,
            ScanCode.claimed_by_user_id.is_(None),
            ScanCode.voided_at.is_(None),
        )
        .order_by(ScanCode.id)
    )
    codes = list(db.session.scalars(query.limit(DEMO_CODES_WANTED)))
    if top_up and len(codes) < DEMO_CODES_WANTED:
        generate_codes(brand.id, product.id, DEMO_CODES_WANTED)
        codes = list(db.session.scalars(query.limit(DEMO_CODES_WANTED)))
    return codes


def _seed_rules(brand):
    """The shipped example rules (examples: confirm with counsel) when the brand has none."""
    if not db.session.scalar(select(JurisdictionRule.id).filter_by(brand_id=brand.id).limit(1)):
        replace_rules(brand.id, example_rules())


def seed_demo():
    """Create (or complete) the demo program; returns what a person needs to try it."""
    brand = _get_or_create(
        Brand, {"name": "Green Harbor", "settings": BRAND_SETTINGS}, slug=BRAND_SLUG
    )
    _seed_products(brand)
    _seed_program(brand)
    _seed_rules(brand)
    consumer = _seed_people(brand)
    add_demo_pictures(brand)
    db.session.commit()
    tell_member_story(consumer.id, brand.id)
    add_program_activity(brand.id, DEMO_REGION)
    return _what_to_try(brand, _unclaimed_demo_codes(brand))


def demo_summary():
    """What `seed_demo` returns, read from a database it already filled (writes nothing);
    None when there is no demo brand."""
    brand = db.session.scalar(select(Brand).filter_by(slug=BRAND_SLUG))
    if brand is None:
        return None
    return _what_to_try(brand, _unclaimed_demo_codes(brand, top_up=False))


def _what_to_try(brand, codes):
    reward = db.session.scalar(select(Product).filter_by(brand_id=brand.id, sku="GH-RW-TEE"))
    return {
        "brand": brand.slug,
        "staff": dict(STAFF),
        "consumer": dict(CONSUMER),
        "codes": codes,
        "reward_product_id": reward.id,
    }


def database_is_empty():
    """True when no brand exists yet."""
    return not db.session.scalar(select(func.count()).select_from(Brand))
