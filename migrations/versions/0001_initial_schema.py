"""Initial schema: the 16 tables of the contract plus our additions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 10:56:22.147864

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
UINT = sa.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")


def _is_mysql():
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def now_on_update():
    """TIMESTAMP default that also moves on update where the engine supports it."""
    if _is_mysql():
        return sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP")
    return sa.text("CURRENT_TIMESTAMP")


def ix(name, table):
    """Index names are per table on MySQL but per database on SQLite."""
    return name if _is_mysql() else f"{table}__{name}"


def upgrade():
    op.create_table(
        "achievement_configs",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("achievement_key", sa.String(length=100), nullable=False),
        sa.Column(
            "achievement_type",
            sa.Enum(
                "scan_count",
                "purchase_amount",
                "referral_count",
                "wishlist_items",
                "achievement_unlocked",
                "custom",
                name="achievement_type",
            ),
            nullable=False,
        ),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("rewards", sa.JSON(), nullable=False),
        sa.Column("visibility", sa.JSON(), nullable=True),
        sa.Column("ai_enhancement", sa.JSON(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievement_configs")),
        sa.UniqueConstraint("achievement_key", "brand_id", name="unique_key_brand"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_active", "achievement_configs"), "achievement_configs", ["is_active"])
    op.create_index(ix("idx_brand_id", "achievement_configs"), "achievement_configs", ["brand_id"])

    op.create_table(
        "brands",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("customer_io_site_id", sa.String(length=100), nullable=True),
        sa.Column("customer_io_api_key", sa.String(length=255), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column("customer_io_region", sa.String(length=8), nullable=True),
        sa.Column("customer_io_webhook_signing_key", sa.String(length=255), nullable=True),
        sa.Column("customer_io_webhook_token", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("slug", name="slug"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_slug", "brands"), "brands", ["slug"])

    op.create_table(
        "customer_io_webhook_log",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("webhook_type", sa.String(length=100), nullable=False),
        sa.Column("user_id", BIGID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("processed_successfully", sa.Boolean(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.Column("dedupe_key", sa.String(length=191), nullable=True),
        sa.Column("event_timestamp", sa.TIMESTAMP(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_io_webhook_log")),
        sa.UniqueConstraint("dedupe_key", name="unique_dedupe_key"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_created_at", "customer_io_webhook_log"), "customer_io_webhook_log", ["created_at"]
    )
    op.create_index(
        ix("idx_unprocessed", "customer_io_webhook_log"),
        "customer_io_webhook_log",
        ["processed_at", "id"],
    )
    op.create_index(
        ix("idx_user_id", "customer_io_webhook_log"), "customer_io_webhook_log", ["user_id"]
    )
    op.create_index(
        ix("idx_webhook_type", "customer_io_webhook_log"),
        "customer_io_webhook_log",
        ["webhook_type"],
    )

    op.create_table(
        "customer_io_webhook_log_archive",
        sa.Column("id", BIGID, autoincrement=False, nullable=False),
        sa.Column("webhook_type", sa.String(length=100), nullable=False),
        sa.Column("user_id", BIGID, nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("processed_successfully", sa.Boolean(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.Column("dedupe_key", sa.String(length=191), nullable=True),
        sa.Column("event_timestamp", sa.TIMESTAMP(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_io_webhook_log_archive")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_archive_created_at", "customer_io_webhook_log_archive"),
        "customer_io_webhook_log_archive",
        ["created_at"],
    )
    op.create_index(
        ix("idx_archive_user_id", "customer_io_webhook_log_archive"),
        "customer_io_webhook_log_archive",
        ["user_id"],
    )

    op.create_table(
        "user_action_log_archive",
        sa.Column("id", BIGID, autoincrement=False, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column(
            "action_type",
            sa.Enum(
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
                name="action_type",
            ),
            nullable=False,
        ),
        sa.Column("action_data", sa.JSON(), nullable=True),
        sa.Column("product_id", BIGID, nullable=True),
        sa.Column("points_awarded", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_action_log_archive")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_archive_created_at", "user_action_log_archive"),
        "user_action_log_archive",
        ["created_at"],
    )
    op.create_index(
        ix("idx_archive_user_action", "user_action_log_archive"),
        "user_action_log_archive",
        ["user_id", "action_type"],
    )

    op.create_table(
        "custom_fields",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("field_key", sa.String(length=100), nullable=False),
        sa.Column("field_label", sa.String(length=255), nullable=False),
        sa.Column(
            "field_type",
            sa.Enum("text", "select", "checkbox", "radio", name="field_type"),
            nullable=False,
        ),
        sa.Column("field_options", sa.JSON(), nullable=True),
        sa.Column("is_required", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("field_order", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_custom_fields_brand_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("field_key", "brand_id", name="unique_key_brand"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_brand_id", "custom_fields"), "custom_fields", ["brand_id"])

    op.create_table(
        "products",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("msrp", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("points_award", sa.Integer(), nullable=False),
        sa.Column("product_line", sa.String(length=100), nullable=True),
        sa.Column("product_form", sa.String(length=100), nullable=True),
        sa.Column("strain_name", sa.String(length=100), nullable=True),
        sa.Column(
            "strain_type", sa.Enum("Sativa", "Indica", "Hybrid", name="strain_type"), nullable=True
        ),
        sa.Column("potency_thc_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("potency_cbd_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("dominant_terpene", sa.String(length=100), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("is_featured", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("is_new", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("is_limited", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("points_cost", UINT, nullable=True),
        sa.Column("required_rank_key", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_products_brand_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("sku", "brand_id", name="unique_sku_brand"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_brand_id", "products"), "products", ["brand_id"])
    op.create_index(ix("idx_sku", "products"), "products", ["sku"])

    op.create_table(
        "ranks",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("points_required", UINT, nullable=False),
        sa.Column(
            "point_multiplier",
            sa.Numeric(precision=3, scale=2),
            server_default="1.00",
            nullable=True,
        ),
        sa.Column("benefits", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_ranks_brand_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranks")),
        sa.UniqueConstraint("key", "brand_id", name="unique_key_brand"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_brand_id", "ranks"), "ranks", ["brand_id"])

    op.create_table(
        "users",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("age_verified_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("marketing_consent", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("referral_code", sa.String(length=50), nullable=True),
        sa.Column("referred_by_user_id", BIGID, nullable=True),
        sa.Column("points_balance", UINT, server_default=sa.text("0"), nullable=True),
        sa.Column("lifetime_points", UINT, server_default=sa.text("0"), nullable=True),
        sa.Column("current_rank_key", sa.String(length=50), nullable=True),
        sa.Column("is_guest", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("signup_brand_id", BIGID, nullable=True),
        sa.Column("marketing_consent_updated_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("deleted_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referred_by_user_id"], ["users.id"], name=op.f("fk_users_referred_by_user_id")
        ),
        sa.ForeignKeyConstraint(
            ["signup_brand_id"],
            ["brands.id"],
            name=op.f("fk_users_signup_brand_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name="email"),
        sa.UniqueConstraint("referral_code", name="referral_code"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_email", "users"), "users", ["email"])
    op.create_index(ix("idx_rank_key", "users"), "users", ["current_rank_key"])
    op.create_index(ix("idx_referral_code", "users"), "users", ["referral_code"])
    op.create_index(ix("idx_signup_brand", "users"), "users", ["signup_brand_id", "created_at"])

    op.create_table(
        "brand_staff",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column(
            "role", sa.Enum("owner", "manager", "support", name="staff_role"), nullable=False
        ),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_brand_staff_brand_id")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_brand_staff_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_staff")),
        sa.UniqueConstraint("user_id", "brand_id", name="unique_user_brand"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_brand_id", "brand_staff"), "brand_staff", ["brand_id"])

    op.create_table(
        "code_batches",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=False),
        sa.Column("quantity", UINT, nullable=False),
        sa.Column("generated_count", UINT, server_default=sa.text("0"), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "running", "done", "failed", name="batch_status"),
            server_default="pending",
            nullable=True,
        ),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", BIGID, nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("completed_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("voided_at", sa.TIMESTAMP(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_code_batches_brand_id")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_code_batches_created_by_user_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_code_batches_product_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_batches")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_brand_id", "code_batches"), "code_batches", ["brand_id", "created_at"])

    op.create_table(
        "customer_io_event_queue",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("event_name", sa.String(length=255), nullable=False),
        sa.Column("event_data", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "processing", "sent", "failed", name="outbox_status"),
            server_default="pending",
            nullable=True,
        ),
        sa.Column("priority", sa.Integer(), server_default="10", nullable=True),
        sa.Column("attempt_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("last_attempt_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("processed_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.Column(
            "event_type",
            sa.Enum("event", "identify", "delete", name="outbox_type"),
            server_default="event",
            nullable=True,
        ),
        sa.Column("event_uid", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_customer_io_event_queue_brand_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_customer_io_event_queue_user_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_io_event_queue")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_brand_due", "customer_io_event_queue"),
        "customer_io_event_queue",
        ["brand_id", "status", "next_attempt_at"],
    )
    op.create_index(
        ix("idx_event_uid", "customer_io_event_queue"), "customer_io_event_queue", ["event_uid"]
    )
    op.create_index(
        ix("idx_status_priority", "customer_io_event_queue"),
        "customer_io_event_queue",
        ["status", "priority", "created_at"],
    )
    op.create_index(
        ix("idx_user_id", "customer_io_event_queue"), "customer_io_event_queue", ["user_id"]
    )

    op.create_table(
        "redemptions",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=False),
        sa.Column("points_spent", UINT, nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "fulfilled", "cancelled", name="redemption_status"),
            server_default="pending",
            nullable=True,
        ),
        sa.Column("shipping_name", sa.String(length=200), nullable=True),
        sa.Column("shipping_address1", sa.String(length=255), nullable=True),
        sa.Column("shipping_address2", sa.String(length=255), nullable=True),
        sa.Column("shipping_city", sa.String(length=100), nullable=True),
        sa.Column("shipping_region", sa.String(length=100), nullable=True),
        sa.Column("shipping_postal_code", sa.String(length=20), nullable=True),
        sa.Column("shipping_country", sa.String(length=2), nullable=True),
        sa.Column("shipping_phone", sa.String(length=20), nullable=True),
        sa.Column("staff_note", sa.Text(), nullable=True),
        sa.Column("handled_by_user_id", BIGID, nullable=True),
        sa.Column("fulfilled_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("cancelled_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name=op.f("fk_redemptions_brand_id")),
        sa.ForeignKeyConstraint(
            ["handled_by_user_id"],
            ["users.id"],
            name=op.f("fk_redemptions_handled_by_user_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_redemptions_product_id")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_redemptions_user_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_brand_status", "redemptions"), "redemptions", ["brand_id", "status", "created_at"]
    )
    op.create_index(ix("idx_user_id", "redemptions"), "redemptions", ["user_id"])

    op.create_table(
        "referral_codes",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_referral_codes_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("code", name="code"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_code", "referral_codes"), "referral_codes", ["code"])
    op.create_index(ix("idx_user_id", "referral_codes"), "referral_codes", ["user_id"])

    op.create_table(
        "referrals",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("referrer_user_id", BIGID, nullable=False),
        sa.Column("referee_user_id", BIGID, nullable=False),
        sa.Column("referral_code", sa.String(length=50), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "converted", "expired", name="referral_status"),
            server_default="pending",
            nullable=True,
        ),
        sa.Column("converted_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "points_awarded_to_referrer", sa.Integer(), server_default=sa.text("0"), nullable=True
        ),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.Column(
            "points_awarded_to_referee", sa.Integer(), server_default=sa.text("0"), nullable=True
        ),
        sa.Column("last_nudged_at", sa.TIMESTAMP(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_referrals_brand_id"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["referee_user_id"],
            ["users.id"],
            name=op.f("fk_referrals_referee_user_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_user_id"], ["users.id"], name=op.f("fk_referrals_referrer_user_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("referee_user_id", name="unique_referee"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_code_email", "referrals"), "referrals", ["referral_code", "email"])
    op.create_index(ix("idx_converted_at", "referrals"), "referrals", ["converted_at"])
    op.create_index(
        ix("idx_referrer_status", "referrals"), "referrals", ["referrer_user_id", "status"]
    )

    op.create_table(
        "staff_audit_log",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("staff_user_id", BIGID, nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=50), nullable=True),
        sa.Column("target_id", BIGID, nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_staff_audit_log_brand_id")
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["users.id"],
            name=op.f("fk_staff_audit_log_staff_user_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_audit_log")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_brand_created", "staff_audit_log"), "staff_audit_log", ["brand_id", "created_at"]
    )

    op.create_table(
        "user_achievements",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("achievement_config_id", BIGID, nullable=False),
        sa.Column("progress", UINT, server_default=sa.text("0"), nullable=True),
        sa.Column("completed", sa.Boolean(), server_default=sa.text("0"), nullable=True),
        sa.Column("completed_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("points_rewarded", UINT, server_default=sa.text("0"), nullable=True),
        sa.Column("boost_multiplier", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("boost_expires_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(
            ["achievement_config_id"],
            ["achievement_configs.id"],
            name=op.f("fk_user_achievements_achievement_config_id"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_achievements_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_achievements")),
        sa.UniqueConstraint("user_id", "achievement_config_id", name="unique_user_achievement"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_completed", "user_achievements"), "user_achievements", ["completed"])
    op.create_index(ix("idx_user_id", "user_achievements"), "user_achievements", ["user_id"])

    op.create_table(
        "user_action_log",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column(
            "action_type",
            sa.Enum(
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
                name="action_type",
            ),
            nullable=False,
        ),
        sa.Column("action_data", sa.JSON(), nullable=True),
        sa.Column("product_id", BIGID, nullable=True),
        sa.Column("points_awarded", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("brand_id", BIGID, nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brands.id"],
            name=op.f("fk_user_action_log_brand_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_user_action_log_product_id")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_action_log_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_action_log")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_brand_created", "user_action_log"),
        "user_action_log",
        ["brand_id", "action_type", "created_at"],
    )
    op.create_index(ix("idx_created_at", "user_action_log"), "user_action_log", ["created_at"])
    op.create_index(ix("idx_product_id", "user_action_log"), "user_action_log", ["product_id"])
    op.create_index(
        ix("idx_user_action", "user_action_log"), "user_action_log", ["user_id", "action_type"]
    )

    op.create_table(
        "user_ai_profiles",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column(
            "churn_probability",
            sa.Numeric(precision=5, scale=4),
            server_default="0.0000",
            nullable=True,
        ),
        sa.Column(
            "predicted_lifetime_value",
            sa.Numeric(precision=10, scale=2),
            server_default="0.00",
            nullable=True,
        ),
        sa.Column(
            "engagement_score",
            sa.Numeric(precision=5, scale=4),
            server_default="0.0000",
            nullable=True,
        ),
        sa.Column("product_affinity_scores", sa.JSON(), nullable=True),
        sa.Column(
            "purchase_probability",
            sa.Numeric(precision=5, scale=4),
            server_default="0.0000",
            nullable=True,
        ),
        sa.Column("recommended_segment", sa.String(length=100), nullable=True),
        sa.Column("next_best_action", sa.String(length=100), nullable=True),
        sa.Column("ai_insights", sa.JSON(), nullable=True),
        sa.Column("calculated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.Column(
            "last_synced_at",
            sa.TIMESTAMP(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=True,
        ),
        sa.Column("predicted_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_ai_profiles_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_ai_profiles")),
        sa.UniqueConstraint("user_id", name="user_id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_churn_probability", "user_ai_profiles"), "user_ai_profiles", ["churn_probability"]
    )
    op.create_index(
        ix("idx_engagement_score", "user_ai_profiles"), "user_ai_profiles", ["engagement_score"]
    )
    op.create_index(
        ix("idx_segment", "user_ai_profiles"), "user_ai_profiles", ["recommended_segment"]
    )

    op.create_table(
        "user_custom_field_values",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("custom_field_id", BIGID, nullable=False),
        sa.Column("field_value", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("updated_at", sa.TIMESTAMP(), server_default=now_on_update(), nullable=True),
        sa.ForeignKeyConstraint(
            ["custom_field_id"],
            ["custom_fields.id"],
            name=op.f("fk_user_custom_field_values_custom_field_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_custom_field_values_user_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_custom_field_values")),
        sa.UniqueConstraint("user_id", "custom_field_id", name="unique_user_field"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(
        ix("idx_user_id", "user_custom_field_values"), "user_custom_field_values", ["user_id"]
    )

    op.create_table(
        "user_goals",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=True),
        sa.Column(
            "goal_type",
            sa.Enum("wishlist_item", "achievement", "custom", name="goal_type"),
            nullable=False,
        ),
        sa.Column("target_points", UINT, nullable=True),
        sa.Column("current_points", UINT, server_default=sa.text("0"), nullable=True),
        sa.Column("goal_name", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("1"), nullable=True),
        sa.Column(
            "started_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.Column("completed_at", sa.TIMESTAMP(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_user_goals_product_id")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_goals_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_goals")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_completed", "user_goals"), "user_goals", ["completed_at"])
    op.create_index(ix("idx_user_active", "user_goals"), "user_goals", ["user_id", "is_active"])

    op.create_table(
        "wishlists",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=False),
        sa.Column(
            "added_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_wishlists_product_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wishlists_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishlists")),
        sa.UniqueConstraint("user_id", "product_id", name="unique_user_product"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_user_id", "wishlists"), "wishlists", ["user_id"])

    op.create_table(
        "scan_codes",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("product_id", BIGID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("batch_id", BIGID, nullable=True),
        sa.Column("claimed_by_user_id", BIGID, nullable=True),
        sa.Column("claimed_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("voided_at", sa.TIMESTAMP(), nullable=True),
        sa.Column(
            "created_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["code_batches.id"], name=op.f("fk_scan_codes_batch_id")
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_user_id"], ["users.id"], name=op.f("fk_scan_codes_claimed_by_user_id")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_scan_codes_product_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_codes")),
        sa.UniqueConstraint("code", name="unique_code"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index(ix("idx_batch_id", "scan_codes"), "scan_codes", ["batch_id"])
    op.create_index(
        ix("idx_claimed_by", "scan_codes"), "scan_codes", ["claimed_by_user_id", "claimed_at"]
    )
    op.create_index(ix("idx_product_id", "scan_codes"), "scan_codes", ["product_id"])


def downgrade():
    for table in (
        "scan_codes",
        "wishlists",
        "user_goals",
        "user_custom_field_values",
        "user_ai_profiles",
        "user_action_log",
        "user_achievements",
        "staff_audit_log",
        "referrals",
        "referral_codes",
        "redemptions",
        "customer_io_event_queue",
        "code_batches",
        "brand_staff",
        "users",
        "ranks",
        "products",
        "custom_fields",
        "user_action_log_archive",
        "customer_io_webhook_log_archive",
        "customer_io_webhook_log",
        "brands",
        "achievement_configs",
    ):
        op.drop_table(table)
