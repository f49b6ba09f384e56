"""Brands are walls: a wallet per membership, brand hosts, per-brand predictions, config stamp.

Wallets are made from the ledger (live and archive rows grouped by brand; a row without a
brand belongs to the member's sign-up brand), and every member gets a wallet at the brand they
signed up with. Hosts move from `brands.settings.hosts` to `brand_hosts` (the first brand to
list a host keeps it).

Revision ID: 0003_member_wallets
Revises: 0002_dashboard_index
"""

import json

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_member_wallets"
down_revision = "0002_dashboard_index"
branch_labels = None
depends_on = None

BIGID = (
    sa.BigInteger()
    .with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")
    .with_variant(sa.INTEGER(), "sqlite")
)
UINT = sa.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")
TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}


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
            "updated_at",
            sa.TIMESTAMP(),
            server_default=sa.text(on_update or "CURRENT_TIMESTAMP"),
        ),
    ]


def _prediction_columns():
    now_on_update = "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP" if _is_mysql() else None
    return [
        sa.Column("churn_probability", sa.Numeric(5, 4), server_default="0.0000"),
        sa.Column("predicted_lifetime_value", sa.Numeric(10, 2), server_default="0.00"),
        sa.Column("engagement_score", sa.Numeric(5, 4), server_default="0.0000"),
        sa.Column("product_affinity_scores", sa.JSON()),
        sa.Column("purchase_probability", sa.Numeric(5, 4), server_default="0.0000"),
        sa.Column("recommended_segment", sa.String(100)),
        sa.Column("next_best_action", sa.String(100)),
        sa.Column("ai_insights", sa.JSON()),
        sa.Column(
            "calculated_at",
            sa.TIMESTAMP(),
            server_default=sa.text(now_on_update or "CURRENT_TIMESTAMP"),
        ),
        sa.Column("last_synced_at", sa.TIMESTAMP(), server_default=sa.text("CURRENT_TIMESTAMP")),
        sa.Column("predicted_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("segments", sa.JSON()),
    ]


def _create_tables():
    op.create_table(
        "member_wallets",
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("points_balance", UINT, nullable=False, server_default=sa.text("0")),
        sa.Column("lifetime_points", UINT, nullable=False, server_default=sa.text("0")),
        sa.Column("current_rank_key", sa.String(50)),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False, server_default=sa.text("0")),
        sa.Column("marketing_consent_updated_at", sa.TIMESTAMP(), nullable=True),
        sa.Column("joined_at", sa.TIMESTAMP(), nullable=False),
        sa.Column("last_activity_at", sa.TIMESTAMP(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_member_wallets_user_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name="fk_member_wallets_brand_id"),
        sa.PrimaryKeyConstraint("user_id", "brand_id", name="pk_member_wallets"),
        **TABLE_OPTIONS,
    )
    for name, columns in (
        ("idx_brand_joined", ["brand_id", "joined_at"]),
        ("idx_brand_rank", ["brand_id", "current_rank_key"]),
        ("idx_brand_balance", ["brand_id", "points_balance"]),
        ("idx_brand_activity", ["brand_id", "last_activity_at"]),
    ):
        op.create_index(ix(name, "member_wallets"), "member_wallets", columns)
    op.create_table(
        "brand_hosts",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name="fk_brand_hosts_brand_id"),
        sa.PrimaryKeyConstraint("id", name="pk_brand_hosts"),
        sa.UniqueConstraint("host", name="unique_host"),
        **TABLE_OPTIONS,
    )
    op.create_index(ix("idx_brand_id", "brand_hosts"), "brand_hosts", ["brand_id"])
    op.create_table(
        "member_ai_profiles",
        sa.Column("user_id", BIGID, nullable=False),
        sa.Column("brand_id", BIGID, nullable=False),
        *_prediction_columns(),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_member_ai_profiles_user_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"], name="fk_member_ai_profiles_brand_id"),
        sa.PrimaryKeyConstraint("user_id", "brand_id", name="pk_member_ai_profiles"),
        **TABLE_OPTIONS,
    )
    op.create_index(
        ix("idx_brand_segment", "member_ai_profiles"),
        "member_ai_profiles",
        ["brand_id", "recommended_segment"],
    )
    op.create_table(
        "config_stamps",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_config_stamps"),
        **TABLE_OPTIONS,
    )
    with op.batch_alter_table("user_goals") as batch:
        batch.add_column(sa.Column("brand_id", BIGID, nullable=True))
        batch.create_foreign_key("fk_user_goals_brand_id", "brands", ["brand_id"], ["id"])
        batch.create_index(
            ix("idx_user_brand_active", "user_goals"), ["user_id", "brand_id", "is_active"]
        )


LEDGER_BY_WALLET = """
SELECT l.user_id, COALESCE(l.brand_id, u.signup_brand_id) AS brand_id,
       SUM(l.points_awarded) AS balance,
       SUM(CASE WHEN l.points_awarded > 0 AND l.action_type <> 'points_refunded'
                THEN l.points_awarded ELSE 0 END) AS lifetime,
       MIN(l.created_at) AS first_at, MAX(l.created_at) AS last_at
FROM (SELECT user_id, brand_id, points_awarded, action_type, created_at FROM user_action_log
      UNION ALL
      SELECT user_id, brand_id, points_awarded, action_type, created_at
      FROM user_action_log_archive) l
JOIN users u ON u.id = l.user_id
WHERE COALESCE(l.brand_id, u.signup_brand_id) IS NOT NULL
GROUP BY l.user_id, COALESCE(l.brand_id, u.signup_brand_id)
"""


