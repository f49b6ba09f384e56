"""Outbox rows carry the end of their retry window after a manual retry.

Revision ID: 0005_reliability
Revises: 0004_hardening
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_reliability"
down_revision = "0004_hardening"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer_io_event_queue") as batch:
        batch.add_column(sa.Column("retry_until", sa.TIMESTAMP(), nullable=True))


def downgrade():
    with op.batch_alter_table("customer_io_event_queue") as batch:
        batch.drop_column("retry_until")
