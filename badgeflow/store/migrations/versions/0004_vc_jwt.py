"""VC-JWT: the compact JWS of each credential, when ``issuance.formats`` includes ``vc-jwt``.

Revision ID: 0004
Revises: 0002 (branch jwt; becomes 0003 when merged after the verify2 migration)
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("jwt", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("jwt")
