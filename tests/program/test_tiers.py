"""Tiers that requalify: a rank earned on the points of a period rises at once, is kept through
the grace days when the points fall short, then goes down one rank per daily run; a rank's
entry reward is paid once per member ever. Lifetime programs behave as they always did."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests import factories
from tests.loyalty.test_concurrency import run_together
from tests.loyalty.test_query_bound import add_history, statements_of
from webapp import program_daily as daily
from webapp.extensions import db
from webapp.loyalty import qualifying
from webapp.loyalty.ledger import grant, lock_member, spend
from webapp.loyalty.program_day import brand_today
from webapp.loyalty.qualifying import period_points, tier_policy, tier_standing
from webapp.loyalty.redemption import _check_eligibility
from webapp.loyalty.reward_catalogue import reward_catalogue
from webapp.loyalty.scan import scan_code
from webapp.loyalty.tiers import members_to_requalify
from webapp.models import (
    CustomerIoEventQueue,
    MemberWallet,
    TierEntryReward,
    User,
    UserActionLog,
)
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


@pytest.fixture(autouse=True)
def _end_open_transaction(app):
    yield
    db.session.rollback()


def program(qualifying_period="rolling_12_months", grace_days=10, **ranks):
    """A brand whose ranks requalify on `qualifying_period`, with Silver (100) and Gold (500)."""
    brand = factories.brand(
        settings={"tiers": {"qualifying": qualifying_period, "grace_days": grace_days}}
    )
    factories.rank(brand, "silver", 100, "1.10")
    factories.rank(brand, "gold", 500, "1.50", **ranks)
    return brand


def earn(person, brand, points, *, on=None, action="product_scanned"):
    """Grant `points` through the ledger (committed); `on` (a date) backdates the row to noon
    of that day, as if earned then."""
    entry = grant(lock_member(person.id, brand.id), points, action)
    db.session.commit()
    if on is not None:
        db.session.execute(
            update(UserActionLog)
            .where(UserActionLog.id == entry.log.id)
            .values(created_at=qualifying.tier_policy(brand.id).day_start(on) + timedelta(hours=12))
        )
        db.session.commit()
    return entry


def wallet_of(person, brand):
    db.session.expire_all()
    return db.session.get(MemberWallet, (person.id, brand.id))


def rank_moves(person, brand):
    """The member's rank_changed log rows at the brand, oldest first."""
    db.session.expire_all()
    return db.session.scalars(
        select(UserActionLog.action_data)
        .where(
            UserActionLog.user_id == person.id,
            UserActionLog.brand_id == brand.id,
            UserActionLog.action_type == "rank_changed",
        )
        .order_by(UserActionLog.id)
    ).all()


def events(person, name):
    return db.session.scalars(
        select(CustomerIoEventQueue)
        .where(CustomerIoEventQueue.user_id == person.id, CustomerIoEventQueue.event_name == name)
        .order_by(CustomerIoEventQueue.id)
    ).all()


def run(brand, day):
    """The brand's daily run of `day`, forced (the step itself must change nothing twice)."""
    return daily.program_daily(brand.id, day, force=True).changed.get("tiers", 0)


def gold_member(brand, today, *, earned_days_ago=400):
    """A member who reached Gold with 600 points earned `earned_days_ago` days before today."""
    person = factories.user(brands=[brand])
    earn(person, brand, 600, on=today - timedelta(days=earned_days_ago))
    assert wallet_of(person, brand).current_rank_key == "gold"
    return person


# --- Lifetime: as it always was -------------------------------------------------------------


def test_lifetime_is_the_default_and_the_daily_step_leaves_it_alone(app):
    brand = factories.brand()
    factories.rank(brand, "gold", 500)
    person = factories.user(brands=[brand])
    today = brand_today(brand)
    earn(person, brand, 600, on=today - timedelta(days=700))

    assert tier_policy(brand.id).is_lifetime
    assert members_to_requalify(brand, today) == []
    assert run(brand, today + timedelta(days=400)) == 0
    assert wallet_of(person, brand).current_rank_key == "gold"
    assert rank_moves(person, brand) == [{"old_rank_key": "member", "new_rank_key": "gold"}]
    [event] = events(person, "rank_changed")
    context = event.event_data["event_context"]
    assert (context["direction"], context["reason"]) == ("up", "lifetime_points")


