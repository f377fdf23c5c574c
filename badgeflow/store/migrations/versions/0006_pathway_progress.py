"""Pathway progress: tiers held and next tier, per learner and pathway.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pathway_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("pathway", sa.String(length=100), nullable=False),
        sa.Column("tiers_held", sa.Integer(), nullable=False),
        sa.Column("tiers_total", sa.Integer(), nullable=False),
        sa.Column("next_tier", sa.String(length=100), nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learners.id"],
            name=op.f("fk_pathway_progress_learner_id_learners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_progress")),
        sa.UniqueConstraint(
            "learner_id", "pathway", name=op.f("uq_pathway_progress_learner_id_pathway")
        ),
    )
    op.create_index("ix_pathway_progress_learner_id", "pathway_progress", ["learner_id"])
    op.create_index("ix_pathway_progress_pathway", "pathway_progress", ["pathway"])


def downgrade() -> None:
    op.drop_index("ix_pathway_progress_pathway", table_name="pathway_progress")
    op.drop_index("ix_pathway_progress_learner_id", table_name="pathway_progress")
    op.drop_table("pathway_progress")
