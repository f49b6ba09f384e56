"""Customer.io fixtures: the app pointed at the local fake, an app context, a job runner."""

import pytest
from flask import current_app
from rq import SimpleWorker

from tests.shared_state import forget_queued_marks
from webapp.extensions import db
from webapp.jobs import QUEUE_NAMES, get_queue, redis_connection

SITE_ID = "env-site"
API_KEY = "env-key"
SIGNING_KEY = "reporting-signing-key"
BEARER_TOKEN = "workflow-bearer-token"


def override_config(app, **values):
    """Set app config values; returns what to restore."""
    missing = object()
    saved = {key: app.config.get(key, missing) for key in values}
    app.config.update(values)
    return {k: v for k, v in saved.items() if v is not missing}, [
        k for k, v in saved.items() if v is missing
    ]


def restore_config(app, saved):
    """Undo `override_config`."""
    previous, added = saved
    app.config.update(previous)
    for key in added:
        app.config.pop(key, None)


def empty_queues():
    """Drop queued jobs (earlier tests leave delivery jobs nobody ran) and their marks."""
    for name in QUEUE_NAMES:
        get_queue(name).empty()
    forget_queued_marks()


def run_jobs():
    """Run every queued job in this process (nothing to do when jobs run inline)."""
    if current_app.config.get("REDIS_URL"):
        queues = [get_queue(name) for name in QUEUE_NAMES]
        SimpleWorker(queues, connection=redis_connection()).work(burst=True)


@pytest.fixture
def cio(app, fake_cio):
    """An app context whose Customer.io is the fake, with fast retries; yields the fake."""
    saved = override_config(
        app,
        CUSTOMERIO_TRACK_URL=fake_cio.url,
        CUSTOMERIO_SITE_ID=SITE_ID,
        CUSTOMERIO_API_KEY=API_KEY,
        CUSTOMERIO_WEBHOOK_SIGNING_KEY=SIGNING_KEY,
        CUSTOMERIO_WEBHOOK_TOKEN=BEARER_TOKEN,
    )
    with app.app_context():
        if app.config.get("REDIS_URL"):
            empty_queues()
        yield fake_cio
        db.session.remove()
    restore_config(app, saved)
