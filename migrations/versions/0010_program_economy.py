"""Program economy: the ledger's new actions and the record of each brand's finished days.

`user_action_log.action_type` (and its archive) learn `campaign_bonus_awarded`,
`birthday_bonus`, `tier_reward` and `points_reversed`; `program_days` holds one row per brand
and day whose daily program run (expiry, tiers, birthdays) has finished.

Revision ID: 0010_program_economy
Revises: 0009_locale
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010_program_economy"
down_revision = "0009_locale"
branch_labels = None
depends_on = None

BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
OLD_ACTIONS = (
    "product_scanned",
    "referral_initiated",
    "referral_converted",
    "wishlist_added",
    "achievement_unlocked",
    "reward_redeemed",
    "user_session_started",
    "user_session_ended",
    "points_adjusted",
    "points_refunded",
    "points_expired",
    "referral_bonus",
    "wishlist_removed",
    "goal_set",
    "goal_reached",
    "rank_changed",
    "password_reset",
    "profile_updated",
)
NEW_ACTIONS = OLD_ACTIONS + (
    "campaign_bonus_awarded",
    "birthday_bonus",
    "tier_reward",
    "points_reversed",
)
LOG_TABLES = ("user_action_log", "user_action_log_archive")


def _is_mysql():
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def _set_actions(actions):
    """The ENUM's values on MariaDB/MySQL (SQLite stores a plain string: nothing to change)."""
    if not _is_mysql():
        return
    values = ", ".join(f"'{value}'" for value in actions)
    for table in LOG_TABLES:
        op.execute(f"ALTER TABLE {table} MODIFY action_type ENUM({values}) NOT NULL")


def upgrade():
    _set_actions(NEW_ACTIONS)
    op.create_table(
        "program_days",
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column(
            "finished_at",
            sa.TIMESTAMP(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name="fk_program_days_brand_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brand_id", "day", name="pk_program_days"),
        **TABLE_OPTIONS,
    )


def downgrade():
    # Ledger rows of the new actions cannot stay in an ENUM without them, and deleting them
    # would change balances: refuse, and let the operator decide.
    new_actions = NEW_ACTIONS[len(OLD_ACTIONS) :]
    for table in LOG_TABLES:
        count = op.get_bind().scalar(
            sa.text(f"SELECT COUNT(*) FROM {table} WHERE action_type IN :actions").bindparams(
                sa.bindparam("actions", value=list(new_actions), expanding=True)
            )
        )
        if count:
            raise RuntimeError(f"{table} holds {count} rows of {', '.join(new_actions)}")
    op.drop_table("program_days")
    _set_actions(OLD_ACTIONS)
