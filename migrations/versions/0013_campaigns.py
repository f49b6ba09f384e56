"""Campaigns and earning caps: `campaigns` (a brand's time-boxed scan bonuses with their
targets, per-member cap and budget) and `member_earning_counts` (what a member earned in a
capped period).

Revision ID: 0013_campaigns
Revises: 0012_tiers
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0013_campaigns"
down_revision = "0012_tiers"
branch_labels = None
depends_on = None

BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
UINT = sa.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


def _timestamps():
    mysql_like = op.get_bind().dialect.name in ("mysql", "mariadb")
    on_update = "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP" if mysql_like else None
    return [
        sa.Column("created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column(
            "updated_at", sa.TIMESTAMP(), server_default=sa.text(on_update or "CURRENT_TIMESTAMP")
        ),
    ]


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("multiplier", sa.Numeric(6, 2), nullable=True),
        sa.Column("bonus_points", UINT, nullable=True),
        sa.Column("targets", sa.JSON(), nullable=True),
        sa.Column(
            "cap_kind",
            sa.Enum("points", "scans", name="campaign_cap_kind", create_constraint=False),
            nullable=True,
        ),
        sa.Column(
            "cap_period",
            sa.Enum("day", "week", "campaign", name="campaign_cap_period", create_constraint=False),
            nullable=True,
        ),
        sa.Column("cap_amount", UINT, nullable=True),
        sa.Column("budget_points", UINT, nullable=True),
        sa.Column("spent_points", UINT, server_default="0", nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name="fk_campaigns_brand_id", ondelete="CASCADE"
        ),
        **TABLE_OPTIONS,
    )
    op.create_index("idx_campaigns_brand_ends", "campaigns", ["brand_id", "ends_at"])
    op.create_table(
        "member_earning_counts",
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("points", UINT, server_default="0", nullable=False),
        sa.Column("scans", UINT, server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_member_earning_counts_user_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name="fk_member_earning_counts_brand_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "user_id", "brand_id", "scope", "period_start", name="pk_member_earning_counts"
        ),
        **TABLE_OPTIONS,
    )


def downgrade():
    op.drop_table("member_earning_counts")
    op.drop_table("campaigns")
