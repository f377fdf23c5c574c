"""The batch ledger: a batch's parameters and what a resumed run needs.

``parameters`` keeps the flow parameters the batch was started with (a re-run reads them);
``progress`` keeps per-stage resume data (each source's ingest result and its watermark to
commit at the end, the summary as of the last finished stage, email counts so far).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

EMPTY = sa.text("'{}'")


def upgrade() -> None:
    # The default fills the rows of existing batches, then goes: new rows get their value
    # from the application (PostgreSQL's json type has no equality, so a server default on
    # it cannot even be compared by Alembic's autogenerate).
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("parameters", sa.JSON(), nullable=False, server_default=EMPTY))
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=False, server_default=EMPTY))
    with op.batch_alter_table("batches") as batch:
        batch.alter_column("parameters", server_default=None)
        batch.alter_column("progress", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("progress")
        batch.drop_column("parameters")
