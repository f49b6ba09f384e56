"""Redeeming rewards with points, and staff fulfilling or cancelling the redemptions."""

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select, update

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.achievements import has_exclusive_access
from webapp.loyalty.jurisdictions import RegionProblem, check_redemption, member_rule
from webapp.loyalty.ledger import (
    InsufficientPoints,
    PointsLimitExceeded,
    grant,
    lock_member,
    spend,
)
from webapp.loyalty.membership import NotAMember
from webapp.loyalty.qualifying import held_rank, tier_policy, unlocked_reward_ids
from webapp.loyalty.ranks import ladder
from webapp.models import Product, Redemption, User, UserGoal
from webapp.timeutil import utcnow
from webapp.translation_marks import N_, Phrase

__all__ = [
    "ExclusiveOnly",
    "InsufficientPoints",
    "InvalidShipping",
    "NotAReward",
    "PriceChanged",
    "RankTooLow",
    "RedemptionError",
    "cancel_redemption",
    "fulfil_redemption",
    "redeem",
]


class RedemptionError(Exception):
    """A redemption that cannot go ahead; the message says why."""


class NotAReward(RedemptionError):
    """The product is not an active reward of the brand."""


class PriceChanged(RedemptionError):
    """The reward's points cost is not the one the member confirmed."""

    def __init__(self, cost):
        super().__init__(
            Phrase(N_("This reward now costs %(cost)s points. Check and confirm again."), cost=cost)
        )
        self.cost = cost


class RankTooLow(RedemptionError):
    """The reward needs a higher rank than the member has."""


class ExclusiveOnly(RedemptionError):
    """A limited reward, open only to members with exclusive access."""


class RegionForbids(RedemptionError):
    """The member's region does not allow this redemption (the message says why)."""


class InvalidShipping(RedemptionError):
    """Shipping details are missing or malformed; `errors` maps field -> message."""

    def __init__(self, errors):
        super().__init__(N_("Please check your shipping details."))
        self.errors = errors


class ShippingDetails(BaseModel):
    """Where a reward is sent."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    address1: str = Field(min_length=1, max_length=255)
    address2: str | None = Field(default=None, max_length=255)
    city: str = Field(min_length=1, max_length=100)
    region: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(pattern=r"^[A-Za-z]{2}$")
    phone: str | None = Field(default=None, max_length=20)

    @field_validator("country")
    @classmethod
    def upper_country(cls, value):
        """Country codes are stored upper case (ISO 3166-1 alpha-2)."""
        return value.upper()


FIELD_LABELS = {
    "name": N_("Name"),
    "address1": N_("Address"),
    "address2": N_("Address line 2"),
    "city": N_("City"),
    "region": N_("State or region"),
    "postal_code": N_("Postal code"),
    "country": N_("Country"),
    "phone": N_("Phone"),
}


def validate_shipping(shipping):
    """Parsed shipping details, or InvalidShipping with one clear message per bad field."""
    try:
        return ShippingDetails.model_validate(shipping or {})
    except ValidationError as error:
        raise InvalidShipping(
            {str(item["loc"][0]): _field_message(item) for item in error.errors()}
        ) from None


def _field_message(item):
    field = str(item["loc"][0])
    label = Phrase(FIELD_LABELS.get(field, field))
    if field == "country":
        return N_("Country must be a two-letter code, like US.")
    if item["type"] in ("missing", "string_too_short"):
        return Phrase(N_("%(field)s is required."), field=label)
    if item["type"] == "string_too_long":
        limit = item["ctx"]["max_length"]
        return Phrase(
            N_("%(field)s is too long (at most %(limit)s characters)."), field=label, limit=limit
        )
    return Phrase(N_("%(field)s is not valid."), field=label)


def redeem(user_id, product_id, brand_id, shipping, *, idempotency_key=None, confirmed_cost=None):
    """Spend the member's points on a reward and open a pending redemption (the caller commits).

    Everything is checked under the member's lock: the reward's state, and its cost against
    `confirmed_cost` (the price the member said yes to; PriceChanged when it moved). A form
    sent again with the same `idempotency_key` returns the redemption it made the first time.
    """
    details = validate_shipping(shipping)
    key = _checked_key(idempotency_key)
    member = lock_member(user_id, brand_id)
    first = _redemption_with_key(user_id, key)
    if first is not None:
        return first
    product = _reward_under_lock(product_id, brand_id, confirmed_cost)
    _check_eligibility(member, product)
    entry = spend(member, product.points_cost, "reward_redeemed", product_id=product.id)
    user = member.user
    redemption = _create_redemption(user, product, brand_id, details)
    redemption.idempotency_key = key
    entry.log.action_data = {"redemption_id": redemption.id}
    _close_goals_for(user.id, product.id)
    record_event(
        user,
        "reward_redeemed",
        brand_id=brand_id,
        product=product,
        context={"redemption_id": redemption.id, "points_spent": product.points_cost},
    )
    return redemption


def _checked_key(idempotency_key):
    """The form's idempotency key (None when it sent none); a malformed one is refused."""
    if idempotency_key in (None, ""):
        return None
    if not isinstance(idempotency_key, str) or not re.fullmatch(
        r"[A-Za-z0-9_-]{8,64}", idempotency_key
    ):
        raise RedemptionError(N_("This form has expired. Open the reward again to redeem it."))
    return idempotency_key


