"""Per-account session version: signing out or setting a password ends every earlier session.

Revision ID: 0004_hardening
Revises: 0003_member_wallets
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_hardening"
down_revision = "0003_member_wallets"
branch_labels = None
depends_on = None

UINT = sa.Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")


def upgrade():
    # A plain ADD COLUMN on both engines: a batch copy of `users` on SQLite would drop the old
    # table, and with foreign keys on that deletes every row that cascades from it.
    op.add_column(
        "users", sa.Column("session_version", UINT, nullable=False, server_default=sa.text("0"))
    )


def downgrade():
    # SQLite drops a column in place (3.35+); no batch copy of `users` (see upgrade).
    op.execute("ALTER TABLE users DROP COLUMN session_version")
