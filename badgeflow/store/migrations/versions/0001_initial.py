"""Initial schema: sources, batches, learners, completions, quarantine, awards, credentials,
email outbox, engagement events and metrics.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Plain types, frozen here: the models' UTCDateTime is DateTime(timezone=True) underneath.
UTC_TIMESTAMP = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("as_of", UTC_TIMESTAMP, nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("finished_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flow_run_id", sa.String(length=64), nullable=True),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed')", name=op.f("ck_batches_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batches")),
    )
    op.create_index("ix_batches_flow_run_id", "batches", ["flow_run_id"])
    op.create_index("ix_batches_started_at", "batches", ["started_at"])

    op.create_table(
        "learners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learners")),
        sa.UniqueConstraint("email", name=op.f("uq_learners_email")),
    )
    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("dimension", sa.String(length=200), nullable=False),
        sa.Column("period_start", UTC_TIMESTAMP, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("computed_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
        sa.UniqueConstraint(
            "name", "dimension", "period_start", name=op.f("uq_metrics_name_dimension_period_start")
        ),
    )
    op.create_index("ix_metrics_period_start", "metrics", ["period_start"])

    op.create_table(
        "quarantined_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column("record_key", sa.String(length=400), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_rows")),
    )
    op.create_index("ix_quarantined_rows_batch_id", "quarantined_rows", ["batch_id"])
    op.create_index("ix_quarantined_rows_source", "quarantined_rows", ["source"])

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("watermark", UTC_TIMESTAMP, nullable=True),
        sa.Column("updated_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("award_key", sa.String(length=400), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.String(length=100), nullable=False),
        sa.Column("awarded_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("valid_from", UTC_TIMESTAMP, nullable=False),
        sa.Column("valid_until", UTC_TIMESTAMP, nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'revoked', 'suspended')", name=op.f("ck_awards_status")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_awards_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
        sa.UniqueConstraint("award_key", name=op.f("uq_awards_award_key")),
    )
    op.create_index("ix_awards_achievement_id", "awards", ["achievement_id"])
    op.create_index("ix_awards_awarded_at", "awards", ["awarded_at"])
    op.create_index("ix_awards_batch_id", "awards", ["batch_id"])
    op.create_index("ix_awards_learner_id", "awards", ["learner_id"])

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("source_record_id", sa.String(length=255), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=50), nullable=False),
        sa.Column("lms_learner_id", sa.String(length=255), nullable=True),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("course_name", sa.Text(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("completed_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("score_kind", sa.String(length=32), nullable=True),
        sa.Column("modules_completed", sa.Integer(), nullable=True),
        sa.Column("modules_total", sa.Integer(), nullable=True),
        sa.Column("progress_pct", sa.Double(), nullable=True),
        sa.Column("fetched_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("first_batch_id", sa.String(length=36), nullable=False),
        sa.Column("last_batch_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learners.id"], name=op.f("fk_completions_learner_id_learners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
        sa.UniqueConstraint(
            "source", "source_record_id", name=op.f("uq_completions_source_source_record_id")
        ),
    )
    op.create_index("ix_completions_course_id", "completions", ["course_id"])
    op.create_index("ix_completions_first_batch_id", "completions", ["first_batch_id"])
    op.create_index("ix_completions_last_batch_id", "completions", ["last_batch_id"])
    op.create_index("ix_completions_learner_id", "completions", ["learner_id"])

    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("award_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=32), server_default="ob3-di", nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("salt", sa.String(length=128), nullable=True),
        sa.Column("verification_method", sa.String(length=500), nullable=False),
        sa.Column("issued_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("baked_path", sa.String(length=1000), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_credentials_award_id_awards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("award_id", name=op.f("uq_credentials_award_id")),
    )
    op.create_index("ix_credentials_batch_id", "credentials", ["batch_id"])
    op.create_index("ix_credentials_issued_at", "credentials", ["issued_at"])

    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.Column("sent_at", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_email_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_email_outbox_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
        sa.UniqueConstraint(
            "credential_id", "kind", name=op.f("uq_email_outbox_credential_id_kind")
        ),
    )
    op.create_index("ix_email_outbox_status_created_at", "email_outbox", ["status", "created_at"])

    op.create_table(
        "engagement_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_engagement_events_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_events")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_engagement_events_source_external_id")
        ),
    )
    op.create_index("ix_engagement_events_credential_id", "engagement_events", ["credential_id"])
    op.create_index("ix_engagement_events_kind", "engagement_events", ["kind"])
    op.create_index("ix_engagement_events_occurred_at", "engagement_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("engagement_events")
    op.drop_table("email_outbox")
    op.drop_table("credentials")
    op.drop_table("completions")
    op.drop_table("awards")
    op.drop_table("sources")
    op.drop_table("quarantined_rows")
    op.drop_table("metrics")
    op.drop_table("learners")
    op.drop_table("batches")
