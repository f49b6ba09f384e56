"""Scanning a package: claim its code, award the points, and everything a scan sets off.

One transaction: lock the member -> claim (conditional UPDATE) -> points at the rank
multiplier held before the scan times active boosts -> the brand's daily earning caps ->
`product_scanned` logged and recorded -> the best campaign's bonus (`campaign_bonus_awarded`,
within its per-member cap and budget) -> a pending referral converted -> achievements
evaluated; the caller commits.

Earning caps (`BrandSettings.earning_caps`, on the brand's day): a scan over the scans cap
claims its code for 0 points, one over the points cap earns what the cap leaves (the scan's
own points first, then the campaign bonus); the result says so and the scan row's
action_data keeps what was withheld.
"""

from contextlib import nullcontext
from dataclasses import dataclass, field

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.achievement_engine import AchievementState, evaluate_achievements
from webapp.loyalty.campaigns import member_segment, offers_for, pay_offer
from webapp.loyalty.codes import claim_code, code_status, normalize_code, product_for_code
from webapp.loyalty.earning import earning_cap, scan_multiplier, scan_points, scan_settings
from webapp.loyalty.jurisdictions import RegionNeeded, RegionProblem, earning_problem, member_rule
from webapp.loyalty.ledger import (
    PointsLimitExceeded,
    grant,
    lock_member,
    log_action,
    settled_once,
    write_settled,
)
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.ranks import MEMBER_RANK_KEY, ladder, stored_rank
from webapp.loyalty.referrals import convert_on_first_scan
from webapp.loyalty.scan_limits import bad_codes_allowed, code_lookup_allowed, record_bad_code
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
# A scan the brand's daily earning caps trimmed (or zeroed).
SCANS_CAP_REACHED = N_(
    "You reached today's limit of %(limit)s scans: the code is yours, for 0 points today."
)
POINTS_CAP_REACHED = N_(
    "You reached today's earning limit of %(limit)s points: this scan earned %(points)s "
    "of its %(full)s points."
)
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
    # The campaign bonus included in `points` ("Double points weekend: +150").
    campaign_name: str | None = None
    campaign_points: int = 0
    # Why the brand's earning caps trimmed the scan (a Phrase), or None.
    cap_note: str | None = None
    # A scan `alone` in its transaction that must keep nothing: its caller rolls it back.
    discard: bool = False


@dataclass
class CodePreview:
    """What an anonymous visitor of /s/<code> sees: the product and the points waiting."""

    outcome: str
    product: object = None
    points: int = 0
    message: str = ""


def scan_code(
    user_id, raw_code, *, brand_id, ip_address=None, user_agent=None, now=None, alone=False
):
    """Claim `raw_code` for the member in `brand_id` and award its points (the caller commits);
    `now` (a naive UTC datetime, default: the clock) decides campaigns and capped days.

    `alone`: the scan is all the caller's transaction holds (the scan views), so a scan
    refused at the points limit says `discard` (its caller rolls the transaction back)
    instead of undoing a savepoint: two round trips fewer per scan. Otherwise (a scan inside
    a sign-in) a savepoint keeps what came before."""
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
    where = (ip_address, user_agent)
    awarded = _claim_and_award(member, code, where, no_earning, now, alone) if code else None
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
    """The code was not claimed for this brand (nothing was written)."""


def _claim_and_award(member, code, where, no_earning=None, now=None, alone=False):
    """The scan's award, or its refusal at the points limit with nothing of it kept; None
    when nothing was claimed or the code is another brand's. Where the member's region
    forbids earning (`no_earning` says why), the code is claimed for 0 points. `where` is
    (ip_address, user_agent); `alone` as in `scan_code`."""
    now = now or utcnow()
    try:
        with nullcontext() if alone else db.session.begin_nested():
            product = _claimed_product(code, member, now)
            if no_earning:
                return _record_without_points(member, code, product, no_earning, *where)
            return _award(member, code, product, *where, now)
    except PointsLimitExceeded:  # the claim is undone too: nothing of this scan is kept
        return ScanResult("points_limit", message=MESSAGES["points_limit"], discard=alone)
    except _NothingClaimed:
        return None


def _claimed_product(code, member, now):
    """The product of the code, claimed now for the member; _NothingClaimed (nothing written)
    when it is unknown, another brand's, voided or claimed already."""
    product = product_for_code(code)
    if product is None or product.brand_id != member.brand_id:
        raise _NothingClaimed
    if not claim_code(code, member.user.id, now):
        raise _NothingClaimed
    return product


def max_multiplier(brand_id):
    """The most one scan multiplies its product's points by, at this brand (cached)."""
    return scan_settings(brand_id).max_multiplier


