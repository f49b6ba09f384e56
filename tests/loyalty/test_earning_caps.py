"""The brand's daily earning caps: a scan over a cap still claims its code, earns what the cap
leaves and says so; the day is the brand's."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.scan import scan_code
from webapp.models import Campaign, ScanCode
from webapp.portal.wording import scan_message

pytestmark = pytest.mark.sqlite_ok

# 22:00 on Friday 13 September 2030 in Los Angeles.
FRIDAY_NIGHT = datetime(2030, 9, 14, 5, 0)
LA_MIDNIGHT = datetime(2030, 9, 14, 7, 0)


def caps(**values):
    return {"timezone": "America/Los_Angeles", "earning_caps": values}


def scan(make, user, product, brand, now):
    code = make.scan_code(product).code
    return code, scan_code(user.id, code, brand_id=brand.id, now=now)


def test_no_caps_by_default(make):
    brand = make.brand()
    product = make.product(brand, points_award=1000)
    user = make.user()
    results = [scan(make, user, product, brand, FRIDAY_NIGHT)[1] for _ in range(5)]
    assert [r.points for r in results] == [1000] * 5


def test_the_points_cap_awards_what_it_leaves_and_says_so(make, recorded):
    brand = make.brand(settings=caps(points_per_day=250))
    product = make.product(brand, points_award=100)
    user = make.user()
    results = [scan(make, user, product, brand, FRIDAY_NIGHT)[1] for _ in range(3)]
    code, over = scan(make, user, product, brand, FRIDAY_NIGHT)
    assert [r.points for r in results] + [over.points] == [100, 100, 50, 0]
    assert "earning limit of 250 points" in results[2].message
    assert "earned 50 of its 100 points" in results[2].message
    rows = recorded.actions(user, "product_scanned")
    assert rows[2].action_data["capped"] == {"cap": "points_per_day", "limit": 250, "withheld": 50}
    db.session.expire_all()
    claimed = db.session.scalar(select(ScanCode).where(ScanCode.code == code))
    assert claimed.claimed_by_user_id == user.id  # claimed all the same
    assert user.points_balance == 250
    # The brand's next day (midnight in Los Angeles) starts a new count.
    _, next_day = scan(make, user, product, brand, LA_MIDNIGHT)
    assert next_day.points == 100 and next_day.cap_note is None


def test_the_scans_cap_claims_the_code_for_nothing(make, recorded):
    brand = make.brand(settings=caps(scans_per_day=2))
    product = make.product(brand, points_award=100)
    user = make.user()
    outcomes = [scan(make, user, product, brand, FRIDAY_NIGHT)[1] for _ in range(3)]
    assert [(r.outcome, r.points) for r in outcomes] == [
        ("awarded", 100),
        ("awarded", 100),
        ("awarded", 0),
    ]
    assert "limit of 2 scans" in outcomes[2].message
    assert recorded.actions(user, "product_scanned")[2].action_data["capped"]["cap"] == (
        "scans_per_day"
    )


def test_a_capped_scan_trims_the_campaign_bonus_first_and_spends_no_more_budget(make, recorded):
    brand = make.brand(settings=caps(points_per_day=150))
    product = make.product(brand, points_award=100)
    row = Campaign(brand_id=brand.id, name="Double", starts_at=FRIDAY_NIGHT - timedelta(1),
                   ends_at=FRIDAY_NIGHT + timedelta(1), multiplier=Decimal(2),
                   budget_points=1000)  # fmt: skip
    db.session.add(row)
    db.session.commit()
    user = make.user()
    _, result = scan(make, user, product, brand, FRIDAY_NIGHT)
    assert (result.points, result.campaign_points) == (150, 50)
    assert "earned 150 of its 200 points" in result.message
    scan_row = recorded.actions(user, "product_scanned")[0]
    assert scan_row.action_data["capped"]["withheld"] == 50
    db.session.expire_all()
    assert db.session.get(Campaign, row.id).spent_points == 50


@pytest.mark.parametrize(
    ("locale", "words"),
    [("es", "límite"), ("fr_CA", "limite")],
)
def test_the_cap_message_is_translated(app, make, locale, words):
    brand = make.brand(settings=caps(scans_per_day=1))
    product = make.product(brand, points_award=100)
    user = make.user()
    scan(make, user, product, brand, FRIDAY_NIGHT)
    _, over = scan(make, user, product, brand, FRIDAY_NIGHT)
    with app.test_request_context(), force_locale(locale):
        shown = scan_message(over)
    assert words in shown and "limit of 1 scans" not in shown