# --- Up at once, on the period's points -----------------------------------------------------


def test_a_grant_raises_the_rank_at_once_on_the_periods_points_only(app):
    brand = program("rolling_12_months")
    person = factories.user(brands=[brand])
    today = brand_today(brand)
    earn(person, brand, 450, on=today - timedelta(days=400))  # Silver then; out of the period
    assert wallet_of(person, brand).current_rank_key == "silver"

    earn(person, brand, 150)  # lifetime 600 would be Gold; the period holds 150
    assert wallet_of(person, brand).current_rank_key == "silver"
    assert period_points(person.id, brand.id, today) == 150

    earn(person, brand, 350)  # the period reaches 500
    wallet = wallet_of(person, brand)
    assert wallet.current_rank_key == "gold"
    assert rank_moves(person, brand)[-1] == {
        "old_rank_key": "silver",
        "new_rank_key": "gold",
        "direction": "up",
        "reason": "period_points",
    }
    context = events(person, "rank_changed")[-1].event_data["event_context"]
    assert (context["direction"], context["reason"], context["new_rank_name"]) == (
        "up",
        "period_points",
        "Gold",
    )


def test_only_earnings_count_towards_the_period(app):
    brand = program("calendar_year")
    person = factories.user(brands=[brand])
    today = brand_today(brand)
    member = lock_member(person.id, brand.id)
    grant(member, 400, "points_adjusted")
    grant(member, 400, "birthday_bonus")
    grant(member, 400, "points_refunded", count_towards_lifetime=False)
    spend(member, 50, "reward_redeemed")
    db.session.commit()
    assert period_points(person.id, brand.id, today) == 0
    assert wallet_of(person, brand).current_rank_key == "member"
    earn(person, brand, 120, action="referral_bonus")
    earn(person, brand, 20, action="achievement_unlocked")
    assert period_points(person.id, brand.id, today) == 140
    assert wallet_of(person, brand).current_rank_key == "silver"


def test_the_scan_multiplier_is_the_rank_held(app):
    brand = program("rolling_12_months")
    person = factories.user(brands=[brand])
    today = brand_today(brand)
    earn(person, brand, 450, on=today - timedelta(days=400))  # Silver, held
    earn(person, brand, 150)  # lifetime 600 (Gold's threshold); the period holds 150
    product = factories.product(brand, points_award=100)
    code = factories.scan_code(product).code

    result = scan_code(person.id, code, brand_id=brand.id)
    db.session.commit()
    assert result.points == 110  # Silver's 1.10x, not Gold's 1.50x


# --- Down only after the grace, one rank per evaluation --------------------------------------


def test_falling_short_keeps_the_rank_through_the_grace_then_drops_one_rank_a_day(app):
    brand = program("rolling_12_months", grace_days=10)
    today = brand_today(brand)
    person = gold_member(brand, today, earned_days_ago=360)
    first_short = today + timedelta(days=6)  # the 600 leave the 12 months

    assert run(brand, today) == 0  # still qualified
    assert run(brand, first_short) == 1
    wallet = wallet_of(person, brand)
    assert (wallet.current_rank_key, wallet.tier_grace_started_on, wallet.tier_grace_ends_on) == (
        "gold",
        first_short,
        first_short + timedelta(days=10),
    )
    assert run(brand, first_short) == 0  # the same day again: nothing more
    assert run(brand, first_short + timedelta(days=9)) == 0
    assert wallet_of(person, brand).current_rank_key == "gold"

    drop_day = first_short + timedelta(days=10)
    assert run(brand, drop_day) == 1
    assert wallet_of(person, brand).current_rank_key == "silver"  # one rank, not two
    assert run(brand, drop_day) == 0  # idempotent: a second run of the day lowers nobody
    assert wallet_of(person, brand).current_rank_key == "silver"
    assert rank_moves(person, brand)[-1] == {
        "old_rank_key": "gold",
        "new_rank_key": "silver",
        "direction": "down",
        "reason": "requalification",
        "day": drop_day.isoformat(),
    }
    context = events(person, "rank_changed")[-1].event_data["event_context"]
    assert (context["direction"], context["reason"]) == ("down", "requalification")

    assert run(brand, drop_day + timedelta(days=1)) == 1  # still short of Silver: next rank
    wallet = wallet_of(person, brand)
    assert wallet.current_rank_key == "member" and wallet.tier_grace_ends_on is None
    assert run(brand, drop_day + timedelta(days=2)) == 0
    assert [move["new_rank_key"] for move in rank_moves(person, brand)] == [
        "gold",
        "silver",
        "member",
    ]