def _award(member, code, product, ip_address, user_agent, now):
    user, wallet, brand_id = member.user, member.wallet, member.brand_id
    steps = ladder(brand_id)
    rank_key_before = wallet.current_rank_key or MEMBER_RANK_KEY
    state = AchievementState.load(user.id)
    # The rank the member holds before this scan's points: the ledger moves it after them.
    rank_step = stored_rank(steps, wallet)
    boost = state.boost(brand_id, now)
    settings = scan_settings(brand_id)
    multiplier = scan_multiplier(rank_step.multiplier, boost, settings.max_multiplier)
    full_points = scan_points(product.points_award, multiplier)
    offers = offers_for(
        brand_id, product, rank_step, boost, now, lambda: member_segment(user.id, brand_id)
    )
    cap = earning_cap(member, settings, now)
    points, room = _within_earning_cap(cap, full_points)
    action_data = {"code": code, "base_points": product.points_award, "multiplier": str(multiplier)}
    # One flush and one read of the goals for the scan, its bonus and what it unlocks.
    with settled_once(member):
        # The budget is spent first: no statement comes between the two grants' changes.
        paid, bonus_withheld = pay_offer(member, offers, now, room)
        entry = grant(
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
        if paid is not None:
            _grant_campaign_bonus(member, paid, code, product, ip_address, user_agent)
        bonus = paid.points if paid else 0
        cap_note = None
        if cap is not None:
            scans_capped = cap.scans_left == 0
            cap.count.add(points + bonus)
            withheld = full_points - points + bonus_withheld
            if withheld:
                cap_note, entry.log.action_data = _cap_note(
                    cap, scans_capped, points + bonus, withheld, action_data
                )
        convert_on_first_scan(member)
        write_settled(member)  # the ledger as the achievements measure it
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
        points=points + bonus,
        balance=wallet.points_balance,
        product=product,
        rank_changed=new_rank_name is not None,
        new_rank_name=new_rank_name,
        unlocked=unlocks,
        message=_award_message(points + bonus, product, unlocks, new_rank_name, paid, cap_note),
        campaign_name=paid.campaign.name if paid else None,
        campaign_points=bonus,
        cap_note=cap_note,
    )


def _within_earning_cap(cap, full_points):
    """(the scan row's points, the room left for a campaign bonus, None: no cap) under the
    brand's daily earning caps."""
    if cap is None:
        return full_points, None
    if cap.scans_left == 0:
        return 0, 0
    room = cap.points_left
    if room is None:
        return full_points, None
    points = min(full_points, room)
    return points, room - points


def _cap_note(cap, scans_capped, earned, withheld, action_data):
    """(what the member reads, the scan row's action_data with `capped`) when the brand's
    earning caps (its scans cap, when `scans_capped`) withheld `withheld` points of this scan."""
    if scans_capped:
        limit = cap.settings.scans_per_day
        note = Phrase(SCANS_CAP_REACHED, limit=f"{limit:,}")
        kind = "scans_per_day"
    else:
        limit = cap.settings.points_per_day
        note = Phrase(
            POINTS_CAP_REACHED,
            limit=f"{limit:,}",
            points=f"{earned:,}",
            full=f"{earned + withheld:,}",
        )
        kind = "points_per_day"
    return note, {**action_data, "capped": {"cap": kind, "limit": limit, "withheld": withheld}}


def _grant_campaign_bonus(member, paid, code, product, ip_address, user_agent):
    """The campaign's bonus row and its event."""
    rule = paid.campaign
    action_data = {
        "campaign_id": rule.id,
        "campaign_name": rule.name,
        "code": code,
        "multiplier": str(paid.multiplier),
        "bonus_points": rule.bonus_points,
    }
    if paid.trimmed_from is not None:
        action_data["trimmed_from"] = paid.trimmed_from
    grant(
        member,
        paid.points,
        "campaign_bonus_awarded",
        product_id=product.id,
        action_data=action_data,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    record_event(
        member.user,
        "campaign_bonus_awarded",
        brand_id=member.brand_id,
        product=product,
        context={
            "campaign_id": rule.id,
            "campaign_name": rule.name,
            "points_awarded": paid.points,
            "scan_code": code,
        },
    )


def _award_message(points, product, unlocks, new_rank_name, paid=None, cap_note=None):
    parts = [f"You earned {points:,} points for {product.name}."]
    if paid is not None:
        parts.append(f"{paid.campaign.name}: +{paid.points:,}")
    if cap_note:
        parts.append(str(cap_note))
    if new_rank_name:
        parts.append(f"Welcome to {new_rank_name}!")
    if unlocks:
        parts.append("Unlocked: " + ", ".join(u.name for u in unlocks) + ".")
    return " ".join(parts)


def preview_code(raw_code, brand_id, *, user_id=None, ip_address=None):
    """The product and points behind a code, without claiming it, as the visitor `user_id`
    (None: signed out) would find it: already_yours for a member's own claimed code.

    Only `scan_code` counts bad codes. A signed-out visitor cannot claim, so their look-ups
    are limited instead: every one counts against the IP's hourly look-up allowance
    (`rate_limits.code_lookups_per_ip_per_hour`), found or not, so guessing here is bounded
    without a bad code being counted twice when the visitor then signs in and claims.
    """
    code = normalize_code(raw_code)
    allowed = bad_codes_allowed(brand_id, user_id, ip_address) and (
        user_id is not None or code_lookup_allowed(brand_id, ip_address)
    )
    if not allowed:
        return CodePreview("rate_limited", message=MESSAGES["rate_limited"])
    outcome = code_status(code, user_id, brand_id) if code else "unknown"
    if outcome in ("unknown", "wrong_brand"):
        return CodePreview(outcome, message=MESSAGES[outcome])
    product = product_for_code(code)
    points = scan_points(product.points_award, ladder(brand_id)[0].multiplier)
    if outcome != "available":
        return CodePreview(outcome, product, points, MESSAGES[outcome])
    return CodePreview(
        "available", product, points, f"Join to claim {points:,} points for {product.name}."
    )
