"""Scanning a package: claim its code, award the points, and everything a scan sets off.

One transaction: lock the member -> claim (conditional UPDATE) -> points at the rank
multiplier held before the scan times active boosts -> `product_scanned` logged and recorded
-> a pending referral converted -> achievements evaluated; the caller commits.
"""

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from webapp.brand_settings import settings_of
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.achievement_engine import AchievementState, evaluate_achievements
from webapp.loyalty.codes import claim_code, code_status, normalize_code, product_for_code
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.loyalty.jurisdictions import RegionNeeded, RegionProblem, earning_problem, member_rule
from webapp.loyalty.ledger import PointsLimitExceeded, grant, lock_member, log_action
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.qualifying import held_rank, tier_policy
from webapp.loyalty.ranks import MEMBER_RANK_KEY, ladder, rank_for
from webapp.loyalty.referrals import convert_on_first_scan
from webapp.loyalty.scan_limits import bad_codes_allowed, record_bad_code
from webapp.models import Brand
from webapp.timeutil import utcnow
from webapp.translation_marks import N_, Phrase

MESSAGES = {
    "unknown": N_("We couldn't find that code. Check the letters on the pack and try again."),
    "voided": N_("This code is no longer valid. Please contact the store where you bought it."),
    "already_yours": N_("You already claimed this code. Your points are in your balance."),
    "already_claimed": N_("This code has already been claimed by someone else."),
    "wrong_brand": N_("This code belongs to another brand's program."),
    "rate_limited": N_("Too many codes didn't work. Please wait a minute and try again."),
    "not_member": N_("Join this program first to collect points here."),
    "points_limit": N_(
        "This scan would take your balance past the most points an account can "
        "hold. The code is still yours to claim: please contact the brand."
    ),
    "region_needed": RegionNeeded().args[0],
}
# A code claimed where the member's region lets it earn nothing; `reason` says why.
CLAIMED_WITHOUT_POINTS = N_("Code claimed for %(product)s. %(reason)s")
# Outcomes that count against the bad-code allowance (scanning your own code twice does not).
BAD_OUTCOMES = ("unknown", "voided", "already_claimed", "wrong_brand")


@dataclass
class ScanResult:
    """What a scan did, for the portal to show."""

    outcome: str
    points: int = 0
    balance: int | None = None
    product: object = None
    rank_changed: bool = False
    new_rank_name: str | None = None
    unlocked: list = field(default_factory=list)
    message: str = ""


@dataclass
class CodePreview:
    """What an anonymous visitor of /s/<code> sees: the product and the points waiting."""

    outcome: str
    product: object = None
    points: int = 0
    message: str = ""


def scan_code(user_id, raw_code, *, brand_id, ip_address=None, user_agent=None):
    """Claim `raw_code` for the member in `brand_id` and award its points (the caller commits)."""
    code = normalize_code(raw_code)
    if not bad_codes_allowed(brand_id, user_id, ip_address):
        return ScanResult("rate_limited", message=MESSAGES["rate_limited"])
    # The member row is locked before the claim: the claim's foreign key check would take a
    # shared lock on it, and two scans of one member upgrading that lock would deadlock.
    try:
        member = lock_member(user_id, brand_id)
    except NotAMember as not_member:
        return ScanResult("not_member", message=str(not_member))
    try:
        no_earning = _no_earning_reason(member)
    except RegionNeeded:
        return ScanResult("region_needed", message=MESSAGES["region_needed"])
    awarded = _claim_and_award(member, code, ip_address, user_agent, no_earning) if code else None
    if awarded is not None:
        return awarded
    outcome = code_status(code, user_id, brand_id) if code else "unknown"
    if outcome in BAD_OUTCOMES:
        record_bad_code(brand_id, user_id, ip_address)
    return ScanResult(outcome, message=MESSAGES[outcome])


def _no_earning_reason(member):
    """Why this member's scans earn nothing where they live, or None; RegionNeeded when the
    brand must first ask where they live."""
    try:
        rule = member_rule(member)
    except RegionNeeded:
        raise
    except RegionProblem as outside:
        return outside.message
    return earning_problem(rule, member.wallet)


def _record_without_points(member, code, product, reason, ip_address, user_agent):
    """The code is claimed and the scan logged, with 0 points: the member's region forbids
    earning (nothing that pays points, a referral or an achievement, runs)."""
    user, brand_id = member.user, member.brand_id
    log_action(
        user,
        "product_scanned",
        brand_id=brand_id,
        product_id=product.id,
        action_data={
            "code": code,
            "base_points": product.points_award,
            "earning_blocked": str(reason),
        },
        ip_address=ip_address,
        user_agent=user_agent,
    )
    record_event(
        user,
        "product_scanned",
        brand_id=brand_id,
        product=product,
        context={"points_awarded": 0, "earning_allowed": False, "scan_code": code},
    )
    return ScanResult(
        "no_earning",
        points=0,
        balance=member.wallet.points_balance,
        product=product,
        message=Phrase(CLAIMED_WITHOUT_POINTS, product=product.name, reason=reason),
    )


