"""Code batches: the background job with progress, CSV, QR sheet decoded back, voiding."""

import base64
import csv
import io
import re
import time

import numpy as np
import png
import pytest
import zxingcpp

from tests.admin.conftest import HOST_A
from webapp.admin.jobs import generate_batch_codes
from webapp.extensions import db
from webapp.loyalty.codes import create_batch
from webapp.models import CodeBatch, ScanCode, StaffAuditLog
from webapp.timeutil import utcnow


def decode_qr(data_uri):
    """The text of the QR code in a PNG data URI (pypng -> numpy -> zxing-cpp)."""
    raw = base64.b64decode(data_uri.split(",", 1)[1])
    _, _, rows, info = png.Reader(bytes=raw).asDirect()
    image = np.vstack([np.array(row, dtype=np.uint8) for row in rows])
    if info["bitdepth"] == 1:
        image = image * 255
    return [result.text for result in zxingcpp.read_barcodes(image)]


def new_batch(owner, world, quantity):
    """POST the batch form; returns the response."""
    url = f"/admin/products/{world.ids['product_id']}/batches"
    return owner.post(url, data={"quantity": quantity}, base_url=HOST_A)


@pytest.mark.sqlite_ok
def test_generate_batch_inline_then_progress_shows_done(app, owner, world, inline_jobs):
    response = new_batch(owner, world, 2500)
    assert response.status_code == 303
    batch_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    with app.app_context():
        batch = db.session.get(CodeBatch, batch_id)
        assert (batch.status, batch.generated_count) == ("done", 2500)
        assert db.session.query(ScanCode).filter_by(batch_id=batch_id).count() == 2500
        assert db.session.query(StaffAuditLog).filter_by(action="batch_created").count() == 1
    fragment = owner.get(
        f"/admin/batches/{batch_id}", headers={"HX-Request": "true"}, base_url=HOST_A
    ).get_data(as_text=True)
    assert fragment.startswith("<section") and 'data-status="done"' in fragment
    assert "hx-trigger" not in fragment  # finished: stops polling
    assert 'id="unclaimed-count">2,500<' in fragment


def test_progress_component_polls_while_running(app, owner, world):
    with app.app_context():
        batch = create_batch(world.brand_a.id, world.ids["product_id"], 5000)
        batch.status, batch.generated_count = "running", 2000
        db.session.commit()
        batch_id = batch.id
    html = owner.get(
        f"/admin/batches/{batch_id}", headers={"HX-Request": "true"}, base_url=HOST_A
    ).get_data(as_text=True)
    assert 'hx-trigger="load delay:500ms"' in html
    assert 'hx-target="this"' in html and 'hx-swap="outerHTML"' in html
    assert '<progress value="2000" max="5000">' in html
    page = owner.get(f"/admin/batches/{batch_id}", base_url=HOST_A).get_data(as_text=True)
    assert "<html" in page and 'id="batch-progress"' in page


def test_batch_job_progress_updates_generated_count(app, world):
    seen = []
    with app.app_context():
        batch = create_batch(world.brand_a.id, world.ids["product_id"], 5000)
        db.session.commit()
        from webapp.code_batches import fill_batch

        fill_batch(batch.id, progress=lambda done, total: seen.append(done))
    assert seen == [1000, 2000, 3000, 4000, 5000]


def test_batch_job_queued_to_redis_when_configured(app, owner, world):
    from webapp.jobs import get_queue

    response = new_batch(owner, world, 10)
    assert response.status_code == 303
    with app.app_context():
        batch = db.session.query(CodeBatch).order_by(CodeBatch.id.desc()).first()
        assert batch.status == "pending"
        queue = get_queue("low")
        jobs = [job for job in queue.jobs if job.args == (batch.id,)]
        assert jobs and jobs[0].func_name.endswith("generate_batch_codes")
        for job in jobs:
            job.delete()
        generate_batch_codes(batch.id)
        assert db.session.get(CodeBatch, batch.id).generated_count == 10


def test_hundred_thousand_codes(app, world, capsys):
    with app.app_context():
        batch = create_batch(world.brand_a.id, world.ids["product_id"], 100_000)
        db.session.commit()
        started = time.perf_counter()
        generate_batch_codes(batch.id)
        elapsed = time.perf_counter() - started
        assert db.session.query(ScanCode).filter_by(batch_id=batch.id).count() == 100_000
        assert db.session.get(CodeBatch, batch.id).generated_count == 100_000
    with capsys.disabled():
        print(f"\n100,000 codes generated in {elapsed:.1f} s")


@pytest.mark.parametrize("quantity", ["0", "100001", "lots", ""])
def test_bad_quantity_is_a_clear_message(owner, world, quantity):
    response = new_batch(owner, world, quantity)
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True)


@pytest.mark.sqlite_ok
def test_csv_lists_code_and_url(app, owner, world):
    response = owner.get(f"/admin/batches/{world.ids['batch_id']}/codes.csv", base_url=HOST_A)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["code", "url"] and len(rows) == 4
    for code, url in rows[1:]:
        assert url == f"http://rewards.test/s/{code}"


@pytest.mark.sqlite_ok
def test_qr_sheet_decodes_to_claim_urls(app, owner, world):
    html = owner.get(f"/admin/batches/{world.ids['batch_id']}/sheet", base_url=HOST_A)
    body = html.get_data(as_text=True)
    items = re.findall(r'data-code="([A-Z0-9]+)">\s*<img src="(data:image/png;base64,[^"]+)"', body)
    assert len(items) == 3
    for code, image in items:
        assert decode_qr(image) == [f"http://rewards.test/s/{code}"]


def test_void_marks_batch_and_unclaimed_codes_only(app, owner, world):
    batch_id = world.ids["batch_id"]
    with app.app_context():
        codes = db.session.query(ScanCode).filter_by(batch_id=batch_id).order_by(ScanCode.id).all()
        codes[0].claimed_by_user_id = world.users["consumer"].id
        codes[0].claimed_at = utcnow()
        db.session.commit()
    page = owner.get(f"/admin/batches/{batch_id}", base_url=HOST_A).get_data(as_text=True)
    assert 'id="claimed-count">1<' in page and 'id="unclaimed-count">2<' in page
    response = owner.post(f"/admin/batches/{batch_id}/void", base_url=HOST_A)
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(CodeBatch, batch_id).voided_at is not None
        voided = [
            c.voided_at is not None
            for c in db.session.query(ScanCode).filter_by(batch_id=batch_id).order_by(ScanCode.id)
        ]
        assert voided == [False, True, True]
        entry = db.session.query(StaffAuditLog).filter_by(action="batch_voided").one()
        assert entry.details == {"codes_voided": 2}


def test_batch_form_from_htmx_answers_the_progress_partial(app, owner, world, inline_jobs):
    url = f"/admin/products/{world.ids['product_id']}/batches"
    response = owner.post(
        url, data={"quantity": 5}, headers={"HX-Request": "true"}, base_url=HOST_A
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith("<section")
    assert 'data-status="done"' in html and 'id="unclaimed-count">5<' in html
