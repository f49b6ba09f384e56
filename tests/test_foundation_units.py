"""Small pieces of the base: password hashing and the queue seam."""

import pytest
import rq

from tests.shared_state import forget_queued_marks
from webapp import jobs
from webapp.extensions import db
from webapp.loyalty.passwords import hash_password, verify_password

CALLS = []


def record_call(*ids):
    """A job that records its arguments."""
    CALLS.append(ids)


@pytest.mark.sqlite_ok
def test_bcrypt_hashes_verify_and_reject():
    stored = hash_password("open sesame", rounds=4)
    assert stored.startswith("$2b$")
    assert verify_password("open sesame", stored)
    assert not verify_password("open sesame!", stored)
    assert not verify_password("", stored)
    assert not verify_password("x", "not-a-hash")


@pytest.mark.sqlite_ok
def test_laravel_2y_hashes_verify():
    import bcrypt

    php_style = "$2y$" + bcrypt.hashpw(b"secret-pass", bcrypt.gensalt(4)).decode()[4:]
    assert verify_password("secret-pass", php_style)
    assert not verify_password("wrong-pass", php_style)


@pytest.mark.sqlite_ok
def test_jobs_run_inline_without_redis(app):
    app.config["REDIS_URL"], saved = None, app.config["REDIS_URL"]
    try:
        CALLS.clear()
        assert jobs.enqueue(record_call, 1, 2)
        assert CALLS == [(1, 2)]
    finally:
        app.config["REDIS_URL"] = saved


@pytest.mark.sqlite_ok
def test_jobs_wait_for_the_commit(app):
    app.config["REDIS_URL"], saved = None, app.config["REDIS_URL"]
    try:
        CALLS.clear()
        jobs.enqueue_after_commit(record_call, 7)
        jobs.enqueue_after_commit(record_call, 7)
        assert CALLS == []
        db.session.commit()
        assert CALLS == [(7,)]
        jobs.enqueue_after_commit(record_call, 8)
        db.session.rollback()
        db.session.commit()
        assert CALLS == [(7,)]
    finally:
        app.config["REDIS_URL"] = saved


@pytest.mark.sqlite_ok
def test_a_plain_commit_after_a_rule_dispatches_its_jobs(app, make, monkeypatch):
    """A rule records an event; the boundary's plain commit hands its delivery job over."""
    from webapp.events.outbox import DELIVERY_JOB, record_event

    brand = make.brand()
    user = make.user(brands=[brand])
    db.session.commit()
    dispatched = []
    monkeypatch.setattr(jobs, "enqueue_once", lambda fn, *ids, queue: dispatched.append((fn, ids)))
    assert record_event(user, "points_adjusted", brand_id=brand.id) is not None
    assert dispatched == []
    db.session.commit()
    assert dispatched == [(DELIVERY_JOB, (brand.id,))]


@pytest.mark.sqlite_ok
def test_a_rolled_back_savepoint_drops_only_its_own_jobs(app):
    app.config["REDIS_URL"], saved = None, app.config["REDIS_URL"]
    try:
        CALLS.clear()
        jobs.enqueue_after_commit(record_call, 1)
        savepoint = db.session.begin_nested()
        jobs.enqueue_after_commit(record_call, 2)
        savepoint.rollback()
        with db.session.begin_nested():
            jobs.enqueue_after_commit(record_call, 3)
        db.session.commit()
        assert CALLS == [(1,), (3,)]
    finally:
        app.config["REDIS_URL"] = saved


def test_jobs_go_to_the_prefixed_rq_queue_with_redis(app):
    queue = jobs.get_queue("default")
    queue.empty()
    assert jobs.enqueue(record_call, 42)
    assert queue.name.startswith(app.config["QUEUE_PREFIX"])
    queued = queue.jobs
    assert len(queued) == 1 and queued[0].args == (42,)
    assert isinstance(queued[0], rq.job.Job)
    queue.empty()


def test_unreachable_redis_is_reported_not_raised(app):
    app.config["REDIS_URL"], saved = "redis://127.0.0.1:1/0", app.config["REDIS_URL"]
    try:
        assert jobs.enqueue(record_call, 1) is False
    finally:
        app.config["REDIS_URL"] = saved


def test_enqueue_once_keeps_one_copy_until_the_job_starts(app):
    queue = jobs.get_queue("high")
    queue.empty()
    for _ in range(5):
        assert jobs.enqueue_once(record_call, 7, queue="high")
    assert [job.args for job in queue.jobs] == [(7,)]
    assert jobs.enqueue_once(record_call, 8, queue="high")  # other arguments: its own job
    jobs.job_started(record_call, 7)
    assert jobs.enqueue_once(record_call, 7, queue="high")
    assert sorted(job.args for job in queue.jobs) == [(7,), (7,), (8,)]
    jobs.job_started(record_call, 7)
    jobs.job_started(record_call, 8)
    queue.empty()


@pytest.mark.sqlite_ok
def test_enqueue_once_runs_every_time_inline(app):
    app.config["REDIS_URL"], saved = None, app.config["REDIS_URL"]
    try:
        CALLS.clear()
        jobs.enqueue_once(record_call, 3)
        jobs.enqueue_once(record_call, 3)
        assert CALLS == [(3,), (3,)]
    finally:
        app.config["REDIS_URL"] = saved


def test_forgetting_marks_lets_the_next_call_enqueue(app):
    queue = jobs.get_queue("high")
    queue.empty()
    jobs.enqueue_once(record_call, 9, queue="high")
    queue.empty()  # the job is gone, its mark is not
    assert jobs.enqueue_once(record_call, 9, queue="high") and queue.jobs == []
    forget_queued_marks()
    jobs.enqueue_once(record_call, 9, queue="high")
    assert [job.args for job in queue.jobs] == [(9,)]
    forget_queued_marks()
    queue.empty()