def _redemption_with_key(user_id, key):
    if key is None:
        return None
    return db.session.scalar(
        select(Redemption).where(Redemption.user_id == user_id, Redemption.idempotency_key == key)
    )


def _reward_under_lock(product_id, brand_id, confirmed_cost):
    """The reward as it is now (read after the member's lock, never from the session)."""
    product = db.session.scalar(
        select(Product)
        .where(Product.id == product_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if (
        product is None
        or product.brand_id != brand_id
        or not product.is_active
        or not product.is_reward
    ):
        raise NotAReward(N_("That reward is not available."))
    if confirmed_cost is not None and confirmed_cost != product.points_cost:
        raise PriceChanged(product.points_cost)
    return product


def _check_eligibility(member, product):
    """Where the member lives, rank on the brand's own ladder (the rank held) and exclusive
    access (an achievement's, or a tier entry reward that unlocked this very reward)."""
    try:
        check_redemption(member_rule(member), member.wallet, product)
    except RegionProblem as problem:
        raise RegionForbids(problem.message) from None
    if product.required_rank_key:
        steps = ladder(member.brand_id)
        positions = {step.key: index for index, step in enumerate(steps)}
        required = positions.get(product.required_rank_key)
        policy = tier_policy(member.brand_id)
        current = positions[held_rank(steps, member.wallet, policy).key]
        if required is None or current < required:
            raise RankTooLow(N_("Reach a higher rank to unlock this reward."))
    if (
        product.is_limited
        and not has_exclusive_access(member.id, member.brand_id)
        and product.id not in unlocked_reward_ids(member.id, member.brand_id)
    ):
        raise ExclusiveOnly(N_("This limited reward is for members with exclusive access."))


def _create_redemption(user, product, brand_id, details):
    redemption = Redemption(
        user_id=user.id,
        brand_id=brand_id,
        product_id=product.id,
        points_spent=product.points_cost,
        status="pending",
        shipping_name=details.name,
        shipping_address1=details.address1,
        shipping_address2=details.address2,
        shipping_city=details.city,
        shipping_region=details.region,
        shipping_postal_code=details.postal_code,
        shipping_country=details.country,
        shipping_phone=details.phone,
    )
    db.session.add(redemption)
    db.session.flush()
    return redemption


def _close_goals_for(user_id, product_id):
    """A goal for a reward the member just redeemed has served its purpose."""
    db.session.execute(
        update(UserGoal)
        .where(
            UserGoal.user_id == user_id,
            UserGoal.product_id == product_id,
            UserGoal.is_active.is_(True),
        )
        .values(is_active=False)
    )


def cancel_redemption(redemption_id, *, staff_user_id=None, reason):
    """Cancel a pending redemption and refund its points through the ledger
    (the caller commits)."""
    reason = (reason or "").strip()
    if not reason:
        raise RedemptionError("Say why the redemption is cancelled: the member is told.")
    member = _lock_owner(redemption_id)
    user = member.user
    try:
        with db.session.begin_nested():
            redemption = _claim_pending(redemption_id, "cancelled", staff_user_id, reason)
            grant(
                member,
                redemption.points_spent,
                "points_refunded",
                product_id=redemption.product_id,
                action_data={"redemption_id": redemption.id, "reason": reason},
                count_towards_lifetime=False,
            )
    except PointsLimitExceeded as too_many:
        raise RedemptionError(f"The refund cannot be made: {too_many}") from None
    redemption.cancelled_at = utcnow()
    record_event(
        user,
        "redemption_cancelled",
        brand_id=redemption.brand_id,
        product=db.session.get(Product, redemption.product_id),
        context={
            "redemption_id": redemption.id,
            "points_refunded": redemption.points_spent,
            "reason": reason,
        },
    )
    return redemption


def fulfil_redemption(redemption_id, staff_user_id, note):
    """Mark a pending redemption as sent, with the staff member's note (the caller
    commits)."""
    _lock_owner(redemption_id)
    redemption = _claim_pending(redemption_id, "fulfilled", staff_user_id, note)
    redemption.fulfilled_at = utcnow()
    record_event(
        db.session.get(User, redemption.user_id),
        "redemption_fulfilled",
        brand_id=redemption.brand_id,
        product=db.session.get(Product, redemption.product_id),
        context={"redemption_id": redemption.id, "note": note},
    )
    return redemption


def _lock_owner(redemption_id):
    """Lock the redemption's member (person, then wallet) before the redemption row itself,
    the program's lock order."""
    owner = db.session.execute(
        select(Redemption.user_id, Redemption.brand_id).where(Redemption.id == redemption_id)
    ).one_or_none()
    if owner is None:
        raise RedemptionError("Only pending redemptions can be changed.")
    try:
        return lock_member(*owner)
    except NotAMember:
        raise RedemptionError("Only pending redemptions can be changed.") from None


def _claim_pending(redemption_id, status, staff_user_id, note):
    """Move a pending redemption to `status` (one conditional UPDATE: only one caller wins)."""
    changed = db.session.execute(
        update(Redemption)
        .where(Redemption.id == redemption_id, Redemption.status == "pending")
        .values(status=status, handled_by_user_id=staff_user_id, staff_note=note)
    ).rowcount
    if not changed:
        raise RedemptionError("Only pending redemptions can be changed.")
    return db.session.scalars(
        select(Redemption)
        .where(Redemption.id == redemption_id)
        .execution_options(populate_existing=True)
    ).one()
