"""Where a member lives decides what the program may do: each brand's rules per region.

A brand's regions are the rows of `jurisdiction_rules` it has. A brand without rules runs
everywhere with its own minimum age. A brand with one region implies it; a brand with more
asks the member. A region the brand has no rule for is outside its program.
"""

from dataclasses import dataclass

from sqlalchemy import select

from webapp.brand_settings import DEFAULTS, settings_of
from webapp.extensions import db
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.models import Brand, JurisdictionRule
from webapp.translation_marks import N_, Phrase

DEFAULT_MIN_AGE = DEFAULTS.min_age
FLAGS = (
    "registration_allowed",
    "earning_allowed",
    "redemption_allowed",
    "physical_rewards_allowed",
    "referral_bonuses_allowed",
    "medical_only",
)
# Why a region's member earns nothing, or may not redeem (filled with the region's name).
EARNING_FORBIDDEN = N_("Points can't be earned in %(region)s, so this scan adds no points.")
EARNING_NOT_OFFERED = N_("The program isn't offered in %(region)s, so this scan adds no points.")
EARNING_MEDICAL_ONLY = N_(
    "In %(region)s the program is for registered medical patients only. Confirm your patient "
    "registration in your profile to earn points."
)
REDEEMING_FORBIDDEN = N_("Rewards can't be redeemed in %(region)s.")
REDEEMING_NOT_OFFERED = N_("The program isn't offered in %(region)s.")
REDEEMING_MEDICAL_ONLY = N_(
    "In %(region)s rewards are for registered medical patients only. Confirm your patient "
    "registration in your profile first."
)
PHYSICAL_FORBIDDEN = N_("Physical rewards can't be sent to members in %(region)s.")
# Rewards tagged "digital" (or of product form "Digital") are not shipped goods.
DIGITAL_TAG = "digital"


@dataclass(frozen=True)
class Rule:
    """What the program may do in one region (detached from any session, so cacheable)."""

    region: str | None
    name: str
    min_age: int
    registration_allowed: bool = True
    earning_allowed: bool = True
    redemption_allowed: bool = True
    physical_rewards_allowed: bool = True
    referral_bonuses_allowed: bool = True
    medical_only: bool = False


class RegionProblem(Exception):
    """The program may not do this where the member lives; the message says why."""

    @property
    def message(self):
        """Why (a marked message or a `Phrase`, for the portal to translate)."""
        return self.args[0]


class RegionNeeded(RegionProblem):
    """The brand runs in several regions and the member has not said where they live."""

    def __init__(self):
        super().__init__(N_("Tell us where you live first: what the program offers depends on it."))


def brand_min_age(brand):
    """The brand's own minimum age (settings.min_age, default 21)."""
    return settings_of(brand).min_age


def _load_rules(brand_id):
    rows = db.session.scalars(
        select(JurisdictionRule)
        .where(JurisdictionRule.brand_id == brand_id)
        .order_by(JurisdictionRule.region)
    )
    return tuple(
        Rule(
            row.region, row.name, row.min_age, **{flag: bool(getattr(row, flag)) for flag in FLAGS}
        )
        for row in rows
    )


_rules = ConfigCache(_load_rules)
invalidate_on_write(JurisdictionRule, _rules)


def brand_rules(brand_id):
    """The brand's rules, one per region, ordered by region code (cached)."""
    return _rules.get(brand_id)


def operating_regions(brand_id):
    """The (region, name) pairs the brand runs its program in."""
    return [(rule.region, rule.name) for rule in brand_rules(brand_id)]


def asks_region(brand_id):
    """True when the brand runs in more than one region, so members say where they live."""
    return len(brand_rules(brand_id)) > 1


def implied_region(brand_id):
    """The brand's one region, when it has exactly one."""
    rules = brand_rules(brand_id)
    return rules[0].region if len(rules) == 1 else None


def everywhere_rule(brand):
    """The rule of a brand without regional rules: everything allowed, its own minimum age."""
    return Rule(None, "Everywhere", brand_min_age(brand))


def _rule_in(rules, region):
    """The rule of `region` among `rules` (the only one when `region` is unknown), else None;
    RegionNeeded when there are several and `region` is unknown."""
    if region is None:
        if len(rules) == 1:
            return rules[0]
        raise RegionNeeded()
    return next((rule for rule in rules if rule.region == region), None)


def _not_offered(brand):
    return RegionProblem(
        Phrase(N_("Sorry, %(brand)s Rewards is not offered where you live."), brand=brand.name)
    )


def rule_for(brand, region):
    """The brand's rule for `region`; RegionProblem when the region is outside the program,
    RegionNeeded when the brand must ask and `region` is unknown."""
    rules = brand_rules(brand.id)
    if not rules:
        return everywhere_rule(brand)
    rule = _rule_in(rules, region)
    if rule is None:
        raise _not_offered(brand)
    return rule


def registration_rule(brand, region):
    """The rule a sign-up from `region` is checked against; RegionProblem when refused."""
    rule = rule_for(brand, region)
    if not rule.registration_allowed:
        raise RegionProblem(
            Phrase(
                N_(
                    "Sorry, %(brand)s Rewards can't accept members in %(region)s at the "
                    "moment. Thank you for your interest."
                ),
                brand=brand.name,
                region=rule.name,
            )
        )
    return rule


# What a member of a brand without regional rules may do: everything (their age was checked
# against the brand's own minimum when they joined).
EVERYWHERE = Rule(None, "Everywhere", DEFAULT_MIN_AGE)


def member_rule(member):
    """The rule for a locked member (their wallet's region at its brand), from the cached
    rules; the brand is read only to name it in a refusal."""
    rules = brand_rules(member.brand_id)
    if not rules:
        return EVERYWHERE
    rule = _rule_in(rules, member.wallet.region)
    if rule is None:
        raise _not_offered(db.session.get(Brand, member.brand_id))
    return rule


def earning_problem(rule, wallet):
    """Why scans earn nothing for this member, or None when they earn."""
    if not rule.earning_allowed:
        return Phrase(EARNING_FORBIDDEN, region=rule.name)
    if not rule.registration_allowed:
        return Phrase(EARNING_NOT_OFFERED, region=rule.name)
    if rule.medical_only and wallet.medical_attested_at is None:
        return Phrase(EARNING_MEDICAL_ONLY, region=rule.name)
    return None


def is_physical(product):
    """True when the reward is a shipped good (anything not tagged or formed as digital)."""
    tags = [str(tag).lower() for tag in (product.tags or []) if isinstance(tag, str)]
    return DIGITAL_TAG not in tags and (product.product_form or "").lower() != DIGITAL_TAG


def check_redemption(rule, wallet, product):
    """RegionProblem, with the reason, when this member may not redeem this reward."""
    if not rule.redemption_allowed:
        raise RegionProblem(Phrase(REDEEMING_FORBIDDEN, region=rule.name))
    if not rule.registration_allowed:
        raise RegionProblem(Phrase(REDEEMING_NOT_OFFERED, region=rule.name))
    if rule.medical_only and wallet.medical_attested_at is None:
        raise RegionProblem(Phrase(REDEEMING_MEDICAL_ONLY, region=rule.name))
    if not rule.physical_rewards_allowed and is_physical(product):
        raise RegionProblem(Phrase(PHYSICAL_FORBIDDEN, region=rule.name))


def referral_bonus_allowed(brand, wallet):
    """True when the member's region lets referral bonuses be paid to them."""
    try:
        rule = rule_for(brand, wallet.region)
    except RegionProblem:
        return False
    return rule.referral_bonuses_allowed and earning_problem(rule, wallet) is None