def test_requalifying_during_the_grace_clears_it(app):
    brand = program("rolling_12_months", grace_days=10)
    today = brand_today(brand)
    person = gold_member(brand, today, earned_days_ago=400)
    assert run(brand, today) == 1  # short: the grace begins
    assert wallet_of(person, brand).tier_grace_ends_on == today + timedelta(days=10)

    earn(person, brand, 500)  # requalified at once, in the ledger
    wallet = wallet_of(person, brand)
    assert wallet.tier_grace_ends_on is None and wallet.tier_grace_started_on is None
    assert run(brand, today + timedelta(days=10)) == 0
    assert wallet_of(person, brand).current_rank_key == "gold"


def test_a_daily_run_clears_the_grace_of_a_member_whose_points_are_back(app):
    brand = program("rolling_12_months", grace_days=10)
    today = brand_today(brand)
    person = gold_member(brand, today, earned_days_ago=400)
    run(brand, today)
    db.session.execute(
        update(MemberWallet)
        .where(MemberWallet.user_id == person.id)
        .values(tier_grace_started_on=today - timedelta(days=1))
    )
    earn(person, brand, 500, on=today - timedelta(days=1))
    wallet = wallet_of(person, brand)
    wallet.tier_grace_ends_on = today + timedelta(days=9)  # as if the grant came before it
    db.session.commit()
    assert run(brand, today + timedelta(days=1)) == 1
    assert wallet_of(person, brand).tier_grace_ends_on is None


def test_calendar_year_resets_on_the_first_of_january_and_no_grace_drops_at_once(app):
    brand = program("calendar_year", grace_days=0)
    today = brand_today(brand)
    last_year = today.year - 1
    person = gold_member(brand, date(today.year, 1, 1), earned_days_ago=17)  # 15 Dec

    assert run(brand, date(last_year, 12, 31)) == 0  # 600 points in the year
    new_year = date(today.year, 1, 1)
    assert run(brand, new_year) == 1
    assert wallet_of(person, brand).current_rank_key == "silver"  # one rank per evaluation
    assert run(brand, new_year) == 0  # the same day again
    assert run(brand, new_year + timedelta(days=1)) == 1
    assert wallet_of(person, brand).current_rank_key == "member"


def test_calendar_year_with_a_years_grace_keeps_last_years_rank_through_this_year(app):
    brand = program("calendar_year", grace_days=365)
    today = brand_today(brand)
    person = gold_member(brand, date(today.year, 1, 1), earned_days_ago=17)
    new_year = date(today.year, 1, 1)
    run(brand, new_year)
    assert wallet_of(person, brand).tier_grace_ends_on == new_year + timedelta(days=365)
    assert run(brand, new_year + timedelta(days=364)) == 0
    assert wallet_of(person, brand).current_rank_key == "gold"


def test_a_run_of_one_brand_leaves_another_brand_alone(app):
    brand_a = program("rolling_12_months", grace_days=0)
    brand_b = program("rolling_12_months", grace_days=0)
    today = brand_today(brand_a)
    person = factories.user(brands=[brand_a, brand_b])
    earn(person, brand_a, 600, on=today - timedelta(days=400))
    earn(person, brand_b, 600, on=today - timedelta(days=400))

    assert run(brand_a, today) == 1
    assert wallet_of(person, brand_a).current_rank_key == "silver"
    untouched = wallet_of(person, brand_b)
    assert (untouched.current_rank_key, untouched.tier_grace_ends_on) == ("gold", None)
    assert members_to_requalify(brand_a, today) == [person.id]


# --- Entry rewards ---------------------------------------------------------------------------


