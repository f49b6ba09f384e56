"""Recalls: voiding a batch can take back the points its claimed codes earned, after a
confirmation with the members and points, once, never below zero, the shortfall recorded."""

import threading

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.admin.conftest import HOST_A, HOST_B, sign_in
from webapp import code_batches
from webapp.code_batches import generate_codes, reverse_batch_points
from webapp.db_retry import retry_once_on_deadlock
from webapp.extensions import db
from webapp.loyalty.ledger import adjust
from webapp.loyalty.recalls import request_reversal, reverse_member
from webapp.loyalty.scan import scan_code
from webapp.models import (
    CodeBatch,
    CustomerIoEventQueue,
    MemberWallet,
    ScanCode,
    StaffAuditLog,
    User,
    UserActionLog,
    UserActionLogArchive,
)


def batch_codes(batch_id):
    return db.session.scalars(
        select(ScanCode.code).where(ScanCode.batch_id == batch_id).order_by(ScanCode.id)
    ).all()


def scanned(user, brand, code):
    assert scan_code(user.id, code, brand_id=brand.id).outcome == "awarded"
    db.session.commit()


def recall_world(app, world, quantity=6):
    """Brand A members who scanned codes of a new batch of the world's 100-point product:
    `big` two codes (200 points), `small` one (100), `elsewhere` a code of another batch.
    Each first scan also unlocked the world's 10-point achievement, which stays theirs."""
    with app.app_context():
        brand = db.session.get(type(world.brand_a), world.brand_a.id)
        batch = generate_codes(brand.id, world.ids["product_id"], quantity)
        other = generate_codes(brand.id, world.ids["product_id"], 2)
        big, small, elsewhere = (factories.user(brands=[brand]) for _ in range(3))
        codes = batch_codes(batch.id)
        for person, code in ((big, codes[0]), (big, codes[1]), (small, codes[2])):
            scanned(person, brand, code)
        scanned(elsewhere, brand, batch_codes(other.id)[0])
        return batch.id, {"big": big.id, "small": small.id, "elsewhere": elsewhere.id}


def wallet(user_id, brand_id):
    db.session.expire_all()
    return db.session.get(MemberWallet, (user_id, brand_id))


def reversals(batch_id=None):
    db.session.expire_all()
    rows = db.session.scalars(
        select(UserActionLog)
        .where(UserActionLog.action_type == "points_reversed")
        .order_by(UserActionLog.user_id)
    ).all()
    return [row for row in rows if batch_id is None or row.action_data["batch_id"] == batch_id]


@pytest.mark.sqlite_ok
def test_the_confirmation_counts_members_and_points_and_changes_nothing(app, owner, world):
    batch_id, people = recall_world(app, world)
    page = owner.get(f"/admin/batches/{batch_id}", base_url=HOST_A).get_data(as_text=True)
    assert f'href="/admin/batches/{batch_id}/recall"' in page
    response = owner.get(f"/admin/batches/{batch_id}/recall", base_url=HOST_A)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="recall-members">2<' in html and 'id="recall-points">300<' in html
    assert "Void and take back 300 points" in html
    with app.app_context():
        assert db.session.get(CodeBatch, batch_id).voided_at is None
        assert wallet(people["big"], world.brand_a.id).points_balance == 210
        assert reversals() == []


