"""Dashboard index covers points and product, so per-brand figures read the index only.

Revision ID: 0002_dashboard_index
Revises: 0001
"""

from alembic import op

revision = "0002_dashboard_index"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_COLUMNS = ["brand_id", "action_type", "created_at", "points_awarded", "product_id"]
OLD_COLUMNS = ["brand_id", "action_type", "created_at"]


def _replace(columns):
    if op.get_bind().dialect.name in ("mysql", "mariadb"):
        # One ALTER: the table is rebuilt once and never left without the index.
        op.execute(
            "ALTER TABLE user_action_log DROP INDEX idx_brand_created, "
            f"ADD INDEX idx_brand_created ({', '.join(columns)})"
        )
        return
    name = "user_action_log__idx_brand_created"  # SQLite: index names are per database
    op.drop_index(name, table_name="user_action_log")
    op.create_index(name, "user_action_log", columns)


def upgrade():
    _replace(NEW_COLUMNS)


def downgrade():
    _replace(OLD_COLUMNS)
