"""Members: search, the member page, points adjustments, granted achievements, account links."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests import factories
from tests.admin.conftest import HOST_A, HOST_B, sign_in
from webapp.extensions import db
from webapp.loyalty.achievements import create_achievement
from webapp.loyalty.ledger import grant, lock_member
from webapp.models import (
    CustomerIoEventQueue,
    MemberWallet,
    StaffAuditLog,
    User,
    UserAchievement,
    UserActionLog,
    UserCustomFieldValue,
)


@pytest.fixture(autouse=True)
def funded_member(app, world):
    """Brand A's member from the world holds 500 points."""
    with app.app_context():
        wallet = db.session.get(MemberWallet, (world.ids["member_id"], world.brand_a.id))
        wallet.points_balance = 500
        db.session.get(User, world.ids["member_id"]).points_balance = 500
        db.session.commit()


def member_page(client, member_id, **query):
    """The member page's HTML."""
    response = client.get(f"/admin/members/{member_id}", query_string=query, base_url=HOST_A)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def audit_rows(app):
    """(action, target_type, target_id, details) of the audit log, oldest first."""
    with app.app_context():
        rows = db.session.scalars(select(StaffAuditLog).order_by(StaffAuditLog.id))
        return [(r.action, r.target_type, r.target_id, r.details) for r in rows]


def balance(app, user_id):
    """The member's points balance at brand A (the one wallet the world's member has)."""
    with app.app_context():
        return db.session.scalar(
            select(MemberWallet.points_balance).where(MemberWallet.user_id == user_id)
        )


def adjust(client, member_id, delta, reason="Goodwill"):
    """Post the adjust form (plain POST) and follow the redirect."""
    return client.post(
        f"/admin/members/{member_id}/points",
        data={"delta": delta, "reason": reason},
        base_url=HOST_A,
        follow_redirects=True,
    )


@pytest.mark.sqlite_ok
def test_search_by_email_name_phone_and_referral_code(app, client, world):
    with app.app_context():
        ada = factories.user(
            email="ada.lovelace@example.com",
            first_name="Ada",
            last_name="Lovelace",
            phone_number="5035550100",
            referral_code="ADA-7KQ4",
            signup_brand_id=world.brand_a.id,
        )
        scanner = factories.user(email="scanner@example.com", first_name="Grace")
        scan = UserActionLog(
            user_id=scanner.id, action_type="product_scanned", brand_id=world.brand_a.id
        )
        db.session.add(scan)
        factories.user(email="ada.other@example.com", signup_brand_id=world.brand_b.id)
        db.session.commit()
        ada_id = ada.id
    sign_in(client, world.emails["support"])
    for text in ("ada.lo", "Ada", "Lovelace", "ada lov", "5035550100", "ada-7kq4"):
        html = client.get("/admin/members", query_string={"q": text}, base_url=HOST_A).text
        assert f"/admin/members/{ada_id}" in html, text
        assert "ada.other@example.com" not in html, text
    found = client.get("/admin/members", query_string={"q": "Grace"}, base_url=HOST_A).text
    assert "scanner@example.com" in found
    nothing = client.get("/admin/members", query_string={"q": "100%_"}, base_url=HOST_A).text
    assert "No member matches" in nothing


def test_search_pages_through_members(app, client, world):
    with app.app_context():
        for n in range(30):
            factories.user(email=f"page{n:02d}@example.com", signup_brand_id=world.brand_a.id)
    sign_in(client, world.emails["support"])
    first = client.get("/admin/members", query_string={"q": "page"}, base_url=HOST_A).text
    second = client.get("/admin/members?q=page&page=2", base_url=HOST_A).text
    assert first.count('class="member-row"') == 25 and ">Next</a>" in first
    assert second.count('class="member-row"') == 5 and ">Next</a>" not in second


def test_member_page_shows_profile_answers_ledger_achievements_and_events(app, owner, world):
    with app.app_context():
        member = db.session.get(User, world.ids["member_id"])
        db.session.add(
            UserCustomFieldValue(
                user_id=member.id, custom_field_id=world.ids["field_id"], field_value="Haze"
            )
        )
        locked = lock_member(member.id, world.brand_a.id)
        for _ in range(55):
            grant(locked, 1, "product_scanned")
        db.session.add(
            CustomerIoEventQueue(
                user_id=member.id,
                event_name="points_adjusted_event",
                event_data={},
                brand_id=world.brand_a.id,
                status="failed",
            )
        )
        db.session.commit()
        member_id = member.id
    html = member_page(owner, member_id)
    assert "Favourite" in html and "Haze" in html
    assert html.count('class="ledger-row"') == 50 and ">Older</a>" in html
    assert member_page(owner, member_id, page=2).count('class="ledger-row"') == 5
    assert "points_adjusted_event" in html and "failed" in html
    assert "No profile calculated yet." in html


@pytest.mark.sqlite_ok
def test_adjust_points_adds_and_takes_with_reason_and_audit(app, client, world):
    sign_in(client, world.emails["support"])
    member_id = world.ids["member_id"]
    added = adjust(client, member_id, "250", "Lost parcel")
    assert "+250 points. The balance is now 750." in added.text
    taken = adjust(client, member_id, "-700", "Duplicate scan")
    assert "-700 points. The balance is now 50." in taken.text
    assert balance(app, member_id) == 50
    with app.app_context():
        reasons = db.session.scalars(
            select(UserActionLog.action_data).where(UserActionLog.action_type == "points_adjusted")
        ).all()
    assert [r["reason"] for r in reasons] == ["Lost parcel", "Duplicate scan"]
    assert {r["staff_user_id"] for r in reasons} == {world.users["support"].id}
    audit = audit_rows(app)
    assert [(a, t, i) for a, t, i, _ in audit] == [("points_adjusted", "User", member_id)] * 2
    assert audit[0][3] == {"delta": 250, "reason": "Lost parcel"}


