"""Items 9 and 11: a redeem form sent twice redeems once and shows the first result; the
reward's state and price are checked under the member's lock, and a change since the member
confirmed is shown to them, never charged."""

import re
import threading

import pytest
from sqlalchemy import func, select, update

from tests.loyalty.test_concurrency import run_together
from webapp.extensions import db
from webapp.loyalty import redemption as redemption_rules
from webapp.loyalty.redemption import NotAReward, redeem
from webapp.models import MemberWallet, Product, Redemption

pytestmark = pytest.mark.sqlite_ok

SHIPPING = {"name": "Sam Rivera", "address1": "1 Harbor Way", "address2": "", "city": "Oakland",
            "region": "CA", "postal_code": "94607", "country": "US", "phone": ""}  # fmt: skip


@pytest.fixture
def shop(make, auth):
    """The request's brand, a 1,000-point reward, and a signed-in member holding 2,500."""
    brand = make.brand()
    reward = make.product(brand, points_cost=1000, points_award=0)
    user = make.user(email="sam@example.com", points_balance=2500, lifetime_points=2500)
    auth.login("sam@example.com")
    return brand, reward, user


def confirmation(client, reward):
    """The hidden fields of the confirm step, as the browser would send them back."""
    page = client.post(f"/rewards/{reward.id}/review", data=SHIPPING).get_data(as_text=True)
    form = page[page.index(f'action="/rewards/{reward.id}"') :]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def state(user, brand):
    db.session.expire_all()
    count = db.session.scalar(
        select(func.count(Redemption.id)).where(Redemption.user_id == user.id)
    )
    return count, db.session.get(MemberWallet, (user.id, brand.id)).points_balance


def test_a_confirmation_sent_twice_redeems_once_and_shows_the_first_result(client, shop):
    brand, reward, user = shop
    sent = confirmation(client, reward)
    headers = {"HX-Request": "true"}
    first = client.post(f"/rewards/{reward.id}", data=sent, headers=headers)
    again = client.post(f"/rewards/{reward.id}", data=sent, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert "Redeemed!" in again.get_data(as_text=True)
    assert state(user, brand) == (1, 1500)  # not two redemptions and 500 left
    assert len(sent["idempotency_key"]) >= 16 and sent["points_cost"] == "1000"


def test_two_tabs_sending_one_confirmation_at_once_redeem_once(app, shop):
    brand, reward, user = shop
    ids = (user.id, reward.id, brand.id)  # read here: the threads have sessions of their own
    calls = [lambda: redeem(*ids, SHIPPING, idempotency_key="tab-key-123456").id for _ in range(3)]
    assert len(set(run_together(app, calls))) == 1
    assert state(user, brand) == (1, 1500)


def test_a_price_rise_after_review_is_shown_to_the_member_not_charged(client, shop):
    brand, reward, user = shop
    sent = confirmation(client, reward)
    db.session.execute(update(Product).where(Product.id == reward.id).values(points_cost=2000))
    db.session.commit()
    response = client.post(f"/rewards/{reward.id}", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "now costs 2,000 points" in page and 'name="points_cost" value="2000"' in page
    assert state(user, brand) == (0, 2500)


def test_a_reward_deactivated_while_the_redeem_waits_for_the_lock_is_refused(
    app, shop, monkeypatch
):
    brand, reward, user = shop
    real_lock = redemption_rules.lock_member

    def deactivate_then_lock(*args):
        def deactivate():
            with app.app_context():
                db.session.execute(
                    update(Product).where(Product.id == reward.id).values(is_active=False)
                )
                db.session.commit()
                db.session.remove()

        staff = threading.Thread(target=deactivate)  # staff, on their own connection
        staff.start()
        staff.join()
        return real_lock(*args)

    monkeypatch.setattr(redemption_rules, "lock_member", deactivate_then_lock)
    db.session.commit()  # this test's own reads end: on SQLite they would hold the write lock
    with pytest.raises(NotAReward):
        redeem(user.id, reward.id, brand.id, SHIPPING)
    assert state(user, brand) == (0, 2500)
