"""Campaigns: time-boxed bonuses on scans, for the products and members they target.

A campaign is on from `starts_at` to `ends_at` (naive UTC; staff enter them on the brand's
clock). Within each kind of target (product form, line, strain type, tag, SKU; member rank,
AI segment) any listed value matches; every kind with values must match; a kind without
values matches everything. Campaigns do not stack: of those that apply to a scan, the one
that pays the most is paid (ties: the one ending first, then the oldest); when its per-member
cap or its budget leaves nothing, the next one is tried.

The bonus is its own ledger row (`campaign_bonus_awarded`), so it can be reported, capped and
budgeted apart from the scan. A budget is never overspent: `spend_budget` is one conditional
UPDATE, and a bonus that no longer fits whole in what is left is not paid (the next campaign
is tried). A per-member cap trims the bonus to what it leaves (points) or skips it (scans);
its count is read and written under the member's row lock, which serialises their scans.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from webapp.extensions import db
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.loyalty.earning import (
    EarningCount,
    campaign_bonus,
    scan_multiplier,
    scan_points,
    scan_settings,
    week_start,
)
from webapp.models import Campaign, MemberAiProfile
from webapp.timeutil import utcnow

# A campaign that ended longer ago than this is no longer read by scans.
ENDED_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class CampaignRule:
    """One campaign, detached from the session (cached per brand)."""

    id: int
    brand_id: int
    name: str
    starts_at: object
    ends_at: object
    multiplier: Decimal | None
    bonus_points: int
    forms: frozenset
    lines: frozenset
    strain_types: frozenset
    tags: frozenset
    skus: frozenset
    ranks: frozenset
    segments: frozenset
    cap_kind: str | None
    cap_period: str | None
    cap_amount: int | None
    budget_points: int | None
    first_day: object

    def is_on(self, now):
        """True from its start (included) to its end (excluded)."""
        return self.starts_at <= now < self.ends_at

    def fits_product(self, product):
        """True when the product is one the campaign targets."""
        checks = (
            (self.forms, {product.product_form}),
            (self.lines, {product.product_line}),
            (self.strain_types, {product.strain_type}),
            (self.tags, set(product.tags or ())),
            (self.skus, {product.sku}),
        )
        return all(not wanted or wanted & set(have) for wanted, have in checks)

    def fits_member(self, rank_key, segment):
        """True when a member of `rank_key` in AI segment `segment` is targeted."""
        return (not self.ranks or rank_key in self.ranks) and (
            not self.segments or segment in self.segments
        )


def _values(targets, kind):
    values = (targets or {}).get(kind) or ()
    return frozenset(str(value) for value in values if str(value).strip())


def rule_of(row, settings=None):
    """A campaign row as a CampaignRule."""
    settings = settings or scan_settings(row.brand_id)
    targets = row.targets if isinstance(row.targets, dict) else {}
    return CampaignRule(
        id=row.id,
        brand_id=row.brand_id,
        name=row.name,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        multiplier=row.multiplier,
        bonus_points=row.bonus_points or 0,
        forms=_values(targets, "forms"),
        lines=_values(targets, "lines"),
        strain_types=_values(targets, "strain_types"),
        tags=_values(targets, "tags"),
        skus=_values(targets, "skus"),
        ranks=_values(targets, "ranks"),
        segments=_values(targets, "segments"),
        cap_kind=row.cap_kind if row.cap_amount else None,
        cap_period=row.cap_period or "campaign",
        cap_amount=row.cap_amount,
        budget_points=row.budget_points,
        first_day=settings.local_day(row.starts_at),
    )


def _load_campaigns(brand_id):
    settings = scan_settings(brand_id)
    rows = db.session.scalars(
        select(Campaign)
        .where(Campaign.brand_id == brand_id, Campaign.ends_at > utcnow() - ENDED_KEPT)
        .order_by(Campaign.ends_at, Campaign.id)
    )
    return tuple(rule_of(row, settings) for row in rows)


_campaigns = ConfigCache(_load_campaigns)
invalidate_on_write(Campaign, _campaigns)


def campaigns_on(brand_id, now):
    """The brand's campaigns on at `now` (cached; no query on most scans)."""
    return tuple(rule for rule in _campaigns.get(brand_id) if rule.is_on(now))


@dataclass(frozen=True)
class Offer:
    """What one campaign would add to one scan, before caps and budget."""

    campaign: CampaignRule
    bonus: int
    multiplier: Decimal


