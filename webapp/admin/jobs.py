"""Background jobs of the admin: plain functions taking ids, run by the worker."""

import logging

from webapp.code_batches import fill_batch
from webapp.extensions import db
from webapp.models import CodeBatch

log = logging.getLogger(__name__)


def generate_batch_codes(batch_id):
    """Fill a code batch; a failure is recorded on the batch for staff to see."""
    try:
        fill_batch(batch_id)
    except Exception as error:
        db.session.rollback()
        log.exception("code batch %s failed", batch_id)
        batch = db.session.get(CodeBatch, batch_id)
        batch.status = "failed"
        batch.error_message = str(error)[:1000]
        db.session.commit()
        raise
