"""Scan codes: generation in batches, CSV export, voiding."""

import csv
import io
import secrets

from sqlalchemy import insert, select

from webapp.extensions import db
from webapp.models import CodeBatch, ScanCode
from webapp.timeutil import utcnow

# Crockford-style alphabet without 0/O, 1/I/L, U: nothing a person can misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 14  # 30**14 ~ 2**68.7: comfortably above 60 bits of randomness
INSERT_CHUNK = 1000


def new_code():
    """One random code from the unambiguous alphabet."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw):
    """Codes as people type them: case-insensitive, spaces and dashes ignored."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def claim_url(public_url, code):
    """The URL a package's QR code encodes."""
    return f"{public_url.rstrip('/')}/s/{code}"


def create_batch(brand_id, product_id, quantity, created_by_user_id=None):
    """Record a batch to be filled by `fill_batch` (directly or from a job)."""
    batch = CodeBatch(
        brand_id=brand_id,
        product_id=product_id,
        quantity=quantity,
        created_by_user_id=created_by_user_id,
        status="pending",
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def fill_batch(batch_id, progress=None):
    """Generate the batch's missing codes in chunks, committing after each chunk."""
    batch = db.session.get(CodeBatch, batch_id)
    batch.status = "running"
    db.session.commit()
    while batch.generated_count < batch.quantity:
        size = min(INSERT_CHUNK, batch.quantity - batch.generated_count)
        _insert_unique_codes(batch, size)
        batch.generated_count += size
        db.session.commit()
        if progress:
            progress(batch.generated_count, batch.quantity)
    batch.status = "done"
    batch.completed_at = utcnow()
    db.session.commit()
    return batch


def _insert_unique_codes(batch, size):
    codes = {new_code() for _ in range(size)}
    while True:
        taken = set(db.session.scalars(select(ScanCode.code).where(ScanCode.code.in_(codes))))
        codes -= taken
        if len(codes) == size:
            break
        codes |= {new_code() for _ in range(size - len(codes))}
    now = utcnow()
    db.session.execute(
        insert(ScanCode),
        [
            {"product_id": batch.product_id, "code": code, "batch_id": batch.id, "created_at": now}
            for code in codes
        ],
    )


def generate_codes(brand_id, product_id, quantity, created_by_user_id=None):
    """Create and fill a batch right away; returns the batch."""
    batch = create_batch(brand_id, product_id, quantity, created_by_user_id)
    db.session.commit()
    return fill_batch(batch.id)


def batch_csv_rows(batch_id, public_url):
    """Yield CSV lines `code,url` for a batch, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "url"])
    yield buffer.getvalue()
    rows = db.session.execute(
        select(ScanCode.code).where(ScanCode.batch_id == batch_id).order_by(ScanCode.id)
    ).yield_per(5000)
    for (code,) in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([code, claim_url(public_url, code)])
        yield buffer.getvalue()