def _fill_wallets(conn):
    wallets = sa.table(
        "member_wallets",
        sa.column("user_id"),
        sa.column("brand_id"),
        sa.column("points_balance"),
        sa.column("lifetime_points"),
        sa.column("marketing_consent"),
        sa.column("marketing_consent_updated_at"),
        sa.column("joined_at"),
        sa.column("last_activity_at"),
    )
    users = {
        row.id: row
        for row in conn.execute(
            sa.text(
                "SELECT id, signup_brand_id, created_at, marketing_consent,"
                " marketing_consent_updated_at FROM users"
            )
        )
    }
    rows = {}
    for row in conn.execute(sa.text(LEDGER_BY_WALLET)):
        rows[(row.user_id, row.brand_id)] = {
            "points_balance": max(int(row.balance or 0), 0),
            "lifetime_points": max(int(row.lifetime or 0), 0),
            "joined_at": row.first_at,
            "last_activity_at": row.last_at,
        }
    for user in users.values():
        if user.signup_brand_id is not None:
            rows.setdefault(
                (user.id, user.signup_brand_id),
                {"points_balance": 0, "lifetime_points": 0, "last_activity_at": None},
            )["joined_at"] = user.created_at
    values = []
    for (user_id, brand_id), wallet in rows.items():
        user = users[user_id]
        home = user.signup_brand_id == brand_id
        values.append(
            {
                "user_id": user_id,
                "brand_id": brand_id,
                **wallet,
                "joined_at": wallet["joined_at"] or user.created_at,
                # Consent was given where the member signed up; other brands never asked.
                "marketing_consent": bool(user.marketing_consent) and home,
                "marketing_consent_updated_at": user.marketing_consent_updated_at if home else None,
            }
        )
    for start in range(0, len(values), 1000):
        conn.execute(wallets.insert(), values[start : start + 1000])


RANK_OF_WALLET = """
UPDATE member_wallets SET current_rank_key = COALESCE((
    SELECT r.`key` FROM ranks r
    WHERE r.brand_id = member_wallets.brand_id AND r.is_active = 1
      AND r.points_required <= member_wallets.lifetime_points
    ORDER BY r.points_required DESC, r.id DESC LIMIT 1), 'member')
"""
USER_TOTALS = """
UPDATE users SET
  points_balance = COALESCE((SELECT SUM(w.points_balance) FROM member_wallets w
                             WHERE w.user_id = users.id), 0),
  lifetime_points = COALESCE((SELECT SUM(w.lifetime_points) FROM member_wallets w
                              WHERE w.user_id = users.id), 0)
"""
GOAL_BRANDS = """
UPDATE user_goals SET brand_id = COALESCE(
  (SELECT p.brand_id FROM products p WHERE p.id = user_goals.product_id),
  (SELECT u.signup_brand_id FROM users u WHERE u.id = user_goals.user_id))
"""


def _move_hosts(conn):
    taken = set()
    for brand in conn.execute(sa.text("SELECT id, settings FROM brands ORDER BY id")).all():
        settings = brand.settings
        if isinstance(settings, str):
            settings = json.loads(settings or "null")
        if not isinstance(settings, dict) or "hosts" not in settings:
            continue
        for host in settings.pop("hosts") or []:
            host = str(host).strip().lower()
            if host and host not in taken:
                taken.add(host)
                conn.execute(
                    sa.text("INSERT INTO brand_hosts (brand_id, host) VALUES (:b, :h)"),
                    {"b": brand.id, "h": host},
                )
        conn.execute(
            sa.text("UPDATE brands SET settings = :s WHERE id = :id"),
            {"s": json.dumps(settings), "id": brand.id},
        )


def upgrade():
    _create_tables()
    conn = op.get_bind()
    _fill_wallets(conn)
    conn.execute(sa.text(RANK_OF_WALLET))
    conn.execute(sa.text(USER_TOTALS))
    conn.execute(sa.text(GOAL_BRANDS))
    _move_hosts(conn)
    conn.execute(sa.text("INSERT INTO config_stamps (name, version) VALUES ('config', 0)"))


def _restore_hosts(conn):
    hosts = {}
    for row in conn.execute(sa.text("SELECT brand_id, host FROM brand_hosts ORDER BY id")):
        hosts.setdefault(row.brand_id, []).append(row.host)
    for brand_id, names in hosts.items():
        settings = conn.execute(
            sa.text("SELECT settings FROM brands WHERE id = :id"), {"id": brand_id}
        ).scalar()
        if isinstance(settings, str):
            settings = json.loads(settings or "null")
        settings = settings if isinstance(settings, dict) else {}
        settings["hosts"] = names
        conn.execute(
            sa.text("UPDATE brands SET settings = :s WHERE id = :id"),
            {"s": json.dumps(settings), "id": brand_id},
        )


def downgrade():
    _restore_hosts(op.get_bind())
    with op.batch_alter_table("user_goals") as batch:
        batch.drop_index(ix("idx_user_brand_active", "user_goals"))
        batch.drop_constraint("fk_user_goals_brand_id", type_="foreignkey")
        batch.drop_column("brand_id")
    op.drop_table("config_stamps")
    op.drop_table("member_ai_profiles")
    op.drop_table("brand_hosts")
    op.drop_table("member_wallets")
