"""Quarantined rows keep the check they failed: expectation, column and offending value.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantined_rows") as batch:
        batch.add_column(sa.Column("expectation", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("column_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("value", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quarantined_rows") as batch:
        batch.drop_column("value")
        batch.drop_column("column_name")
        batch.drop_column("expectation")
