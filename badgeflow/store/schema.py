"""The database tables, as typed SQLAlchemy 2 declarative models.

Changing a model means adding an Alembic revision under ``migrations/versions/``;
``tests/badgeflow/store/test_engine.py`` fails when models and migrations drift apart.
``created_at`` columns are audit stamps from the database clock; every business time
(``awarded_at``, ``issued_at``, ...) is passed in by the caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal, get_args

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from badgeflow.models import JSONDict
from badgeflow.store.types import UTCDateTime

__all__ = [
    "Award",
    "AwardStatus",
    "Base",
    "Batch",
    "Completion",
    "Credential",
    "EngagementEvent",
    "Learner",
    "Metric",
    "PathwayProgress",
    "EmailOutbox",
    "QuarantinedRow",
    "Source",
    "StatusCounter",
    "StatusEntry",
    "StatusEvent",
    "WebhookEvent",
]

BATCH_STATUSES: Final = ("running", "succeeded", "failed")
AwardStatus = Literal["active", "revoked", "suspended"]
AWARD_STATUSES: Final[tuple[AwardStatus, ...]] = get_args(AwardStatus)
OUTBOX_STATUSES: Final = ("pending", "held", "sending", "sent", "failed", "bounced")
STATUS_PURPOSES: Final = ("revocation", "suspension")
STATUS_ACTIONS: Final = ("revoke", "suspend", "reinstate")

NAMING_CONVENTION: Final = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


def _created_at() -> Mapped[datetime]:
    return mapped_column(server_default=func.current_timestamp())


class Base(DeclarativeBase):
    """Declarative base: UTC datetimes, JSON documents, stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, JSONDict: JSON, list[str]: JSON}


class Source(Base):
    """A configured completion source and how far it has been read."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    watermark: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.current_timestamp(), onupdate=func.current_timestamp()
    )


class Batch(Base):
    """One run of the pipeline, with per-stage bookkeeping."""

    __tablename__ = "batches"
    __table_args__ = (_one_of("status", BATCH_STATUSES),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    as_of: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    flow_run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stages: Mapped[JSONDict] = mapped_column(default=dict)
    summary: Mapped[JSONDict] = mapped_column(default=dict)


class Learner(Base):
    """A person, identified by their normalised (trimmed, lower-case) email."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = _created_at()