@pytest.mark.sqlite_ok
def test_taking_back_voids_reverses_through_the_ledger_and_records_the_shortfall(
    app, owner, world, inline_jobs
):
    batch_id, people = recall_world(app, world)
    brand_id = world.brand_a.id
    with app.app_context():  # `big` spent 160 of their 210 points
        adjust(people["big"], -160, brand_id=brand_id, reason="spent", staff_user_id=None)
        db.session.commit()
    response = owner.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A)
    assert response.status_code == 303
    with app.app_context():
        batch = db.session.get(CodeBatch, batch_id)
        assert batch.voided_at is not None and batch.points_reversal_requested_at is not None
        assert batch.points_reversed_at is not None
        voided = db.session.scalar(
            select(func.count()).where(
                ScanCode.batch_id == batch_id, ScanCode.voided_at.is_not(None)
            )
        )
        assert voided == 3  # the unclaimed ones
        big, small = reversals(batch_id)
        assert (big.user_id, big.points_awarded) == (people["big"], -50)
        assert big.action_data == {
            "batch_id": batch_id,
            "codes": 2,
            "reason": "recall",
            "points_asked": 200,
            "points_taken": 50,
            "shortfall": 150,
        }
        assert (small.user_id, small.points_awarded, small.action_data["shortfall"]) == (
            people["small"],
            -100,
            0,
        )
        expected = (("big", 0, 210), ("small", 10, 110), ("elsewhere", 110, 110))
        for key, balance, lifetime in expected:
            member = wallet(people[key], brand_id)
            assert (member.points_balance, member.lifetime_points) == (balance, lifetime), key
            person = db.session.get(User, people[key])
            assert person.points_balance == balance
        events = db.session.scalars(
            select(CustomerIoEventQueue)
            .where(CustomerIoEventQueue.event_name == "points_reversed")
            .order_by(CustomerIoEventQueue.user_id)
        ).all()
        assert [event.user_id for event in events] == [people["big"], people["small"]]
        context = events[0].event_data["event_context"]
        assert (context["points_reversed"], context["shortfall"], context["batch_id"]) == (
            50,
            150,
            batch_id,
        )
        audit = db.session.scalars(
            select(StaffAuditLog).where(StaffAuditLog.target_id == batch_id)
        ).all()
        assert {row.action: row.details for row in audit} == {
            "batch_voided": {"codes_voided": 3},
            "batch_points_reversal_requested": {"members": 2, "points": 300},
        }
    page = owner.get(f"/admin/batches/{batch_id}", base_url=HOST_A).get_data(as_text=True)
    assert 'id="reversed-points">150 from 2 members<' in page
    assert 'id="reversal-shortfall">150 points' in page
    assert 'id="recall-link"' not in page


@pytest.mark.sqlite_ok
def test_asking_twice_or_running_the_job_again_takes_nothing_twice(app, owner, world, inline_jobs):
    batch_id, people = recall_world(app, world)
    assert owner.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).status_code == 303
    again = owner.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A, follow_redirects=True)
    assert "already being taken back" in again.get_data(as_text=True)
    with app.app_context():
        assert reverse_batch_points(batch_id) == 0
        assert len(reversals(batch_id)) == 2
        assert wallet(people["big"], world.brand_a.id).points_balance == 10
        assert (
            db.session.scalar(
                select(func.count()).where(
                    StaffAuditLog.action == "batch_points_reversal_requested"
                )
            )
            == 1
        )


@pytest.mark.sqlite_ok
def test_an_already_void_batch_can_still_give_its_points_back(app, owner, world, inline_jobs):
    batch_id, people = recall_world(app, world)
    assert owner.post(f"/admin/batches/{batch_id}/void", base_url=HOST_A).status_code == 303
    html = owner.get(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).get_data(as_text=True)
    assert "Take back 300 points" in html and "Void and take back" not in html
    assert owner.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).status_code == 303
    with app.app_context():
        assert [row.points_awarded for row in reversals(batch_id)] == [-200, -100]
        assert (
            db.session.scalar(select(func.count()).where(StaffAuditLog.action == "batch_voided"))
            == 1
        )


@pytest.mark.sqlite_ok
def test_archived_scans_count_and_zero_point_scans_are_nobody_to_reverse(app, world, make):
    batch_id, people = recall_world(app, world)
    with app.app_context():
        row = db.session.scalars(
            select(UserActionLog).where(
                UserActionLog.user_id == people["small"],
                UserActionLog.action_type == "product_scanned",
            )
        ).one()
        copy = {column.key: getattr(row, column.key) for column in UserActionLog.__table__.c}
        db.session.add(UserActionLogArchive(**copy))
        db.session.delete(row)
        db.session.commit()
        batch = db.session.get(CodeBatch, batch_id)
        assert request_reversal(batch_id)
        db.session.commit()
        assert reverse_batch_points(batch_id) == 2
        assert [row.points_awarded for row in reversals(batch_id)] == [-200, -100]
        assert reverse_member(batch, people["elsewhere"]) is None


@pytest.mark.sqlite_ok
def test_a_large_batch_is_reversed_chunk_by_chunk(app, world, monkeypatch):
    with app.app_context():
        brand = world.brand_a
        batch = generate_codes(brand.id, world.ids["product_id"], 5)
        members = [factories.user(brands=[brand]) for _ in range(5)]
        for member, code in zip(members, batch_codes(batch.id), strict=True):
            scanned(member, brand, code)
        monkeypatch.setattr(code_batches, "REVERSAL_CHUNK", 2)
        commits = []
        monkeypatch.setattr(
            code_batches, "_reverse_chunk", counted(code_batches._reverse_chunk, commits)
        )
        seen = []
        assert request_reversal(batch.id)
        db.session.commit()
        assert reverse_batch_points(batch.id, progress=lambda done, total: seen.append(done)) == 5
        assert commits == [2, 2, 1] and seen == [2, 4, 5]
        assert len(reversals(batch.id)) == 5