def offers_for(brand_id, product, rank_step, boost, now, segment_of=lambda: None):
    """The campaigns on at `now` that target this product and member, best first, with what
    each adds; `segment_of()` reads the member's AI segment, only when a campaign needs it."""
    candidates = [c for c in campaigns_on(brand_id, now) if c.fits_product(product)]
    if not candidates:
        return []
    segment = segment_of() if any(c.segments for c in candidates) else None
    cap = scan_settings(brand_id).max_multiplier
    offers = []
    for rule in candidates:
        if not rule.fits_member(rank_step.key, segment):
            continue
        bonus, combined = campaign_bonus(
            product.points_award,
            rank_step.multiplier,
            boost,
            cap,
            rule.multiplier,
            rule.bonus_points,
        )
        if bonus > 0:
            offers.append(Offer(rule, bonus, combined))
    offers.sort(key=lambda offer: (-offer.bonus, offer.campaign.ends_at, offer.campaign.id))
    return offers


def campaigns_for_member(brand_id, rank_key, user_id, now):
    """The campaigns on now that this member's scans can earn (their rank and AI segment fit;
    the segment is read only when a campaign targets one), ending soonest first."""
    rules = campaigns_on(brand_id, now)
    segment = member_segment(user_id, brand_id) if any(r.segments for r in rules) else None
    return [rule for rule in rules if rule.fits_member(rank_key, segment)]


def member_segment(user_id, brand_id):
    """The AI segment the brand's workspace last sent for the member (None: none)."""
    return db.session.scalar(
        select(MemberAiProfile.recommended_segment).where(
            MemberAiProfile.user_id == user_id, MemberAiProfile.brand_id == brand_id
        )
    )


def period_start(rule, day):
    """The first brand-local day of the cap period holding `day`."""
    if rule.cap_period == "day":
        return day
    if rule.cap_period == "week":
        return week_start(day)
    return rule.first_day


def spend_budget(campaign_id, points):
    """Take `points` from the campaign's budget; False (nothing taken) when they do not fit.

    One conditional UPDATE: concurrent scans can never spend past the budget."""
    table = Campaign.__table__
    return bool(
        db.session.execute(
            update(table)
            .where(
                table.c.id == campaign_id, table.c.spent_points + points <= table.c.budget_points
            )
            .values(spent_points=table.c.spent_points + points)
        ).rowcount
    )


@dataclass(frozen=True)
class Paid:
    """The campaign bonus a scan pays."""

    campaign: CampaignRule
    points: int
    multiplier: Decimal
    trimmed_from: int | None = None


def pay_offer(member, offers, now, room=None):
    """(the first offer its member cap and budget allow, counted and spent, or None; the bonus
    points the brand's earning cap withheld). `room` is what that cap still allows (None: no
    cap)."""
    day = scan_settings(member.brand_id).local_day(now)
    withheld = None
    for offer in offers:
        rule, points = offer.campaign, offer.bonus
        count = None
        if rule.cap_kind:
            count = EarningCount(member, f"campaign:{rule.id}", period_start(rule, day))
            if rule.cap_kind == "scans":
                points = points if count.scans < rule.cap_amount else 0
            else:
                points = min(points, max(0, rule.cap_amount - count.points))
        cut = 0 if room is None else max(0, points - room)
        points -= cut
        if points <= 0:
            withheld = cut if withheld is None and cut else withheld
            continue
        if rule.budget_points is not None and not spend_budget(rule.id, points):
            continue
        if count is not None:
            count.add(points)
        trimmed = offer.bonus if points < offer.bonus else None
        return Paid(rule, points, offer.multiplier, trimmed), cut
    return None, withheld or 0


@dataclass(frozen=True)
class Preview:
    """What one scan would earn: the scan row, the campaign bonus, and their sum."""

    scan_points: int
    bonus: int
    total: int


def preview(rule, product, rank_step, boost=Decimal(1)):
    """What a member of `rank_step` scanning `product` earns under `rule` alone, before any
    per-member cap, budget or earning cap: the scan's own arithmetic (`campaign_bonus`)."""
    cap = scan_settings(rule.brand_id).max_multiplier
    own = scan_points(product.points_award, scan_multiplier(rank_step.multiplier, boost, cap))
    # A campaign aimed at AI segments is previewed for a member of one of them.
    segment = min(rule.segments) if rule.segments else None
    bonus = 0
    if rule.fits_product(product) and rule.fits_member(rank_step.key, segment):
        bonus, _ = campaign_bonus(
            product.points_award,
            rank_step.multiplier,
            boost,
            cap,
            rule.multiplier,
            rule.bonus_points,
        )
    return Preview(own, bonus, own + bonus)