class Completion(Base):
    """The latest known state of one completion record of one source."""

    __tablename__ = "completions"
    __table_args__ = (UniqueConstraint("source", "source_record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    source_record_id: Mapped[str] = mapped_column(String(255))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    source_system: Mapped[str] = mapped_column(String(50))
    lms_learner_id: Mapped[str | None] = mapped_column(String(255))
    course_id: Mapped[str] = mapped_column(String(255), index=True)
    course_name: Mapped[str | None] = mapped_column(Text)
    completed: Mapped[bool]
    completed_at: Mapped[datetime | None]
    score: Mapped[float | None]
    score_kind: Mapped[str | None] = mapped_column(String(32))
    modules_completed: Mapped[int | None]
    modules_total: Mapped[int | None]
    progress_pct: Mapped[float | None]
    fetched_at: Mapped[datetime]
    raw: Mapped[JSONDict | None]
    first_batch_id: Mapped[str] = mapped_column(String(36), index=True)
    last_batch_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = _created_at()


class QuarantinedRow(Base):
    """An input row the data contract rejected, kept with the reason for audit."""

    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    row_number: Mapped[int | None]
    record_key: Mapped[str | None] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[JSONDict | None]
    expectation: Mapped[str | None] = mapped_column(String(100))
    column_name: Mapped[str | None] = mapped_column(String(200))
    value: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class Award(Base):
    """A decision that a learner earned an achievement (before any credential exists)."""

    __tablename__ = "awards"
    __table_args__ = (_one_of("status", AWARD_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_key: Mapped[str] = mapped_column(String(400), unique=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    achievement_id: Mapped[str] = mapped_column(String(100), index=True)
    awarded_at: Mapped[datetime] = mapped_column(index=True)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    score: Mapped[float | None]
    evidence: Mapped[list[str]] = mapped_column(default=list)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = _created_at()


class Credential(Base):
    """The signed credential of an award; ``document`` keeps the exact signed bytes."""

    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), unique=True)
    format: Mapped[str] = mapped_column(String(32), default="ob3-di", server_default="ob3-di")
    document: Mapped[str] = mapped_column(Text)
    salt: Mapped[str | None] = mapped_column(String(128))
    verification_method: Mapped[str] = mapped_column(String(500))
    issued_at: Mapped[datetime] = mapped_column(index=True)
    baked_path: Mapped[str | None] = mapped_column(String(1000))
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    # The credential this one re-issued (`badgeflow reissue`); unique: one successor each.
    supersedes: Mapped[str | None] = mapped_column(String(36), index=True, unique=True)
    created_at: Mapped[datetime] = _created_at()
    jwt: Mapped[str | None] = mapped_column(Text)  # VC-JWT of the same credential, if issued
    # The secret part of the learner's accept link (`layout.accept_page`): only their email has it.
    accept_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class EmailOutbox(Base):
    """An email to send about a credential: the transactional-outbox pattern."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        UniqueConstraint("credential_id", "kind"),
        _one_of("status", OUTBOX_STATUSES),
        Index("ix_email_outbox_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    kind: Mapped[str] = mapped_column(String(32), default="award")
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = _created_at()
    sent_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    """``failed``: not retried before this time; ``sending``: presumed crashed after it."""
    permanent: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A ``failed`` email that is never retried (5xx refusal, or out of attempts)."""
    last_code: Mapped[str | None] = mapped_column(String(16))
    """The last SMTP reply code or DSN status (``451``, ``5.1.1``)."""
    bounced_at: Mapped[datetime | None]


class EngagementEvent(Base):
    """Something a recipient did with a credential (viewed, verified, shared...)."""

    __tablename__ = "engagement_events"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(255))
    raw: Mapped[JSONDict | None]
    created_at: Mapped[datetime] = _created_at()


class Metric(Base):
    """One value of a computed metric for a period and dimension."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("name", "dimension", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    dimension: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[datetime] = mapped_column(index=True)
    value: Mapped[float]
    computed_at: Mapped[datetime]


class StatusCounter(Base):
    """Where the next status list slot of a purpose comes from.

    Slot ``p`` is index ``p % list_size`` of list ``p // list_size + 1``; ``next_position``
    only grows, so a slot is never handed out twice (reserved slots of a failed transaction
    are skipped, not reused).
    """

    __tablename__ = "status_counters"
    __table_args__ = (_one_of("purpose", STATUS_PURPOSES),)

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    list_size: Mapped[int]
    next_position: Mapped[int]


class StatusEntry(Base):
    """A credential's bit in a status list (one per credential and purpose)."""

    __tablename__ = "status_entries"
    __table_args__ = (
        UniqueConstraint("credential_id", "purpose"),
        UniqueConstraint("purpose", "list_number", "status_index"),
        _one_of("purpose", STATUS_PURPOSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    list_number: Mapped[int]
    status_index: Mapped[int]
    created_at: Mapped[datetime] = _created_at()


class StatusEvent(Base):
    """Audit trail: who revoked, suspended or reinstated a credential, when and why."""

    __tablename__ = "status_events"
    __table_args__ = (_one_of("action", STATUS_ACTIONS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = _created_at()


class WebhookEvent(Base):
    """One completion event received by the webhook intake, kept until a batch has read it.

    ``event_key`` is the vendor's event id (or ``sha256:<body hash>`` when it sends none), so a
    redelivery is stored once. ``read_at`` is stamped by the batch that reads the event,
    ``consumed_at`` once that batch has committed.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("source", "event_key"),
        Index("ix_webhook_events_source_consumed_at", "source", "consumed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    event_key: Mapped[str] = mapped_column(String(255))
    vendor: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime]
    payload: Mapped[JSONDict]
    read_at: Mapped[datetime | None]
    consumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = _created_at()


class PathwayProgress(Base):
    """How far one learner is along one pathway: tiers held (current, active awards), next tier.

    Rewritten by the award stage for the learners a batch touched; ``updated_at`` is the clock
    of that batch.
    """

    __tablename__ = "pathway_progress"
    __table_args__ = (UniqueConstraint("learner_id", "pathway"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    pathway: Mapped[str] = mapped_column(String(100), index=True)
    tiers_held: Mapped[int]
    tiers_total: Mapped[int]
    next_tier: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]