def counted(chunk, sizes):
    def run(batch_id, user_ids):
        sizes.append(len(user_ids))
        return chunk(batch_id, user_ids)

    return run


@pytest.mark.sqlite_ok
def test_a_batch_still_generating_is_not_recalled(app, owner, world):
    with app.app_context():
        batch = db.session.get(CodeBatch, world.ids["batch_id"])
        batch.status = "running"
        db.session.commit()
    response = owner.post(
        f"/admin/batches/{world.ids['batch_id']}/recall", base_url=HOST_A, follow_redirects=True
    )
    assert "Wait for the batch to finish" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CodeBatch, world.ids["batch_id"]).points_reversal_requested_at is None


@pytest.mark.sqlite_ok
@pytest.mark.parametrize("role", ["support"])
def test_only_owners_and_managers_take_points_back(app, client, world, role):
    batch_id = world.ids["batch_id"]
    sign_in(client, world.emails[role])
    assert client.get(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).status_code == 403
    assert client.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).status_code == 403
    with app.app_context():
        assert db.session.get(CodeBatch, batch_id).points_reversal_requested_at is None


@pytest.mark.sqlite_ok
def test_a_manager_may_take_points_back(app, client, world, inline_jobs):
    batch_id, _people = recall_world(app, world)
    sign_in(client, world.emails["manager"])
    assert client.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).status_code == 303
    with app.app_context():
        assert len(reversals(batch_id)) == 2


@pytest.mark.sqlite_ok
def test_another_brands_staff_get_404(app, client, world):
    batch_id, people = recall_world(app, world)
    sign_in(client, world.emails["other_owner"], host=HOST_B)
    assert client.get(f"/admin/batches/{batch_id}/recall", base_url=HOST_B).status_code == 404
    assert client.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_B).status_code == 404
    with app.app_context():
        batch = db.session.get(CodeBatch, batch_id)
        assert batch.voided_at is None and batch.points_reversal_requested_at is None
        assert reversals() == []


def run_at_once(app, calls):
    """Each call in its own thread and session, released together, committed after."""
    start = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def worker(index, call):
        with app.app_context():
            try:
                start.wait()

                def unit():
                    result = call()
                    db.session.commit()
                    return result

                results[index] = retry_once_on_deadlock(unit)()
            except Exception as error:
                errors.append(error)
                raise
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_concurrent_requests_and_jobs_reverse_once(app, world):
    batch_id, people = recall_world(app, world)
    marked = run_at_once(app, [lambda: request_reversal(batch_id)] * 4)
    assert sorted(marked) == [False, False, False, True]
    changed = run_at_once(app, [lambda: reverse_batch_points(batch_id)] * 3)
    assert sum(changed) == 2
    with app.app_context():
        assert [row.points_awarded for row in reversals(batch_id)] == [-200, -100]
        assert wallet(people["big"], world.brand_a.id).points_balance == 10


def test_concurrent_staff_clicks_reverse_once(app, world, inline_jobs):
    batch_id, people = recall_world(app, world)
    clients = [sign_in(app.test_client(), world.emails[role]) for role in ("owner", "manager")]
    start = threading.Barrier(len(clients))
    codes = []

    def click(client):
        start.wait()
        codes.append(client.post(f"/admin/batches/{batch_id}/recall", base_url=HOST_A).status_code)

    threads = [threading.Thread(target=click, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [303, 303]
    with app.app_context():
        assert [row.points_awarded for row in reversals(batch_id)] == [-200, -100]
        assert (
            db.session.scalar(
                select(func.count()).where(
                    StaffAuditLog.action == "batch_points_reversal_requested"
                )
            )
            == 1
        )
        assert (
            db.session.scalar(select(func.count()).where(StaffAuditLog.action == "batch_voided"))
            == 1
        )


@pytest.mark.sqlite_ok
def test_a_reversal_whose_job_was_lost_is_finished_by_the_scheduler(app, world):
    from datetime import timedelta

    from webapp.code_batches import finish_lost_reversals
    from webapp.timeutil import utcnow

    batch_id, people = recall_world(app, world)
    with app.app_context():
        assert request_reversal(batch_id)
        db.session.commit()
        finish_lost_reversals()  # asked just now: its job may still be on its way
        assert reversals(batch_id) == []
        batch = db.session.get(CodeBatch, batch_id)
        batch.points_reversal_requested_at = utcnow() - timedelta(hours=1)
        db.session.commit()
        finish_lost_reversals()
        assert [row.points_awarded for row in reversals(batch_id)] == [-200, -100]
        assert db.session.get(CodeBatch, batch_id, populate_existing=True).points_reversed_at
