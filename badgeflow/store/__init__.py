"""badgeflow's state: SQLAlchemy models, Alembic migrations and repository functions.

SQLite by default, PostgreSQL (``postgresql+psycopg://``) for scale; the same code and
migrations serve both.

**Transactions belong to the caller.** Repository functions take a `Session`, flush what
they write (so ids exist and constraints fire early) and never commit or roll back. The
caller decides what one unit of work is::

    engine = make_engine(settings.database.url)
    check_schema(engine)  # or migrate(engine)
    Session = session_factory(engine)
    with Session() as session, session.begin():
        counts = upsert_completions(session, df, batch_id=batch_id)
        record_quarantine(session, rejected, batch_id=batch_id)
    # committed here; an exception inside the block rolls everything back

The write functions are idempotent (keys: source + record id, award key, one credential per
award, one email per credential and kind), so a retried task repeats no work.
"""

from __future__ import annotations

from badgeflow.store.awards import (
    AWARD_STATUS,
    AwardToIssue,
    awards_to_issue,
    insert_awards,
    load_awards,
    pending_award_ids,
    pending_awards,
)
from badgeflow.store.batches import (
    count_rows,
    finish_batch,
    get_batch,
    get_watermark,
    record_stage,
    set_watermark,
    start_batch,
)
from badgeflow.store.completions import (
    UpsertCounts,
    batch_record_keys,
    learner_emails_for,
    load_completions,
    record_quarantine,
    upsert_completions,
)
from badgeflow.store.credentials import (
    CredentialRecord,
    NewCredential,
    baked_paths_in_use,
    bare_credential_id,
    count_credentials,
    credentials_page,
    credentials_to_bake,
    get_credential,
    list_credentials,
    save_credentials,
    save_new_credentials,
    set_baked_path,
)
from badgeflow.store.delivery import (
    BounceOutcome,
    Claim,
    OutboxProblem,
    claim_email,
    hold_email,
    outbox_counts,
    outbox_problems,
    record_bounce,
    retry_email,
)
from badgeflow.store.engine import (
    check_schema,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
)
from badgeflow.store.learners import normalise_email
from badgeflow.store.outbox import (
    OutboxItem,
    emails_to_send,
    enqueue_award_emails,
    enqueue_revoked_email,
    mark_failed,
    mark_sent,
    pending_emails,
)
from badgeflow.store.reports import (
    QuarantineRecord,
    latest_batch_id,
    list_batches,
    list_quarantine,
)
from badgeflow.store.status import (
    StatusAction,
    StatusChange,
    StatusEventRecord,
    StatusSlot,
    change_status,
    reserve_status_slots,
    save_status_entries,
    save_status_entries_many,
    status_entries_of,
    status_events,
    status_list_bits,
)
from badgeflow.store.webhooks import (
    NewWebhookEvent,
    StoredWebhookEvent,
    consume_webhook_events,
    read_webhook_events,
    store_webhook_events,
)

__all__ = [
    "AWARD_STATUS",
    "AwardToIssue",
    "BounceOutcome",
    "Claim",
    "CredentialRecord",
    "NewCredential",
    "NewWebhookEvent",
    "OutboxItem",
    "OutboxProblem",
    "QuarantineRecord",
    "StatusAction",
    "StatusChange",
    "StatusEventRecord",
    "StatusSlot",
    "StoredWebhookEvent",
    "UpsertCounts",
    "awards_to_issue",
    "baked_paths_in_use",
    "bare_credential_id",
    "batch_record_keys",
    "change_status",
    "check_schema",
    "claim_email",
    "consume_webhook_events",
    "count_credentials",
    "count_rows",
    "credentials_page",
    "credentials_to_bake",
    "current_revision",
    "emails_to_send",
    "enqueue_award_emails",
    "enqueue_revoked_email",
    "finish_batch",
    "get_batch",
    "get_credential",
    "get_watermark",
    "head_revision",
    "hold_email",
    "insert_awards",
    "latest_batch_id",
    "learner_emails_for",
    "list_batches",
    "list_credentials",
    "list_quarantine",
    "load_awards",
    "load_completions",
    "make_engine",
    "mark_failed",
    "mark_sent",
    "migrate",
    "normalise_email",
    "outbox_counts",
    "outbox_problems",
    "pending_award_ids",
    "pending_awards",
    "pending_emails",
    "read_webhook_events",
    "record_bounce",
    "record_quarantine",
    "record_stage",
    "reserve_status_slots",
    "retry_email",
    "save_credentials",
    "save_new_credentials",
    "save_status_entries",
    "save_status_entries_many",
    "session_factory",
    "set_baked_path",
    "set_watermark",
    "start_batch",
    "status_entries_of",
    "status_events",
    "status_list_bits",
    "store_webhook_events",
    "upsert_completions",
]
