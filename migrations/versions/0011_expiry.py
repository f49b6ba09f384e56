"""Points expiry: the reminders already sent, so each goes once per member and expiry date.

`points_expiry_reminders` holds one row per member, brand, expiry date and reminder day
(30, 7, ... days before) whose `points_expiring` event the daily run has recorded.

Revision ID: 0011_expiry
Revises: 0010_program_economy
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0011_expiry"
down_revision = "0010_program_economy"
branch_labels = None
depends_on = None

BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


def upgrade():
    op.create_table(
        "points_expiry_reminders",
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column(
            "sent_at",
            sa.TIMESTAMP(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_points_expiry_reminders_user_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name="fk_points_expiry_reminders_brand_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id",
            "brand_id",
            "expires_on",
            "days_before",
            name="pk_points_expiry_reminders",
        ),
        **TABLE_OPTIONS,
    )
    op.create_index(
        "idx_expiry_reminders_brand", "points_expiry_reminders", ["brand_id", "expires_on"]
    )


def downgrade():
    op.drop_table("points_expiry_reminders")