@pytest.mark.sqlite_ok
def test_an_adjustment_whose_audit_row_fails_does_not_land(app, client, world, monkeypatch):
    """The adjustment and its audit row are one commit: no audit, no points."""
    from webapp.admin import member_care

    def failing_record(action, target=None, **details):
        db.session.add(StaffAuditLog(brand_id=None, staff_user_id=None, action=None))
        db.session.flush()  # NOT NULL columns: the audit write fails

    monkeypatch.setattr(member_care, "record", failing_record)
    sign_in(client, world.emails["support"])
    member_id = world.ids["member_id"]
    before = balance(app, member_id)
    with pytest.raises(IntegrityError):
        adjust(client, member_id, "250", "Lost parcel")
    assert balance(app, member_id) == before
    with app.app_context():
        logged = db.session.scalar(
            select(UserActionLog.id).where(UserActionLog.action_type == "points_adjusted")
        )
    assert logged is None and audit_rows(app) == []


def test_adjust_points_plain_post_answers_303_to_the_member_page(owner, world):
    member_id = world.ids["member_id"]
    response = owner.post(
        f"/admin/members/{member_id}/points",
        data={"delta": "5", "reason": "Thanks"},
        base_url=HOST_A,
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/members/{member_id}")


@pytest.mark.parametrize(
    ("delta", "reason", "message"),
    [
        ("100", "  ", "a reason is required"),
        ("ten", "Typo", "Enter the points as a whole number"),
        ("1.5", "Typo", "Enter the points as a whole number"),
        ("0", "Typo", "Enter a non-zero number of points"),
        ("-501", "Clawback", "Can&#39;t take 501 points: the balance is only 500."),
    ],
)
def test_adjust_points_bad_input_changes_nothing(app, owner, world, delta, reason, message):
    response = adjust(owner, world.ids["member_id"], delta, reason)
    assert response.status_code == 200
    assert message in response.text
    assert balance(app, world.ids["member_id"]) == 500
    assert audit_rows(app) == []


def test_grant_custom_achievement(app, owner, world):
    with app.app_context():
        create_achievement(
            brand_id=world.brand_a.id,
            achievement_key="event_guest",
            name="Event guest",
            achievement_type="custom",
            criteria={},
            rewards={"points": 40},
        )
        db.session.commit()
    member_id = world.ids["member_id"]
    assert "Event guest" in member_page(owner, member_id)
    url = f"/admin/members/{member_id}/achievements"
    granted = owner.post(
        url, data={"achievement_key": "event_guest"}, base_url=HOST_A, follow_redirects=True
    )
    assert "Granted Event guest." in granted.text
    assert balance(app, member_id) == 540
    again = owner.post(
        url, data={"achievement_key": "event_guest"}, base_url=HOST_A, follow_redirects=True
    )
    assert "already has this achievement" in again.text
    unknown = owner.post(
        url, data={"achievement_key": "nope"}, base_url=HOST_A, follow_redirects=True
    )
    assert "no active custom achievement" in unknown.text
    with app.app_context():
        assert db.session.scalar(select(UserAchievement.completed)) is True
    assert [row[0] for row in audit_rows(app)] == ["achievement_granted"]


def test_send_reset_link_to_member_and_activation_to_guest(app, owner, world):
    with app.app_context():
        guest = factories.user(is_guest=True, signup_brand_id=world.brand_a.id)
        guest_id = guest.id
    member_id = world.ids["member_id"]
    sent = owner.post(
        f"/admin/members/{member_id}/account-link", base_url=HOST_A, follow_redirects=True
    )
    assert "Sent a password reset link" in sent.text
    activated = owner.post(
        f"/admin/members/{guest_id}/account-link", base_url=HOST_A, follow_redirects=True
    )
    assert "Sent an activation link" in activated.text
    with app.app_context():
        events = db.session.execute(
            select(CustomerIoEventQueue.user_id, CustomerIoEventQueue.event_name)
            .where(CustomerIoEventQueue.event_name.like("%_requested"))
            .order_by(CustomerIoEventQueue.id)
        ).all()
    assert [tuple(e) for e in events] == [
        (member_id, "password_reset_requested"),
        (guest_id, "guest_activation_requested"),
    ]
    assert [row[0] for row in audit_rows(app)] == ["account_link_sent"] * 2


def test_another_brands_member_is_404_everywhere(app, client, world):
    with app.app_context():
        stranger = factories.user(signup_brand_id=world.brand_b.id).id
    sign_in(client, world.emails["owner"])
    assert client.get(f"/admin/members/{stranger}", base_url=HOST_A).status_code == 404
    for action in ("points", "achievements", "account-link"):
        response = client.post(
            f"/admin/members/{stranger}/{action}",
            data={"delta": "5", "reason": "x"},
            base_url=HOST_A,
        )
        assert response.status_code == 404, action
    assert balance(app, stranger) == 0


def test_brand_b_owner_gets_404_for_brand_a_member(client, world):
    sign_in(client, world.emails["other_owner"], HOST_B)
    member_url = f"/admin/members/{world.ids['member_id']}"
    assert client.get(member_url, base_url=HOST_B).status_code == 404
    assert world.emails["consumer"] not in client.get("/admin/members", base_url=HOST_B).text


def test_member_page_names_the_rank_on_the_brands_ladder(app, client, world):
    with app.app_context():
        wallet = db.session.get(MemberWallet, (world.ids["member_id"], world.brand_a.id))
        wallet.current_rank_key = "gold"
        db.session.commit()
    sign_in(client, world.emails["support"])
    html = member_page(client, world.ids["member_id"])
    assert '<dd id="member-rank">Gold</dd>' in html