def test_reaching_a_rank_pays_its_entry_reward_once_even_after_a_drop_and_return(app):
    brand = factories.brand(
        settings={"tiers": {"qualifying": "rolling_12_months", "grace_days": 0}}
    )
    factories.rank(brand, "silver", 100)
    gift = factories.product(brand, points_cost=900, is_limited=True, name="Gold gift")
    factories.rank(brand, "gold", 500, entry_points=250, entry_product_id=gift.id)
    person = factories.user(brands=[brand])
    today = brand_today(brand)

    assert reward_catalogue(person, brand.id)[0].exclusive_locked
    earn(person, brand, 600, on=today - timedelta(days=400))
    db.session.expire_all()
    reloaded = db.session.get(User, person.id)
    wallet = wallet_of(person, brand)
    assert (wallet.points_balance, wallet.lifetime_points) == (850, 600)  # not lifetime points
    assert reloaded.points_balance == 850
    [paid] = db.session.scalars(select(TierEntryReward)).all()
    assert (paid.rank_key, paid.points, paid.product_id) == ("gold", 250, gift.id)
    [event] = events(person, "tier_reward")
    assert event.event_data["event_context"]["points"] == 250
    assert event.event_data["event_context"]["rank_name"] == "Gold"
    [offer] = reward_catalogue(person, brand.id)
    assert not offer.exclusive_locked  # the entry reward unlocked the limited gift
    _check_eligibility(lock_member(person.id, brand.id), gift)  # raises when locked
    db.session.commit()

    run(brand, today)  # the 600 are out of the period: down to Silver
    assert wallet_of(person, brand).current_rank_key == "silver"
    earn(person, brand, 500)  # back to Gold
    wallet = wallet_of(person, brand)
    assert wallet.current_rank_key == "gold"
    assert wallet.points_balance == 1350  # 850 + 500: no second entry reward
    assert db.session.scalar(select(func.count()).select_from(TierEntryReward)) == 1
    assert len(events(person, "tier_reward")) == 1


def test_a_rank_passed_on_the_way_up_pays_its_entry_reward_too(app):
    brand = factories.brand()
    factories.rank(brand, "silver", 100, entry_points=10)
    factories.rank(brand, "gold", 500, entry_points=40)
    person = factories.user(brands=[brand])
    earn(person, brand, 600)
    assert wallet_of(person, brand).points_balance == 650
    keys = db.session.scalars(select(TierEntryReward.rank_key).order_by(TierEntryReward.rank_key))
    assert list(keys) == ["gold", "silver"]


def test_an_entry_reward_that_would_overflow_the_balance_pays_no_points(app):
    brand = factories.brand()
    factories.rank(brand, "gold", 500, entry_points=1000)
    person = factories.user(brands=[brand])
    wallet = wallet_of(person, brand)
    wallet.points_balance = 2**32 - 1 - 600
    db.session.get(User, person.id).points_balance = 2**32 - 1 - 600
    db.session.commit()
    earn(person, brand, 600)
    assert wallet_of(person, brand).points_balance == 2**32 - 1
    assert db.session.scalar(select(TierEntryReward.points)) == 0


# --- The rank page -----------------------------------------------------------------------------


