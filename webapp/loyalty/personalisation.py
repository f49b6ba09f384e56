"""Personalisation from Customer.io predictions: banner, affinity order, profile."""

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import MemberAiProfile, User, UserAiProfile
from webapp.translation_marks import N_

NEXT_BEST_ACTIONS = {
    "scan_product": (
        N_("Scan your next product"),
        N_("Every scan earns points toward your next reward."),
        "/scan",
    ),
    "redeem_reward": (
        N_("You can redeem a reward"),
        N_("Your points are ready: pick something you like."),
        "/rewards",
    ),
    "complete_profile": (
        N_("Finish your profile"),
        N_("Tell us a bit more and we'll tailor your rewards."),
        "/profile",
    ),
    "refer_friend": (
        N_("Invite a friend"),
        N_("Share your referral link and you both earn."),
        "/referrals",
    ),
    "set_goal": (N_("Set a reward goal"), N_("Choose a reward to work toward."), "/goals"),
}


def ai_profile_for(user_id, brand_id):
    """The predictions the brand's workspace sent about its member, else the platform
    workspace's (never another brand's); None when no prediction arrived yet."""
    held = db.session.identity_map.get(
        db.session.identity_key(MemberAiProfile, (user_id, brand_id))
    )
    if held is not None:
        return held
    # Both in one read: the brand's row when there is one, else the platform's.
    found = db.session.execute(
        select(MemberAiProfile, UserAiProfile)
        .select_from(User)
        .outerjoin(
            MemberAiProfile,
            (MemberAiProfile.user_id == User.id) & (MemberAiProfile.brand_id == brand_id),
        )
        .outerjoin(UserAiProfile, UserAiProfile.user_id == User.id)
        .where(User.id == user_id)
    ).first()
    if found is None:
        return None
    brand_profile, platform_profile = found
    return brand_profile if brand_profile is not None else platform_profile


def next_best_action(user_id, brand_id):
    """A banner dict (action, title, message, url) for the member's next best action, or None."""
    profile = ai_profile_for(user_id, brand_id)
    action = profile.next_best_action if profile is not None else None
    if action not in NEXT_BEST_ACTIONS:
        return None
    title, message, url = NEXT_BEST_ACTIONS[action]
    return {"action": action, "title": title, "message": message, "url": url}


def product_affinity(product, scores):
    """A product's best affinity score over its form, line and tags (0 when none match)."""
    keys = [product.product_form, product.product_line, *(product.tags or [])]
    return max((scores.get(key, 0) for key in keys if key), default=0)


def order_by_affinity(user_id, brand_id, products):
    """Products ordered by the member's affinity, highest first; stable among equals."""
    products = list(products)
    profile = ai_profile_for(user_id, brand_id)
    scores = (profile.product_affinity_scores if profile is not None else None) or {}
    if not scores:
        return products
    return sorted(products, key=lambda product: -product_affinity(product, scores))
