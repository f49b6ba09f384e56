"""Money-grade: a redemption's idempotency key, and the time of each segment's last change.

`redemptions.idempotency_key` (unique per member) makes a resubmitted redeem form return the
first redemption; `segment_clock` on both AI profile tables orders segment enter/exit
webhooks by their payload time.

Revision ID: 0007_money
Revises: 0005_reliability
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_money"
down_revision = "0005_reliability"
branch_labels = None
depends_on = None

PROFILE_TABLES = ("member_ai_profiles", "user_ai_profiles")


def upgrade():
    with op.batch_alter_table("redemptions") as table:
        table.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))
        table.create_unique_constraint(
            "unique_user_idempotency_key", ["user_id", "idempotency_key"]
        )
    for name in PROFILE_TABLES:
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("segment_clock", sa.JSON(), nullable=True))


def downgrade():
    for name in PROFILE_TABLES:
        with op.batch_alter_table(name) as table:
            table.drop_column("segment_clock")
    with op.batch_alter_table("redemptions") as table:
        table.drop_constraint("unique_user_idempotency_key", type_="unique")
        table.drop_column("idempotency_key")
