"""Re-issue: credentials.supersedes names the credential a re-issued one replaces.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("credentials", sa.Column("supersedes", sa.String(length=36), nullable=True))
    # A unique index (not a table constraint) needs no table rebuild on SQLite; it keeps a
    # credential from being re-issued twice, even by two concurrent runs.
    op.create_index("ix_credentials_supersedes", "credentials", ["supersedes"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_credentials_supersedes", table_name="credentials")
    op.drop_column("credentials", "supersedes")
