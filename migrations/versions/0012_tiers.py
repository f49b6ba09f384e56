"""Tiers that requalify: a member's grace on their wallet, ranks' entry rewards, and the
record of each entry reward paid.

`member_wallets` learns `tier_grace_started_on`, `tier_grace_ends_on` and `tier_dropped_on`;
`ranks` learns `entry_points` and `entry_product_id`; `tier_entry_rewards` holds one row per
member, brand and rank whose entry reward was paid (once ever).

Revision ID: 0012_tiers
Revises: 0011_expiry
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0012_tiers"
down_revision = "0011_expiry"
branch_labels = None
depends_on = None

BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
UINT = sa.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
WALLET_COLUMNS = ("tier_grace_started_on", "tier_grace_ends_on", "tier_dropped_on")


def upgrade():
    with op.batch_alter_table("member_wallets") as batch:
        for name in WALLET_COLUMNS:
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))
    with op.batch_alter_table("ranks") as batch:
        batch.add_column(sa.Column("entry_points", UINT, nullable=True))
        batch.add_column(sa.Column("entry_product_id", BIGID, nullable=True))
        batch.create_foreign_key(
            "fk_ranks_entry_product_id",
            "products",
            ["entry_product_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "tier_entry_rewards",
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("rank_key", sa.String(50), nullable=False),
        sa.Column("points", UINT, server_default=sa.text("0"), nullable=False),
        sa.Column("product_id", BIGID, nullable=True),
        sa.Column(
            "granted_at",
            sa.TIMESTAMP(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_tier_entry_rewards_user_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name="fk_tier_entry_rewards_brand_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_tier_entry_rewards_product_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("user_id", "brand_id", "rank_key", name="pk_tier_entry_rewards"),
        **TABLE_OPTIONS,
    )


def downgrade():
    op.drop_table("tier_entry_rewards")
    with op.batch_alter_table("ranks") as batch:
        batch.drop_constraint("fk_ranks_entry_product_id", type_="foreignkey")
        batch.drop_column("entry_product_id")
        batch.drop_column("entry_points")
    with op.batch_alter_table("member_wallets") as batch:
        for name in WALLET_COLUMNS:
            batch.drop_column(name)
