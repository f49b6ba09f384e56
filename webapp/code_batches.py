"""Filling code batches: the job (and the command-line shortcut) that commits chunk by chunk,
so a large batch shows its progress and a voided one stops filling; and the job that takes a
recalled batch's points back, member by member, one commit per chunk of members."""

from datetime import timedelta

from sqlalchemy import select

from webapp.db_retry import retry_once_on_deadlock
from webapp.extensions import db
from webapp.loyalty.codes import create_batch, fill_next_chunk, finish_filling, start_filling
from webapp.loyalty.recalls import claimants, reverse_member
from webapp.models import CodeBatch
from webapp.timeutil import utcnow

# Members whose points one transaction of the reversal takes back.
REVERSAL_CHUNK = 200
# A reversal asked this long ago and still unfinished lost its job: the scheduler finishes it.
REVERSAL_GRACE = timedelta(minutes=15)


def fill_batch(batch_id, progress=None):
    """Generate the batch's missing codes in chunks, committing after each chunk."""
    start_filling(batch_id)
    db.session.commit()
    while (batch := fill_next_chunk(batch_id)) is not None:
        db.session.commit()
        if progress:
            progress(batch.generated_count, batch.quantity)
    batch = finish_filling(batch_id)
    db.session.commit()
    return batch


def generate_codes(brand_id, product_id, quantity, created_by_user_id=None):
    """Create and fill a batch right away; returns the batch."""
    batch = create_batch(brand_id, product_id, quantity, created_by_user_id)
    db.session.commit()
    return fill_batch(batch.id)


def reverse_batch_points(batch_id, progress=None):
    """Take back the points of a batch whose reversal staff asked for: each member who claimed
    one of its codes once, REVERSAL_CHUNK members per commit. Run again (a retry, a second
    job) it takes nothing twice. Returns how many members it changed."""
    batch = db.session.get(CodeBatch, batch_id, populate_existing=True)
    if batch is None or batch.points_reversal_requested_at is None:
        return 0
    user_ids = sorted(claimants(batch_id))
    db.session.commit()
    changed = 0
    for start in range(0, len(user_ids), REVERSAL_CHUNK):
        changed += _reverse_chunk(batch_id, user_ids[start : start + REVERSAL_CHUNK])
        if progress:
            progress(min(start + REVERSAL_CHUNK, len(user_ids)), len(user_ids))
    batch = db.session.get(CodeBatch, batch_id, populate_existing=True)
    batch.points_reversed_at = batch.points_reversed_at or utcnow()
    db.session.commit()
    return changed


@retry_once_on_deadlock
def _reverse_chunk(batch_id, user_ids):
    batch = db.session.get(CodeBatch, batch_id, populate_existing=True)
    changed = sum(reverse_member(batch, user_id) is not None for user_id in user_ids)
    db.session.commit()
    return changed


def finish_lost_reversals():
    """The scheduler's hourly look: finish the reversals whose job was lost (Redis down, a
    worker killed); a job still running beside it takes nothing twice."""
    cutoff = utcnow() - REVERSAL_GRACE
    batch_ids = db.session.scalars(
        select(CodeBatch.id).where(
            CodeBatch.points_reversal_requested_at < cutoff, CodeBatch.points_reversed_at.is_(None)
        )
    ).all()
    db.session.commit()
    for batch_id in batch_ids:
        reverse_batch_points(batch_id)
