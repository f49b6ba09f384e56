"""Per-account session version: signing out or setting a password ends every earlier session.

Revision ID: 0004_hardening
Revises: 0002_dashboard_index
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_hardening"
down_revision = "0002_dashboard_index"
branch_labels = None
depends_on = None

UINT = sa.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_version", UINT, nullable=False, server_default=sa.text("0"))
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
