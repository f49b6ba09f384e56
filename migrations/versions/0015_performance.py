"""Performance: indexes for the outbox's per-scan identify look-up and for its purge.

`idx_user_brand_waiting` (user_id, brand_id, event_type, status) answers "is an identify
already waiting for this member at this brand?" from the index, where `idx_user_id` read every
outbox row the member ever had; `idx_status_processed` (status, processed_at) lets the purge
find sent rows past their retention without reading the queue.

Revision ID: 0015_performance
Revises: 0014_birthdays
"""

from alembic import op

revision = "0015_performance"
down_revision = "0014_birthdays"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer_io_event_queue") as batch:
        batch.create_index(
            "idx_user_brand_waiting", ["user_id", "brand_id", "event_type", "status"]
        )
        batch.create_index("idx_status_processed", ["status", "processed_at"])


def downgrade():
    with op.batch_alter_table("customer_io_event_queue") as batch:
        batch.drop_index("idx_status_processed")
        batch.drop_index("idx_user_brand_waiting")
