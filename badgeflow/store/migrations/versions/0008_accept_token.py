"""Each credential gets the secret of its learner's accept link (`credentials.accept_token`).

Existing credentials are given a fresh random token here, so every credential has one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("accept_token", sa.String(length=64), nullable=True))
    credentials = sa.table("credentials", sa.column("id", sa.String), sa.column("accept_token"))
    connection = op.get_bind()
    ids = connection.execute(sa.select(credentials.c.id)).scalars().all()
    for credential_id in ids:
        connection.execute(
            credentials.update()
            .where(credentials.c.id == credential_id)
            .values(accept_token=secrets.token_hex(16))
        )
    with op.batch_alter_table("credentials") as batch:
        batch.create_unique_constraint("uq_credentials_accept_token", ["accept_token"])


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.drop_constraint("uq_credentials_accept_token", type_="unique")
        batch.drop_column("accept_token")
