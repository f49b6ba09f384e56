"""Compliance: a brand's rules per region, the consent ledger, and the member's region.

`jurisdiction_rules` holds, per brand and region (ISO 3166-2), the minimum age and what the
program may do there; `consent_events` is the append-only record of every consent given or
withdrawn; `member_wallets.region` and `medical_attested_at` say where a member lives and
whether they attested to being a registered medical patient.

Revision ID: 0008_compliance
Revises: 0007_money
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008_compliance"
down_revision = "0007_money"
branch_labels = None
depends_on = None

BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
CHANNELS = ("email", "sms", "loyalty_terms", "privacy")
SOURCES = ("registration", "profile", "webhook", "staff", "join")
RULE_FLAGS = (
    ("registration_allowed", "1"),
    ("earning_allowed", "1"),
    ("redemption_allowed", "1"),
    ("physical_rewards_allowed", "1"),
    ("referral_bonuses_allowed", "1"),
    ("medical_only", "0"),
)


def _is_mysql():
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def ix(name, table):
    """Index names are per table on MySQL but per database on SQLite."""
    return name if _is_mysql() else f"{table}__{name}"


def _timestamps():
    on_update = "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP" if _is_mysql() else None
    return [
        sa.Column("created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column(
            "updated_at", sa.TIMESTAMP(), server_default=sa.text(on_update or "CURRENT_TIMESTAMP")
        ),
    ]


def _create_rules():
    op.create_table(
        "jurisdiction_rules",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("region", sa.String(10), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("min_age", sa.SmallInteger(), nullable=False, server_default=sa.text("21")),
        *[
            sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.text(default))
            for flag, default in RULE_FLAGS
        ],
        *_timestamps(),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name="fk_jurisdiction_rules_brand_id"),
        sa.PrimaryKeyConstraint("id", name="pk_jurisdiction_rules"),
        sa.UniqueConstraint("brand_id", "region", name="unique_brand_region"),
        **TABLE_OPTIONS,
    )


def _create_consents():
    op.create_table(
        "consent_events",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column(
            "channel", sa.Enum(*CHANNELS, name="consent_channel", native_enum=True), nullable=False
        ),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column(
            "source", sa.Enum(*SOURCES, name="consent_source", native_enum=True), nullable=False
        ),
        sa.Column("version", sa.String(50), nullable=True),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("staff_user_id", BIGID, nullable=True),
        sa.Column("subject_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_consent_events_user_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name="fk_consent_events_brand_id"),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["users.id"],
            name="fk_consent_events_staff_user_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_consent_events"),
        **TABLE_OPTIONS,
    )
    op.create_index(
        ix("idx_member_channel", "consent_events"),
        "consent_events",
        ["user_id", "brand_id", "channel", "created_at"],
    )
    op.create_index(
        ix("idx_brand_created", "consent_events"), "consent_events", ["brand_id", "created_at"]
    )


def upgrade():
    _create_rules()
    _create_consents()
    with op.batch_alter_table("member_wallets") as table:
        table.add_column(sa.Column("region", sa.String(10), nullable=True))
        table.add_column(sa.Column("medical_attested_at", sa.TIMESTAMP(), nullable=True))


def downgrade():
    with op.batch_alter_table("member_wallets") as table:
        table.drop_column("medical_attested_at")
        table.drop_column("region")
    op.drop_table("consent_events")  # its indexes go with it
    op.drop_table("jurisdiction_rules")
