"""Status lists: slot counters, per-credential status entries and the status audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")
LIST_SIZE = 131_072  # W3C Bitstring Status List minimum (16 KiB)


def upgrade() -> None:
    counters = op.create_table(
        "status_counters",
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("list_size", sa.Integer(), nullable=False),
        sa.Column("next_position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('revocation', 'suspension')", name=op.f("ck_status_counters_purpose")
        ),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_status_counters")),
    )
    op.bulk_insert(
        counters,
        [
            {"purpose": purpose, "list_size": LIST_SIZE, "next_position": 0}
            for purpose in ("revocation", "suspension")
        ],
    )
    op.create_table(
        "status_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("list_number", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "purpose IN ('revocation', 'suspension')", name=op.f("ck_status_entries_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_status_entries_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_entries")),
        sa.UniqueConstraint(
            "credential_id", "purpose", name=op.f("uq_status_entries_credential_id_purpose")
        ),
        sa.UniqueConstraint(
            "purpose",
            "list_number",
            "status_index",
            name=op.f("uq_status_entries_purpose_list_number_status_index"),
        ),
    )
    op.create_table(
        "status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "action IN ('revoke', 'suspend', 'reinstate')", name=op.f("ck_status_events_action")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_status_events_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
    )
    op.create_index("ix_status_events_at", "status_events", ["at"])
    op.create_index("ix_status_events_credential_id", "status_events", ["credential_id"])


def downgrade() -> None:
    op.drop_table("status_events")
    op.drop_table("status_entries")
    op.drop_table("status_counters")
