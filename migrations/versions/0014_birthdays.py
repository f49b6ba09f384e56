"""Birthdays and recalls: a member's birth month and day at a brand, and a batch's reversal.

`member_wallets.birth_month` / `birth_day` (no year; NULL when the member gave none) with
`idx_brand_birthday` for the daily run's look-up of the day's birthdays;
`code_batches.points_reversal_requested_at` (set once, by the staff action that asks for the
batch's points back) and `points_reversed_at` (when the reversal job finished).

Revision ID: 0014_birthdays
Revises: 0013_campaigns
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_birthdays"
down_revision = "0013_campaigns"
branch_labels = None
depends_on = None

BATCH_COLUMNS = ("points_reversal_requested_at", "points_reversed_at")


def upgrade():
    # Plain ADD COLUMN on both engines: no batch copy of the tables on SQLite (see 0004).
    op.add_column("member_wallets", sa.Column("birth_month", sa.SmallInteger(), nullable=True))
    op.add_column("member_wallets", sa.Column("birth_day", sa.SmallInteger(), nullable=True))
    op.create_index(
        "idx_brand_birthday", "member_wallets", ["brand_id", "birth_month", "birth_day"]
    )
    for name in BATCH_COLUMNS:
        op.add_column("code_batches", sa.Column(name, sa.TIMESTAMP(), nullable=True))


def downgrade():
    # SQLite drops a column in place (3.35+); no batch copy of the tables.
    for name in BATCH_COLUMNS:
        op.execute(f"ALTER TABLE code_batches DROP COLUMN {name}")
    op.drop_index("idx_brand_birthday", table_name="member_wallets")
    op.execute("ALTER TABLE member_wallets DROP COLUMN birth_day")
    op.execute("ALTER TABLE member_wallets DROP COLUMN birth_month")
