"""What staff do for a member: correct points, grant a custom achievement, resend a link.

Each action calls the loyalty rule, records a staff audit row and returns the message to show;
a request that cannot go ahead raises MemberActionError with the reason.
"""

from webapp.admin.security import record
from webapp.extensions import db
from webapp.loyalty.accounts import request_password_reset, send_activation_link
from webapp.loyalty.achievements import UnknownAchievement, grant_custom_achievement
from webapp.loyalty.ledger import InsufficientPoints, PointsLimitExceeded, adjust

MAX_ADJUSTMENT = 10_000_000


class MemberActionError(Exception):
    """A staff action on a member that cannot go ahead; the message says why."""


def parse_delta(raw):
    """The points change typed by staff: a non-zero whole number, like 100 or -50."""
    try:
        delta = int((raw or "").strip().replace(",", ""))
    except ValueError:
        raise MemberActionError("Enter the points as a whole number, like 100 or -50.") from None
    if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        raise MemberActionError(f"Enter a non-zero number of points up to {MAX_ADJUSTMENT:,}.")
    return delta


def adjust_points(staff, member, raw_delta, reason):
    """Add or take points with the staff member's reason; the new balance in the message."""
    delta = parse_delta(raw_delta)
    reason = (reason or "").strip()
    if not reason:
        raise MemberActionError("Say why the points change: a reason is required.")
    try:
        entry = adjust(
            member.id, delta, brand_id=staff.brand_id, reason=reason, staff_user_id=staff.user_id
        )
    except InsufficientPoints as short:
        raise MemberActionError(
            f"Can't take {short.needed:,} points: the balance is only {short.balance:,}."
        ) from None
    except PointsLimitExceeded as too_many:
        raise MemberActionError(str(too_many)) from None
    record("points_adjusted", member, delta=delta, reason=reason)
    db.session.commit()
    return f"{delta:+,} points. The balance is now {entry.member.wallet.points_balance:,}."


def grant_achievement(staff, member, achievement_key):
    """Unlock one of the brand's custom achievements for the member."""
    if not achievement_key:
        raise MemberActionError("Choose an achievement to grant.")
    try:
        unlocks = grant_custom_achievement(
            member.id, staff.brand_id, achievement_key, source="staff"
        )
    except (UnknownAchievement, PointsLimitExceeded) as refused:
        raise MemberActionError(str(refused)) from None
    if not unlocks:
        raise MemberActionError("The member already has this achievement.")
    record("achievement_granted", member, achievement_key=achievement_key)
    db.session.commit()
    return f"Granted {unlocks[0].name}."


def send_account_link(staff, member):
    """An activation link for a guest, a password reset link for a member."""
    if not member.is_active:
        raise MemberActionError("This account was deleted; no link can be sent.")
    if member.is_guest:
        send_activation_link(member, staff.brand_id)
        kind = "an activation link"
    else:
        request_password_reset(member.email, staff.brand_id)
        kind = "a password reset link"
    record("account_link_sent", member, kind=kind)
    db.session.commit()
    return f"Sent {kind} to {member.email}."
