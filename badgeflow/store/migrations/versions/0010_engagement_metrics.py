"""Engagement and metrics: read positions, daily salts, deduplicated site hits, mail events,
per-credential engagement facts, metric roll-ups, the pathway funnel, and the views BI reads.

Replaces the placeholder ``engagement_events`` and ``metrics`` tables of ``0001``, which
nothing ever wrote. The views' SQL is frozen here; `badgeflow.metrics.views` documents them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)
NOW = sa.text("CURRENT_TIMESTAMP")

_METRICS = (
    "issued, accepted, acceptance_rate, median_hours_to_accept, p90_hours_to_accept, opened, "
    "linkedin_shared, linkedin_share_rate, shares, verification_views, downloads, bounced, "
    "bounce_rate, revoked, bot_hits, computed_at"
)
_DIMENSIONS = (
    ("achievement", "achievement_id"),
    ("course", "course_id"),
    ("pathway", "pathway"),
    ("source", "source"),
    ("cohort", "cohort"),
)
_CREDENTIAL_COLUMNS = (
    "credential_id, learner_id, achievement_id, course_id, pathway, source, cohort, issued_at, "
    "issued_week, status, email_status, bounced, opened_at, accepted_at, hours_to_accept, "
    "linkedin_shares, shares, first_shared_at, verification_views, downloads, bot_hits, "
    "updated_at"
)


def _views() -> dict[str, str]:
    rollups = "FROM metric_rollups WHERE dimension = '{dimension}' AND week_start IS {week}"
    views = {
        "metrics_credentials": f"SELECT {_CREDENTIAL_COLUMNS} FROM credential_engagement",
        "metrics_overall": f"SELECT {_METRICS} " + rollups.format(dimension="overall", week="NULL"),
        "metrics_overall_weekly": f"SELECT week_start, {_METRICS} "
        + rollups.format(dimension="overall", week="NOT NULL"),
        "metrics_pathway_funnel": "SELECT pathway, pathway_name, tier, tier_name, learners, "
        "share_of_first_tier, computed_at FROM pathway_funnel",
    }
    for dimension, column in _DIMENSIONS:
        views[f"metrics_by_{dimension}"] = f"SELECT key AS {column}, {_METRICS} " + rollups.format(
            dimension=dimension, week="NULL"
        )
        views[f"metrics_by_{dimension}_weekly"] = (
            f"SELECT key AS {column}, week_start, {_METRICS} "
            + rollups.format(dimension=dimension, week="NOT NULL")
        )
    return views


def upgrade() -> None:
    op.drop_table("engagement_events")
    op.drop_table("metrics")
    op.create_table(
        "engagement_cursors",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_engagement_cursors")),
    )
    op.create_table(
        "engagement_salts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_engagement_salts")),
    )
    op.create_table(
        "engagement_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("visitor", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("first_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "audience IN ('person', 'bot')", name=op.f("ck_engagement_hits_audience")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_hits")),
        sa.UniqueConstraint(
            "kind",
            "credential_id",
            "channel",
            "day",
            "visitor",
            name=op.f("uq_engagement_hits_kind_credential_id_channel_day_visitor"),
        ),
    )
    op.create_index("ix_engagement_hits_day", "engagement_hits", ["day"])
    op.create_index(
        "ix_engagement_hits_credential_id_kind", "engagement_hits", ["credential_id", "kind"]
    )
    op.create_table(
        "mail_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("message_id", sa.String(length=500), nullable=True),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_events")),
        sa.UniqueConstraint("provider", "event_id", name=op.f("uq_mail_events_provider_event_id")),
    )
    op.create_index("ix_mail_events_kind", "mail_events", ["kind"])
    op.create_index("ix_mail_events_occurred_at", "mail_events", ["occurred_at"])
    op.create_index("ix_mail_events_credential_id", "mail_events", ["credential_id"])
    op.create_table(
        "credential_engagement",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.String(length=100), nullable=False),
        sa.Column("course_id", sa.String(length=255), nullable=False),
        sa.Column("pathway", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("cohort", sa.String(length=100), nullable=False),
        sa.Column("issued_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("issued_week", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("email_status", sa.String(length=16), nullable=False),
        sa.Column("bounced", sa.Boolean(), nullable=False),
        sa.Column("opened_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("accepted_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("hours_to_accept", sa.Double(), nullable=True),
        sa.Column("linkedin_shares", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("first_shared_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("verification_views", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("bot_hits", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_credential_engagement")),
    )
    op.create_index("ix_credential_engagement_learner_id", "credential_engagement", ["learner_id"])
    op.create_index(
        "ix_credential_engagement_achievement_id", "credential_engagement", ["achievement_id"]
    )
    op.create_index(
        "ix_credential_engagement_issued_week", "credential_engagement", ["issued_week"]
    )
    op.create_table(
        "metric_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("acceptance_rate", sa.Double(), nullable=True),
        sa.Column("median_hours_to_accept", sa.Double(), nullable=True),
        sa.Column("p90_hours_to_accept", sa.Double(), nullable=True),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("linkedin_shared", sa.Integer(), nullable=False),
        sa.Column("linkedin_share_rate", sa.Double(), nullable=True),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("verification_views", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("bounced", sa.Integer(), nullable=False),
        sa.Column("bounce_rate", sa.Double(), nullable=True),
        sa.Column("revoked", sa.Integer(), nullable=False),
        sa.Column("bot_hits", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_rollups")),
    )
    op.create_index("ix_metric_rollups_dimension_key", "metric_rollups", ["dimension", "key"])
    op.create_table(
        "pathway_funnel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway", sa.String(length=100), nullable=False),
        sa.Column("pathway_name", sa.Text(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("achievement_ids", sa.JSON(), nullable=False),
        sa.Column("tier_name", sa.Text(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.Column("share_of_first_tier", sa.Double(), nullable=True),
        sa.Column("computed_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_funnel")),
        sa.UniqueConstraint("pathway", "tier", name=op.f("uq_pathway_funnel_pathway_tier")),
    )
    for name, select in _views().items():
        op.execute(f"CREATE VIEW {name} AS {select}")


def downgrade() -> None:
    for name in reversed(list(_views())):
        op.execute(f"DROP VIEW {name}")
    for table in (
        "pathway_funnel",
        "metric_rollups",
        "credential_engagement",
        "mail_events",
        "engagement_hits",
        "engagement_salts",
        "engagement_cursors",
    ):
        op.drop_table(table)
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
