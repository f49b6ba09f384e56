"""The reward catalogue as a member sees it: cost, affordability, rank and exclusive locks."""

from dataclasses import dataclass

from sqlalchemy import select

from webapp.extensions import db
from webapp.loyalty.achievements import has_exclusive_access
from webapp.loyalty.config_cache import ConfigCache, invalidate_on_write
from webapp.loyalty.membership import wallet_of
from webapp.loyalty.personalisation import order_by_affinity
from webapp.loyalty.qualifying import held_rank, tier_policy, unlocked_reward_ids
from webapp.loyalty.ranks import ladder, rank_for
from webapp.loyalty.wishlist import wishlist_product_ids
from webapp.models import Product, Redemption


@dataclass(frozen=True)
class RewardOffer:
    """One reward and what stands between the member and redeeming it."""

    product: Product
    points_short: int
    rank_needed: str | None
    exclusive_locked: bool
    wishlisted: bool

    @property
    def affordable(self):
        """The balance covers the cost."""
        return self.points_short == 0

    @property
    def redeemable(self):
        """Nothing stops the member from redeeming it now."""
        return self.affordable and self.rank_needed is None and not self.exclusive_locked


@dataclass(frozen=True)
class RewardCard:
    """What the scan result, the dashboard and the landing page show of an active reward:
    the columns they read, detached from any session, so it can be cached."""

    id: int
    name: str
    points_cost: int
    required_rank_key: str | None
    is_limited: bool
    is_featured: bool
    image_url: str | None
    product_form: str | None
    strain_type: str | None


def _load_reward_cards(brand_id):
    return tuple(
        RewardCard(
            p.id,
            p.name,
            p.points_cost,
            p.required_rank_key,
            bool(p.is_limited),
            bool(p.is_featured),
            p.image_url,
            p.product_form,
            p.strain_type,
        )
        for p in _active_rewards(brand_id)
    )


# The brand's active rewards, cheapest first, for the scan's answer and the dashboard (which
# choose one of them): no read of the catalogue per scan.
_reward_cards = ConfigCache(_load_reward_cards)
invalidate_on_write(Product, _reward_cards)


def _active_rewards(brand_id, product_id=None):
    query = select(Product).where(
        Product.brand_id == brand_id,
        Product.is_active.is_(True),
        Product.points_cost > 0,
    )
    if product_id is not None:
        query = query.where(Product.id == product_id)
    return db.session.scalars(query.order_by(Product.points_cost, Product.id)).all()


def _rank_needed(steps, wallet, product):
    """The name of the rank the reward asks for, when the member's rank is below it."""
    if not product.required_rank_key:
        return None
    positions = {step.key: index for index, step in enumerate(steps)}
    required = positions.get(product.required_rank_key)
    if required is None:
        return product.required_rank_key.replace("_", " ").title()
    if wallet is None:
        current = positions[rank_for(steps, 0).key]
    else:
        current = positions[held_rank(steps, wallet, tier_policy(wallet.brand_id)).key]
    return steps[required].name if current < required else None


def _offers(user, brand_id, products, with_wishlist=True):
    steps = ladder(brand_id)
    wallet = wallet_of(user.id, brand_id)
    wishlisted = wishlist_product_ids(user.id) if with_wishlist else set()
    limited = any(p.is_limited for p in products)
    exclusive = limited and has_exclusive_access(user.id, brand_id)
    unlocked = unlocked_reward_ids(user.id, brand_id) if limited and not exclusive else set()
    balance = wallet.points_balance if wallet else 0
    return [
        RewardOffer(
            product=product,
            points_short=max(0, product.points_cost - balance),
            rank_needed=_rank_needed(steps, wallet, product),
            exclusive_locked=bool(product.is_limited)
            and not exclusive
            and product.id not in unlocked,
            wishlisted=product.id in wishlisted,
        )
        for product in products
    ]


def reward_catalogue(user, brand_id):
    """The brand's active rewards as offers to `user`, by their product affinity when known."""
    return _offers(user, brand_id, order_by_affinity(user.id, brand_id, _active_rewards(brand_id)))


def closest_reward(user, brand_id):
    """`next_reward` of the member's catalogue (its product a cached RewardCard), without what
    does not change the choice (the affinity order, the wishlist): no statement for the
    dashboard and every scan when no reward is limited."""
    return next_reward(_offers(user, brand_id, _reward_cards.get(brand_id), with_wishlist=False))


def reward_offer(user, product_id, brand_id):
    """One active reward of the brand as an offer to `user`; None when there is no such reward."""
    offers = _offers(user, brand_id, _active_rewards(brand_id, product_id))
    return offers[0] if offers else None


def member_redemptions(user_id, brand_id):
    """The member's redemptions at the brand with their rewards, newest first."""
    return db.session.execute(
        select(Redemption, Product)
        .join(Product, Product.id == Redemption.product_id)
        .where(Redemption.user_id == user_id, Redemption.brand_id == brand_id)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc())
    ).all()


def showcase_rewards(brand_id, limit=3):
    """The rewards a visitor sees first: featured ones, then the cheapest (RewardCards)."""
    products = _reward_cards.get(brand_id)
    return sorted(products, key=lambda p: (not p.is_featured, p.points_cost, p.id))[:limit]


def next_reward(offers):
    """The reward to put in front of the member: the dearest one they can redeem now, else the
    closest one they could (no rank or exclusivity in the way); None when there is none. The
    order of `offers` and their `wishlisted` never change the choice (`closest_reward`)."""
    open_offers = [o for o in offers if o.rank_needed is None and not o.exclusive_locked]
    ready = [o for o in open_offers if o.affordable]
    if ready:
        return max(ready, key=lambda o: (o.product.points_cost, -o.product.id))
    return min(open_offers, key=lambda o: (o.points_short, o.product.id), default=None)
