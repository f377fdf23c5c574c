"""Outbox delivery states: held (pilot), sending (in flight), bounced; retry time and codes.

Failed rows that still had attempts left stay retryable (``next_attempt_at`` NULL means
"as soon as the next run").

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

_NEW = "status IN ('pending', 'held', 'sending', 'sent', 'failed', 'bounced')"
_OLD = "status IN ('pending', 'sent', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table("email_outbox") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("permanent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("last_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_email_outbox_status"), type_="check")
        batch.create_check_constraint(op.f("ck_email_outbox_status"), _NEW)


def downgrade() -> None:
    outbox = sa.table("email_outbox", sa.column("status", sa.String))
    op.execute(outbox.update().where(outbox.c.status == "bounced").values(status="failed"))
    op.execute(
        outbox.update().where(outbox.c.status.in_(["held", "sending"])).values(status="pending")
    )
    with op.batch_alter_table("email_outbox") as batch:
        batch.drop_constraint(op.f("ck_email_outbox_status"), type_="check")
        batch.create_check_constraint(op.f("ck_email_outbox_status"), _OLD)
        batch.drop_column("bounced_at")
        batch.drop_column("last_code")
        batch.drop_column("permanent")
        batch.drop_column("next_attempt_at")
