"""The JSON parts of an achievement: what is accepted, how it is cleaned, what a manager reads."""

import pytest

from webapp.loyalty.achievement_schemas import validate_achievement_config

pytestmark = pytest.mark.sqlite_ok


def parts(**changes):
    base = {
        "achievement_type": "scan_count",
        "criteria": {"metric": "scan_count", "operator": ">=", "value": 5},
        "rewards": {"points": 100},
    }
    base.update(changes)
    return base


def test_a_minimal_config_is_completed_with_defaults():
    cleaned, errors = validate_achievement_config(parts())
    assert errors == {}
    assert cleaned["criteria"] == {
        "metric": "scan_count",
        "operator": ">=",
        "value": 5,
        "timeframe": "all_time",
    }
    assert cleaned["rewards"] == {"points": 100, "exclusive_access": False}
    assert cleaned["visibility"] == {
        "active": True,
        "show_progress": True,
        "priority": 0,
        "hidden_until_unlocked": False,
    }
    assert cleaned["ai_enhancement"] == {}
    assert cleaned["metadata"] == {"category": "general", "rarity": "common", "tags": []}


def test_a_full_config_round_trips():
    full = parts(
        achievement_type="purchase_amount",
        criteria={
            "operator": ">",
            "value": 249.99,
            "timeframe": "30d",
            "filters": {
                "product_form": "Vape",
                "product_line": "Gold",
                "strain_type": "Indica",
                "tag": "limited",
            },
        },
        rewards={
            "points": 500,
            "multiplier": 1.5,
            "multiplier_days": 7,
            "badge": "big-spender",
            "exclusive_access": True,
        },
        visibility={"active": True, "show_progress": False, "priority": 5},
        ai_enhancement={
            "segments": ["vip", "lapsed"],
            "min_churn_probability": 0.2,
            "max_churn_probability": 0.8,
            "bonus_multiplier": 1.25,
        },
        metadata={"category": "spending", "rarity": "legendary", "tags": ["summer"]},
    )
    cleaned, errors = validate_achievement_config(full)
    assert errors == {}
    assert cleaned["criteria"]["metric"] == "purchase_amount"  # defaults to the type
    assert cleaned["criteria"]["value"] == 249.99
    assert cleaned["rewards"]["multiplier"] == 1.5
    assert cleaned["ai_enhancement"]["bonus_multiplier"] == 1.25
    again, errors = validate_achievement_config(cleaned)
    assert (again, errors) == (cleaned, {})


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"criteria": {"value": 5, "operator": "=>"}}, "criteria.operator", ">=, >, ==, <= or <"),
        ({"criteria": {"value": "five"}}, "criteria.value", "Enter a number."),
        ({"criteria": {"value": -1}}, "criteria.value", "at least 0"),
        ({"criteria": {"value": 5, "timeframe": "1y"}}, "criteria.timeframe", "all_time, 24h"),
        ({"criteria": {"operator": ">="}}, "criteria", "Enter the number to reach"),
        (
            {"criteria": {"value": 5, "filters": {"strain_type": "Ruderalis"}}},
            "criteria.filters.strain_type",
            "Sativa, Indica or Hybrid",
        ),
        (
            {"criteria": {"value": 5, "filters": {"colour": "green"}}},
            "criteria.filters.colour",
            "not known here",
        ),
        ({"criteria": {"metric": "referral_count", "value": 1}}, "criteria", "does not match"),
        ({"rewards": {}}, "rewards.points", "This is required."),
        ({"rewards": {"points": 1.5}}, "rewards.points", "whole number"),
        ({"rewards": {"points": 5, "multiplier": 2}}, "rewards", "multiplier and its days"),
        (
            {"rewards": {"points": 5, "multiplier": 1.234, "multiplier_days": 3}},
            "rewards.multiplier",
            "at most 2 decimals",
        ),
        (
            {"rewards": {"points": 5, "multiplier": 11, "multiplier_days": 3}},
            "rewards.multiplier",
            "at most 10",
        ),
        ({"visibility": "yes"}, "visibility", "set of settings"),
        ({"visibility": {"priority": "high"}}, "visibility.priority", "whole number"),
        (
            {"ai_enhancement": {"min_churn_probability": 0.9, "max_churn_probability": 0.1}},
            "ai_enhancement",
            "above the maximum",
        ),
        ({"ai_enhancement": {"segments": []}}, "ai_enhancement.segments", "at least one"),
        ({"ai_enhancement": {"bonus_multiplier": 0.5}}, "ai_enhancement.bonus_multiplier", "1"),
        ({"metadata": {"rarity": "mythic"}}, "metadata.rarity", "common, uncommon, rare"),
        ({"metadata": {"category": ""}}, "metadata.category", "cannot be empty"),
        ({"achievement_type": "streak"}, "achievement_type", "scan_count, purchase_amount"),
    ],
)
def test_mistakes_get_a_message_on_their_field(changes, field, message):
    cleaned, errors = validate_achievement_config(parts(**changes))
    assert cleaned is None
    assert message in errors[field], errors


def test_filters_only_where_products_are_counted():
    _cleaned, errors = validate_achievement_config(
        parts(
            achievement_type="referral_count",
            criteria={"value": 3, "filters": {"tag": "x"}},
        )
    )
    assert errors == {
        "criteria": "Product filters only apply to scans, purchase amount and wishlist items."
    }


def test_custom_achievements_need_no_value():
    cleaned, errors = validate_achievement_config(
        {"achievement_type": "custom", "criteria": {}, "rewards": {"points": 10}}
    )
    assert errors == {}
    assert cleaned["criteria"] == {"metric": "custom", "operator": ">=", "timeframe": "all_time"}


def test_everything_missing_says_what_is_required():
    assert validate_achievement_config({}) == (
        None,
        {
            "achievement_type": "This is required.",
            "criteria": "This is required.",
            "rewards": "This is required.",
        },
    )
