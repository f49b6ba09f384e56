"""Saves at the same moment: one wins, the others get a message, never a 500 or a deadlock."""

import threading

from sqlalchemy import func, select

from tests import factories
from tests.admin.conftest import HOST_A
from tests.hardening.isolation import in_fresh_thread
from webapp.admin import program
from webapp.extensions import db
from webapp.loyalty import custom_answers, profiles
from webapp.models import Rank, UserCustomFieldValue

PEOPLE = 4


def all_at_once(app, email, path, data, host=HOST_A):
    """PEOPLE browsers signed in as `email` post `data` to `path` together; their statuses."""
    clients = []

    def sign_in_all():
        for _ in range(PEOPLE):
            client = app.test_client()
            form = {"email": email, "password": factories.DEFAULT_PASSWORD}
            assert client.post("/login", data=form, base_url=host).status_code == 303
            clients.append(client)

    in_fresh_thread(sign_in_all)
    statuses = [None] * PEOPLE
    errors = []

    def post(index):
        try:
            statuses[index] = clients[index].post(path, data=data, base_url=host).status_code
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    return statuses


def barrier_before(monkeypatch, module, name):
    """Hold every caller of `module.name` until all PEOPLE reached it: the checks all pass
    before any save lands, the widest race there is."""
    barrier = threading.Barrier(PEOPLE, timeout=20)
    real = getattr(module, name)

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)


def test_concurrent_profile_saves_all_succeed(app, world, monkeypatch):
    member = world.users["consumer"]
    member.signup_brand_id = world.brand_a.id
    factories.member(member, world.brand_a)  # a member of A, so /profile is A's to save
    db.session.add(
        UserCustomFieldValue(
            user_id=member.id, custom_field_id=world.ids["field_id"], field_value="coffee"
        )
    )
    db.session.commit()
    barrier_before(monkeypatch, profiles, "check_answers")
    # Unchanged names: no UPDATE of the member's row serialises the saves by accident.
    data = {"first_name": member.first_name, "last_name": member.last_name or "", "cf_fav": "tea"}
    statuses = all_at_once(app, member.email, "/profile", data)
    assert all(status == 303 for status in statuses), statuses
    count = select(func.count()).where(UserCustomFieldValue.user_id == member.id)
    assert db.session.scalar(count) == 1
    assert custom_answers.answers_by_key(member.id, world.brand_a.id) == {"fav": "tea"}


def test_concurrent_answer_saves_queue_behind_the_member(app, world):
    member, field_id = world.users["consumer"], world.ids["field_id"]
    barrier = threading.Barrier(PEOPLE, timeout=20)
    errors = []

    def save(answer):
        with app.app_context():
            try:
                fields = custom_answers.active_fields(world.brand_a.id)
                barrier.wait()
                custom_answers.save_answers(member.id, fields, {field_id: answer})
                db.session.commit()
            except Exception as error:  # reported by the assertion below
                errors.append(error)
                db.session.rollback()

    threads = [threading.Thread(target=save, args=(f"answer {n}",)) for n in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    answers = db.session.scalars(
        select(UserCustomFieldValue.field_value).where(UserCustomFieldValue.user_id == member.id)
    ).all()
    assert len(answers) == 1 and answers[0].startswith("answer ")


def test_concurrent_new_ranks_save_one_and_explain_to_the_rest(app, world, monkeypatch):
    path = "/admin/ranks/new"
    data = {"key": "silver", "name": "Silver", "points_required": "500", "point_multiplier": "1.1"}
    barrier_before(monkeypatch, program, "key_taken")
    statuses = all_at_once(app, world.emails["owner"], path, data)
    assert sorted(statuses) == [200] * (PEOPLE - 1) + [303], statuses
    ranks = select(func.count()).where(Rank.brand_id == world.brand_a.id, Rank.key == "silver")
    assert db.session.scalar(ranks) == 1


def test_the_error_page_survives_a_failed_transaction(app, world, client, monkeypatch):
    from tests.admin.conftest import sign_in

    sign_in(client, world.emails["owner"])

    def duplicate_rank():
        db.session.add(Rank(brand_id=world.brand_a.id, key="gold", name="Again", points_required=1))
        db.session.flush()

    monkeypatch.setitem(app.view_functions, "admin.ranks", duplicate_rank)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/admin/ranks", base_url=HOST_A)
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