class _NothingClaimed(Exception):
    """The code was not claimed for this brand: its savepoint is undone."""


def _claim_and_award(member, code, ip_address, user_agent, no_earning=None):
    """The scan's award (or its refusal at the points limit) in a savepoint; None, with the
    savepoint undone, when nothing was claimed or the code is another brand's. Where the
    member's region forbids earning (`no_earning` says why), the code is claimed for 0 points."""
    now = utcnow()
    try:
        with db.session.begin_nested():
            product = _claimed_product(code, member, now)
            if no_earning:
                where = (ip_address, user_agent)
                return _record_without_points(member, code, product, no_earning, *where)
            return _award(member, code, product, ip_address, user_agent, now)
    except PointsLimitExceeded:  # the claim is undone too: nothing of this scan is kept
        return ScanResult("points_limit", message=MESSAGES["points_limit"])
    except _NothingClaimed:
        return None


def _claimed_product(code, member, now):
    """The product of the code just claimed for the member's brand; else _NothingClaimed."""
    if not claim_code(code, member.user.id, now):
        raise _NothingClaimed
    product = product_for_code(code)
    if product.brand_id != member.brand_id:
        raise _NothingClaimed
    return product


def max_multiplier(brand_id):
    """The most one scan multiplies its product's points by, at this brand (cached)."""
    return _multiplier_caps.get(brand_id)


def _load_multiplier_cap(brand_id):
    return settings_of(db.session.get(Brand, brand_id)).scan.max_multiplier


_multiplier_caps = ConfigCache(_load_multiplier_cap)
invalidate_on_write(Brand, _multiplier_caps, key_of=lambda row: row.id)


def scan_points(points_award, multiplier):
    """floor(points_award x multiplier), exactly."""
    return int((Decimal(points_award) * multiplier).to_integral_value(ROUND_FLOOR))


def _award(member, code, product, ip_address, user_agent, now):
    user, wallet, brand_id = member.user, member.wallet, member.brand_id
    steps = ladder(brand_id)
    rank_key_before = wallet.current_rank_key or MEMBER_RANK_KEY
    state = AchievementState.load(user.id)
    policy = tier_policy(brand_id)  # the rank held: of lifetime points, or the wallet's
    if policy.is_lifetime:
        multiplier = rank_for(steps, wallet.lifetime_points).multiplier
    else:
        multiplier = held_rank(steps, wallet, policy).multiplier
    multiplier = min(multiplier * state.boost(brand_id, now), max_multiplier(brand_id))
    points = scan_points(product.points_award, multiplier)
    action_data = {"code": code, "base_points": product.points_award, "multiplier": str(multiplier)}
    grant(
        member,
        points,
        "product_scanned",
        product_id=product.id,
        action_data=action_data,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    record_event(
        user,
        "product_scanned",
        brand_id=brand_id,
        product=product,
        context={"points_awarded": points, "multiplier": str(multiplier), "scan_code": code},
    )
    convert_on_first_scan(member)
    unlocks = evaluate_achievements(member, state=state, now=now)
    # The ledger kept the wallet's rank current through every grant of this scan.
    rank_key_after = wallet.current_rank_key or MEMBER_RANK_KEY
    new_rank_name = (
        next(step.name for step in steps if step.key == rank_key_after)
        if rank_key_after != rank_key_before
        else None
    )
    return ScanResult(
        "awarded",
        points=points,
        balance=wallet.points_balance,
        product=product,
        rank_changed=new_rank_name is not None,
        new_rank_name=new_rank_name,
        unlocked=unlocks,
        message=_award_message(points, product, unlocks, new_rank_name),
    )


def _award_message(points, product, unlocks, new_rank_name):
    parts = [f"You earned {points:,} points for {product.name}."]
    if new_rank_name:
        parts.append(f"Welcome to {new_rank_name}!")
    if unlocks:
        parts.append("Unlocked: " + ", ".join(u.name for u in unlocks) + ".")
    return " ".join(parts)


def preview_code(raw_code, brand_id, *, user_id=None, ip_address=None):
    """The product and points behind a code, without claiming it, as the visitor `user_id`
    (None: signed out) would find it: already_yours for a member's own claimed code.

    A signed-out visitor's unknown codes count against the IP's bad-code allowance, so
    guessing codes here is limited like scanning them; a member's bad codes are counted by
    `scan_code` when they claim, never again by the page that shows the refusal.
    """
    code = normalize_code(raw_code)
    if not bad_codes_allowed(brand_id, user_id, ip_address):
        return CodePreview("rate_limited", message=MESSAGES["rate_limited"])
    outcome = code_status(code, user_id, brand_id) if code else "unknown"
    if outcome in ("unknown", "wrong_brand"):
        if user_id is None:
            record_bad_code(brand_id, None, ip_address)
        return CodePreview(outcome, message=MESSAGES[outcome])
    product = product_for_code(code)
    points = scan_points(product.points_award, ladder(brand_id)[0].multiplier)
    if outcome != "available":
        return CodePreview(outcome, product, points, MESSAGES[outcome])
    return CodePreview(
        "available", product, points, f"Join to claim {points:,} points for {product.name}."
    )