def test_the_rank_page_says_what_keeps_the_rank_in_the_grace(app, client, auth):
    brand = program("rolling_12_months", grace_days=10)
    today = brand_today(brand)
    person = gold_member(brand, today, earned_days_ago=400)
    earn(person, brand, 120)
    run(brand, today)
    auth.login(person.email)

    html = client.get("/rank").get_data(as_text=True)
    keep_by = today + timedelta(days=9)
    assert f"Keep Gold: earn 380 more by {keep_by:%b} {keep_by.day}, {keep_by.year}" in html
    assert "120 points earned in the last 12 months" in html
    assert "From 500 points in the period" in html

    html = client.get("/rank", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Mantén Gold: gana 380 más antes del" in html


def test_the_rank_page_of_a_qualified_member_shows_the_period(app, client, auth):
    brand = program("calendar_year")
    person = factories.user(brands=[brand])
    earn(person, brand, 200)
    auth.login(person.email)
    html = client.get("/rank").get_data(as_text=True)
    assert "200 points earned this year" in html and "Keep Silver" not in html
    assert "300 points to Gold" in html


def test_a_lifetime_rank_page_is_unchanged(app, client, auth):
    brand = factories.brand()
    factories.rank(brand, "gold", 500)
    person = factories.user(brands=[brand])
    earn(person, brand, 100)
    auth.login(person.email)
    html = client.get("/rank").get_data(as_text=True)
    assert "From 500 lifetime points" in html and "400 points to Gold" in html
    assert "tier-standing" not in html


def test_frozen_clock_decides_the_period_of_the_ledger(app, monkeypatch):
    brand = program("calendar_year")
    person = factories.user(brands=[brand])
    today = brand_today(brand)
    earn(person, brand, 80, on=date(today.year - 1, 12, 20))
    earn(person, brand, 10)
    assert wallet_of(person, brand).current_rank_key == "member"  # this year holds 10
    # On 31 December of last year, the period is last year: its 80 points count.
    last_day = utcnow().replace(year=today.year - 1, month=12, day=31)
    monkeypatch.setattr(qualifying, "utcnow", lambda: last_day)
    earn(person, brand, 15)
    assert wallet_of(person, brand).current_rank_key == "silver"
    assert tier_standing(wallet_of(person, brand)).period_points == 105


# --- At once, on separate connections ---------------------------------------------------------


@pytest.mark.parametrize("qualifying_period", ["lifetime", "rolling_12_months"])
def test_two_grants_at_once_that_reach_gold_pay_its_entry_reward_once(app, qualifying_period):
    brand = factories.brand(settings={"tiers": {"qualifying": qualifying_period}})
    factories.rank(brand, "gold", 500, entry_points=250)
    person = factories.user(brands=[brand])
    earn(person, brand, 400)
    user_id, brand_id = person.id, brand.id

    def scan_sized_grant():
        return grant(lock_member(user_id, brand_id), 300, "product_scanned").new_rank_key

    assert sorted(run_together(app, [scan_sized_grant, scan_sized_grant])) == ["gold", "gold"]

    wallet = wallet_of(person, brand)
    assert (wallet.points_balance, wallet.current_rank_key) == (400 + 300 + 300 + 250, "gold")
    assert db.session.scalar(select(func.count()).select_from(TierEntryReward)) == 1
    paid = db.session.scalar(
        select(func.count())
        .select_from(UserActionLog)
        .where(UserActionLog.user_id == user_id, UserActionLog.action_type == "tier_reward")
    )
    assert paid == 1
    assert db.session.get(User, user_id).points_balance == 1250


def test_two_daily_runs_at_once_lower_a_rank_once(app):
    brand = program("rolling_12_months", grace_days=0)
    today = brand_today(brand)
    person = gold_member(brand, today, earned_days_ago=400)
    brand_id = brand.id

    def daily_run():
        return daily.program_daily(brand_id, today, force=True).total

    assert sum(run_together(app, [daily_run, daily_run])) == 1
    assert wallet_of(person, brand).current_rank_key == "silver"
    assert len(rank_moves(person, brand)) == 2  # up to Gold, then down once


def test_the_command_runs_a_day_as_of_a_date(app):
    brand = program("rolling_12_months", grace_days=3)
    brand.slug = "north-tiers"
    db.session.commit()
    today = brand_today(brand)
    person = gold_member(brand, today, earned_days_ago=400)
    runner = app.test_cli_runner()

    def run_day(day):
        args = ["program", "run-daily", "--brand", "north-tiers", "--as-of", day.isoformat()]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        return result.output

    other = "points_expired 0, points_expiring 0"
    assert f"1 changes ({other}, tiers 1, birthdays 0)" in run_day(today)  # grace begins
    assert f"0 changes ({other}, tiers 0, birthdays 0)" in run_day(today + timedelta(days=2))
    assert wallet_of(person, brand).current_rank_key == "gold"
    assert f"1 changes ({other}, tiers 1, birthdays 0)" in run_day(today + timedelta(days=3))
    assert wallet_of(person, brand).current_rank_key == "silver"


def test_a_period_programs_scan_adds_one_bounded_sum_whatever_the_history(app):
    def measured(history, qualifying_period="rolling_12_months"):
        brand = program(qualifying_period)
        product = factories.product(brand)
        warm_up = factories.user(brands=[brand])
        scan_code(warm_up.id, factories.scan_code(product).code, brand_id=brand.id)
        db.session.commit()
        person = factories.user(brands=[brand])
        add_history(person, product, history)
        code = factories.scan_code(product).code
        sent = statements_of(lambda: scan_code(person.id, code, brand_id=brand.id))
        db.session.commit()
        return sent

    lifetime = measured(0, "lifetime")
    fresh, veteran = measured(0), measured(2000)
    assert len(fresh) == len(veteran) == len(lifetime) + 1  # the period's sum
    [period_sum] = [s for s in veteran if "sum(" in s.lower()]
    assert "user_action_log.user_id" in period_sum and "action_type in" in period_sum.lower()
