"""Scan codes: generation in batches, CSV export, voiding, and the one-winner claim."""

import csv
import io
import secrets

from sqlalchemy import insert, select, update

from webapp.csv_cells import safe_row
from webapp.extensions import db
from webapp.models import CodeBatch, Product, ScanCode
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


def _lock_batch(batch_id):
    """The batch row, locked: filling a chunk and voiding the batch never interleave."""
    return db.session.scalars(
        select(CodeBatch)
        .where(CodeBatch.id == batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def start_filling(batch_id):
    """Mark the batch as running (the filling job commits it before the first chunk)."""
    batch = _lock_batch(batch_id)
    batch.status = "running"
    return batch


def fill_next_chunk(batch_id):
    """Add one chunk of missing codes under the batch's lock; None when the batch is full or
    was voided meanwhile (no code is created after it was voided)."""
    batch = _lock_batch(batch_id)
    if batch.voided_at is not None or batch.generated_count >= batch.quantity:
        return None
    size = min(INSERT_CHUNK, batch.quantity - batch.generated_count)
    _insert_unique_codes(batch, size)
    batch.generated_count += size
    return batch


def finish_filling(batch_id):
    """Mark the batch as done."""
    batch = _lock_batch(batch_id)
    batch.status = "done"
    batch.completed_at = utcnow()
    return batch


def void_batch_codes(batch_id):
    """Mark a batch void and void its unclaimed codes, in the caller's transaction.

    Claimed codes keep their history. Returns how many codes were voided.
    """
    batch = _lock_batch(batch_id)
    now = utcnow()
    batch.voided_at = batch.voided_at or now
    return _void_unclaimed(ScanCode.batch_id == batch_id, now)


def _void_unclaimed(condition, now):
    """Void the codes matching `condition` that nobody claimed and nobody voided yet."""
    return db.session.execute(
        update(ScanCode)
        .where(condition, ScanCode.voided_at.is_(None), ScanCode.claimed_by_user_id.is_(None))
        .values(voided_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def claim_code(code, user_id, now):
    """Claim an unclaimed, unvoided code: one conditional UPDATE, True for the one winner.

    Concurrent claimers queue on the row; the ones after the winner match nothing.
    """
    claimed = db.session.execute(
        update(ScanCode)
        .where(
            ScanCode.code == code,
            ScanCode.claimed_by_user_id.is_(None),
            ScanCode.voided_at.is_(None),
        )
        .values(claimed_by_user_id=user_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def product_for_code(code):
    """The product a code belongs to (None for an unknown code)."""
    return db.session.scalar(
        select(Product)
        .join(ScanCode, ScanCode.product_id == Product.id)
        .where(ScanCode.code == code)
    )


def code_status(code, user_id, brand_id):
    """Why a code cannot be claimed by `user_id` in `brand_id` (or "available" when it can):
    unknown, wrong_brand, voided, already_yours or already_claimed."""
    row = db.session.execute(
        select(ScanCode.claimed_by_user_id, ScanCode.voided_at, Product.brand_id)
        .join(Product, Product.id == ScanCode.product_id)
        .where(ScanCode.code == code)
    ).first()
    if row is None:
        return "unknown"
    claimed_by, voided_at, code_brand_id = row
    if code_brand_id != brand_id:
        return "wrong_brand"
    if voided_at is not None:
        return "voided"
    if claimed_by is None:
        return "available"
    return "already_yours" if claimed_by == user_id else "already_claimed"


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
        writer.writerow(safe_row([code, claim_url(public_url, code)]))
        yield buffer.getvalue()
