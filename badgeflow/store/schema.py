"""The database tables, as typed SQLAlchemy 2 declarative models.

Changing a model means adding an Alembic revision under ``migrations/versions/``;
``tests/badgeflow/store/test_engine.py`` fails when models and migrations drift apart.
``created_at`` columns are audit stamps from the database clock; every business time
(``awarded_at``, ``issued_at``, ...) is passed in by the caller.
"""

from __future__ import annotations

from datetime import date, datetime
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
    "CredentialEngagement",
    "EngagementCursor",
    "EngagementHit",
    "EngagementSalt",
    "Learner",
    "MailEvent",
    "MetricRollup",
    "PathwayFunnelTier",
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
    # The ledger (0011): the run's parameters, and what a resumed run needs per stage.
    parameters: Mapped[JSONDict] = mapped_column(default=dict)
    progress: Mapped[JSONDict] = mapped_column(default=dict)


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


HIT_AUDIENCES: Final = ("person", "bot")


class EngagementCursor(Base):
    """How far one engagement source (an access log, a mail event export) has been read.

    ``state`` is the source reader's own saved position (per-file fingerprints and offsets);
    ``version`` grows with every save, so two overlapping polls of one source cannot both
    commit (the second one's compare-and-set finds a newer version and rolls back).
    """

    __tablename__ = "engagement_cursors"

    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[JSONDict] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class EngagementSalt(Base):
    """The secret salt visitor hashes of one UTC day are keyed with.

    Deleted ``engagement.salt_days`` after its day: from then on nobody, the operator
    included, can link a stored visitor hash back to an IP address.
    """

    __tablename__ = "engagement_salts"

    day: Mapped[date] = mapped_column(primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created_at()


class EngagementHit(Base):
    """Requests of one visitor for one attributable site page on one UTC day (deduplicated).

    ``kind`` is one of `badgeflow.engagement.HIT_KINDS`; ``credential_id`` is the credential
    the page belongs to (accept tokens are resolved to it), ``""`` for pages of no credential
    (the verify page); ``channel`` is the share channel or download format, else ``""``.
    ``visitor`` is a keyed hash of IP address and user agent under the day's salt; no IP is
    stored. ``audience`` is ``person`` or ``bot`` (``agent`` names the bot family).
    """

    __tablename__ = "engagement_hits"
    __table_args__ = (
        UniqueConstraint("kind", "credential_id", "channel", "day", "visitor"),
        _one_of("audience", HIT_AUDIENCES),
        Index("ix_engagement_hits_credential_id_kind", "credential_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    credential_id: Mapped[str] = mapped_column(String(36), default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    day: Mapped[date] = mapped_column(index=True)
    visitor: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(8))
    agent: Mapped[str] = mapped_column(String(64), default="")
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    hits: Mapped[int] = mapped_column(default=1)
    source: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created_at()


class MailEvent(Base):
    """One event of a mail provider's event export (delivered, open, click, bounce...).

    Matched to the credential through the Message-ID badgeflow gave the email; no address is
    stored. ``(provider, event_id)`` is unique, so re-reading an export stores nothing twice.
    """

    __tablename__ = "mail_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    message_id: Mapped[str | None] = mapped_column(String(500))
    credential_id: Mapped[str | None] = mapped_column(String(36), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created_at()


class CredentialEngagement(Base):
    """Per-credential engagement facts, the grain every metric is rolled up from.

    Rebuilt incrementally: a metrics run recomputes only the credentials that are new or had
    new hits, mail events, status or outbox changes since the last run. Empty dimension values
    are ``""`` (no course, pathway or cohort). Read it through the ``metrics_credentials`` view.
    """

    __tablename__ = "credential_engagement"

    credential_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[int] = mapped_column(index=True)
    achievement_id: Mapped[str] = mapped_column(String(100), index=True)
    course_id: Mapped[str] = mapped_column(String(255), default="")
    pathway: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(100), default="")
    cohort: Mapped[str] = mapped_column(String(100), default="")
    issued_at: Mapped[datetime]
    issued_week: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    email_status: Mapped[str] = mapped_column(String(16), default="")
    bounced: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    hours_to_accept: Mapped[float | None]
    linkedin_shares: Mapped[int] = mapped_column(default=0)
    shares: Mapped[int] = mapped_column(default=0)
    first_shared_at: Mapped[datetime | None]
    verification_views: Mapped[int] = mapped_column(default=0)
    downloads: Mapped[int] = mapped_column(default=0)
    bot_hits: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class MetricRollup(Base):
    """Metrics of one dimension value, over all time (``week_start`` NULL) or one issue week.

    ``dimension`` is ``overall``, ``achievement``, ``course``, ``pathway``, ``source`` or
    ``cohort``; ``key`` the value (``""`` for overall). Read through the ``metrics_*`` views.
    """

    __tablename__ = "metric_rollups"
    __table_args__ = (Index("ix_metric_rollups_dimension_key", "dimension", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(255))
    week_start: Mapped[date | None]
    issued: Mapped[int]
    accepted: Mapped[int]
    acceptance_rate: Mapped[float | None]
    median_hours_to_accept: Mapped[float | None]
    p90_hours_to_accept: Mapped[float | None]
    opened: Mapped[int]
    linkedin_shared: Mapped[int]
    linkedin_share_rate: Mapped[float | None]
    shares: Mapped[int]
    verification_views: Mapped[int]
    downloads: Mapped[int]
    bounced: Mapped[int]
    bounce_rate: Mapped[float | None]
    revoked: Mapped[int]
    bot_hits: Mapped[int]
    computed_at: Mapped[datetime]


class PathwayFunnelTier(Base):
    """One tier of a pathway's funnel: how many learners hold it (active awards)."""

    __tablename__ = "pathway_funnel"
    __table_args__ = (UniqueConstraint("pathway", "tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pathway: Mapped[str] = mapped_column(String(100))
    pathway_name: Mapped[str] = mapped_column(Text)
    tier: Mapped[int]
    achievement_ids: Mapped[list[str]] = mapped_column(default=list)
    tier_name: Mapped[str] = mapped_column(Text)
    learners: Mapped[int]
    share_of_first_tier: Mapped[float | None]
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
