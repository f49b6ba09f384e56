"""The member's language: `users.locale` ("en", "es", "fr_CA"; NULL follows the browser).

Revision ID: 0009_locale
Revises: 0008_compliance
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_locale"
down_revision = "0008_compliance"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both engines: no batch copy of `users` on SQLite (see 0004).
    op.add_column("users", sa.Column("locale", sa.String(16), nullable=True))


def downgrade():
    # SQLite drops a column in place (3.35+); no batch copy of `users`.
    op.execute("ALTER TABLE users DROP COLUMN locale")
