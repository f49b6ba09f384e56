"""Filling code batches: the job (and the command-line shortcut) that commits chunk by chunk,
so a large batch shows its progress and a voided one stops filling."""

from webapp.extensions import db
from webapp.loyalty.codes import create_batch, fill_next_chunk, finish_filling, start_filling


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
