"""Changing a brand's regional rules: one rule at a time (admin) or a whole set from a JSON
file (`flask brands load-rules`, seed-demo), validated with pydantic. Not committed here."""

import json
import re
from pathlib import Path

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import JurisdictionRule

EXAMPLES_FILE = Path(__file__).with_name("jurisdiction_examples.json")
EXAMPLES_NOTICE = "Examples — confirm with counsel"
REGION_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


class RulesError(ValueError):
    """A rule or rules file that can't be used; the message says what to fix."""


class RuleInput(BaseModel):
    """One region's rule, as a file or the admin form gives it."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="ISO 3166-2 code, e.g. US-CA")
    name: str = Field(min_length=1, max_length=100)
    min_age: int = Field(21, ge=18, le=25)
    registration_allowed: bool = True
    earning_allowed: bool = True
    redemption_allowed: bool = True
    physical_rewards_allowed: bool = True
    referral_bonuses_allowed: bool = True
    medical_only: bool = False

    @field_validator("region")
    @classmethod
    def iso_region(cls, value):
        """An ISO 3166-2 code (country + subdivision) of a real country."""
        value = value.strip().upper()
        if not REGION_PATTERN.match(value):
            raise ValueError("must be an ISO 3166-2 code such as US-CA or CA-AB")
        if phonenumbers.country_code_for_region(value[:2]) == 0:
            raise ValueError(f"{value[:2]} is not a country code")
        return value


class RulesFile(BaseModel):
    """A rules file: an optional notice and a list of rules, one per region."""

    model_config = ConfigDict(extra="forbid")

    notice: str | None = None
    rules: list[RuleInput] = Field(min_length=1, max_length=500)

    @field_validator("rules")
    @classmethod
    def one_rule_per_region(cls, rules):
        """Each region appears once."""
        seen = set()
        for rule in rules:
            if rule.region in seen:
                raise ValueError(f"{rule.region} appears more than once")
            seen.add(rule.region)
        return rules


def _explain(error):
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "file"
        lines.append(f"{where}: {item['msg']}")
    return "; ".join(lines[:10])


def parse_rules(text):
    """The rules in a JSON text; RulesError with the place and reason of every problem."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RulesError(f"not valid JSON: {error}") from None
    try:
        return RulesFile.model_validate(data).rules
    except ValidationError as error:
        raise RulesError(_explain(error)) from None


def example_rules():
    """The shipped example rules for US states and Canadian provinces."""
    return parse_rules(EXAMPLES_FILE.read_text(encoding="utf-8"))


def check_rule(values):
    """One rule from a dict of form values; RulesError when it can't be used."""
    try:
        return RuleInput.model_validate(values)
    except ValidationError as error:
        raise RulesError(_explain(error)) from None


def replace_rules(brand_id, rules):
    """The brand's rules become exactly `rules` (flushed, not committed)."""
    db.session.execute(delete(JurisdictionRule).where(JurisdictionRule.brand_id == brand_id))
    rows = [JurisdictionRule(brand_id=brand_id, **rule.model_dump()) for rule in rules]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def save_rule(brand_id, rule, rule_id=None):
    """Add a rule, or change the brand's rule `rule_id`; RulesError when the region is taken."""
    clash = db.session.scalar(
        select(JurisdictionRule).where(
            JurisdictionRule.brand_id == brand_id, JurisdictionRule.region == rule.region
        )
    )
    if clash is not None and clash.id != rule_id:
        raise RulesError(f"{rule.region} already has a rule. Edit that one instead.")
    row = db.session.get(JurisdictionRule, rule_id) if rule_id else JurisdictionRule()
    if row is None or (rule_id and row.brand_id != brand_id):
        raise RulesError("That rule no longer exists.")
    row.brand_id = brand_id
    for key, value in rule.model_dump().items():
        setattr(row, key, value)
    db.session.add(row)
    db.session.flush()
    return row


def remove_rule(brand_id, rule_id):
    """Delete the brand's rule `rule_id`; the region it named (None when it was not theirs)."""
    row = db.session.get(JurisdictionRule, rule_id)
    if row is None or row.brand_id != brand_id:
        return None
    db.session.delete(row)
    db.session.flush()
    return row.region
