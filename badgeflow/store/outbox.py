"""The email outbox: one row per credential and kind, sent and retried from here."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import Session

from badgeflow.store._bulk import dialect_insert
from badgeflow.store.schema import Award, Credential, EmailOutbox, Learner

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "OutboxItem",
    "REVOKED_KIND",
    "emails_to_send",
    "enqueue_award_emails",
    "enqueue_revoked_email",
    "mark_failed",
    "mark_sent",
    "pending_emails",
    "sendable",
]

DEFAULT_MAX_ATTEMPTS: Final = 5
AWARD_KIND: Final = "award"
REVOKED_KIND: Final = "revoked"
_MAX_ERROR_CHARS: Final = 2000
_CHUNK: Final = 500


@dataclass(frozen=True)
class OutboxItem:
    """An email waiting to be sent, with what rendering it needs."""

    outbox_id: int
    credential_id: str
    kind: str
    to_address: str
    learner_name: str | None
    achievement_id: str
    awarded_at: datetime
    valid_until: datetime | None
    document: str
    baked_path: str | None
    attempts: int
    accept_token: str | None = None


def enqueue_award_emails(session: Session, *, batch_limit: int | None = None) -> int:
    """Queue an ``award`` email for each credential (of an active award) that has none.

    A re-issued credential (``supersedes`` set) gets a ``reissue`` email instead, queued by
    `badgeflow.pipeline.reissue`, never an award email. Two runs queueing at once (batches
    of two sources overlapping) queue each email once: a row the other run queued first is
    skipped (``ON CONFLICT DO NOTHING`` on the one-email-per-credential-and-kind key; on
    PostgreSQL the insert waits for the other transaction's outcome).

    Args:
        session: the caller's session; the caller commits.
        batch_limit: queue at most this many, oldest credentials first; None for all.

    Returns:
        How many emails were queued.
    """
    query = (
        select(Credential.id, Learner.email)
        .join(Award, Credential.award_id == Award.id)
        .join(Learner, Award.learner_id == Learner.id)
        .outerjoin(
            EmailOutbox,
            (EmailOutbox.credential_id == Credential.id) & (EmailOutbox.kind == AWARD_KIND),
        )
        .where(EmailOutbox.id.is_(None), Award.status == "active", Credential.supersedes.is_(None))
        .order_by(Credential.issued_at, Credential.id)
    )
    if batch_limit is not None:
        query = query.limit(batch_limit)
    rows = [
        {
            "credential_id": credential_id,
            "kind": AWARD_KIND,
            "to_address": email,
            "status": "pending",
            "attempts": 0,
        }
        for credential_id, email in session.execute(query)
    ]
    if not rows:
        return 0
    statement = (
        dialect_insert(session)(EmailOutbox)
        .on_conflict_do_nothing(index_elements=["credential_id", "kind"])
        .returning(EmailOutbox.id)
    )
    # RETURNING names the rows inserted (rowcount is not reliable for ON CONFLICT).
    return len(session.execute(statement, rows).all())


def enqueue_revoked_email(session: Session, credential_id: str) -> int | None:
    """Queue a ``revoked`` email to the learner of a credential (at most one per credential).

    Args:
        session: the caller's session; the caller commits.
        credential_id: the bare credential id.

    Returns:
        The outbox id, or None when the credential is unknown or already has one.
    """
    row = session.execute(
        select(Credential.id, Learner.email)
        .join(Award, Credential.award_id == Award.id)
        .join(Learner, Award.learner_id == Learner.id)
        .where(Credential.id == credential_id)
    ).one_or_none()
    if row is None:
        return None
    existing = session.scalar(
        select(EmailOutbox.id).where(
            EmailOutbox.credential_id == credential_id, EmailOutbox.kind == REVOKED_KIND
        )
    )
    if existing is not None:
        return None
    item = EmailOutbox(
        credential_id=row[0], kind=REVOKED_KIND, to_address=row[1], status="pending", attempts=0
    )
    session.add(item)
    session.flush()
    return item.id


def sendable(max_attempts: int, now: datetime | None = None) -> ColumnElement[bool]:
    """The condition an outbox row meets when a sender may take it now.

    Pending and held rows (the pilot filter decides again at send time); failed rows that are
    not permanent, have attempts left and whose ``next_attempt_at`` has come; and ``sending``
    rows whose lease has run out (a sender crashed between recording the Message-ID and
    recording the outcome). With ``now`` None the times are not checked.

    Args:
        max_attempts: a failed email is retried while it has fewer attempts than this.
        now: the sender's clock, or None to list every candidate.

    Returns:
        A SQL boolean expression over `EmailOutbox`.
    """
    due = (
        true()
        if now is None
        else or_(EmailOutbox.next_attempt_at.is_(None), EmailOutbox.next_attempt_at <= now)
    )
    return or_(
        EmailOutbox.status.in_(("pending", "held")),
        (EmailOutbox.status == "failed")
        & EmailOutbox.permanent.is_(False)
        & (EmailOutbox.attempts < max_attempts)
        & due,
        (EmailOutbox.status == "sending") & due,
    )


# The columns of an OutboxItem, in its field order: plain rows, no ORM objects to build.
_ITEM_COLUMNS: Final = (
    EmailOutbox.id,
    Credential.id,
    EmailOutbox.kind,
    EmailOutbox.to_address,
    Learner.name,
    Award.achievement_id,
    Award.awarded_at,
    Award.valid_until,
    Credential.document,
    Credential.baked_path,
    EmailOutbox.attempts,
    Credential.accept_token,
)


def _sendable(
    max_attempts: int, now: datetime | None = None, *, ids_only: bool = False
) -> Select[Any]:
    columns = (EmailOutbox.id,) if ids_only else _ITEM_COLUMNS
    return (
        select(*columns)
        .select_from(EmailOutbox)
        .join(Credential, EmailOutbox.credential_id == Credential.id)
        .join(Award, Credential.award_id == Award.id)
        .join(Learner, Award.learner_id == Learner.id)
        .where(
            sendable(max_attempts, now),
            # An award email whose credential was revoked or suspended meanwhile stays unsent.
            or_(EmailOutbox.kind != AWARD_KIND, Award.status == "active"),
        )
        .order_by(EmailOutbox.created_at, EmailOutbox.id)
        # PostgreSQL: concurrent senders skip rows another transaction holds. SQLite: no-op.
        .with_for_update(skip_locked=True, of=EmailOutbox)
    )


def _outbox_item(
    item: EmailOutbox, credential: Credential, award: Award, learner: Learner
) -> OutboxItem:
    # The item of ORM rows (the preview's query); equal to OutboxItem(*row of _ITEM_COLUMNS).
    return OutboxItem(
        outbox_id=item.id,
        credential_id=credential.id,
        kind=item.kind,
        to_address=item.to_address,
        learner_name=learner.name,
        achievement_id=award.achievement_id,
        awarded_at=award.awarded_at,
        valid_until=award.valid_until,
        document=credential.document,
        baked_path=credential.baked_path,
        attempts=item.attempts,
        accept_token=credential.accept_token,
    )


def pending_emails(
    session: Session,
    *,
    limit: int | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> list[OutboxItem]:
    """Return emails to (re)send: pending and held ones, failed ones with attempts left.

    See `sendable` for the exact rule (``sending`` rows left by a crash are included too).

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED`` until the caller's
    transaction ends, so concurrent senders in open transactions never pick the same email.

    Args:
        session: any session.
        limit: at most this many, oldest first; None for all.
        max_attempts: a failed email is retried while it has fewer attempts than this.
        now: leave out failed emails whose next attempt is later than this; None: keep them.

    Returns:
        The emails to send.
    """
    query = _sendable(max_attempts, now)
    if limit is not None:
        query = query.limit(limit)
    return [OutboxItem(*row) for row in session.execute(query)]


def pending_email_ids(
    session: Session, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, now: datetime | None = None
) -> list[int]:
    """The ids of `pending_emails` (same rule, order and locking), without loading the rows.

    Args:
        session: any session.
        max_attempts: as in `pending_emails`.
        now: as in `pending_emails`.

    Returns:
        Outbox ids, oldest first.
    """
    return list(session.scalars(_sendable(max_attempts, now, ids_only=True)))


def emails_to_send(
    session: Session,
    outbox_ids: Collection[int],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> list[OutboxItem]:
    """Return those of the given emails that are still to send (sent ones drop out).

    Args:
        session: any session.
        outbox_ids: a chunk of ids from `pending_emails`.
        max_attempts: as in `pending_emails`.
        now: as in `pending_emails`.

    Returns:
        The emails to send, oldest first.
    """
    ids = sorted(set(outbox_ids))
    found: list[OutboxItem] = []
    for start in range(0, len(ids), _CHUNK):
        query = _sendable(max_attempts, now).where(EmailOutbox.id.in_(ids[start : start + _CHUNK]))
        found.extend(OutboxItem(*row) for row in session.execute(query))
    return sorted(found, key=lambda item: item.outbox_id)


def _item(session: Session, outbox_id: int) -> EmailOutbox:
    row = session.get(EmailOutbox, outbox_id)
    if row is None:
        raise KeyError(f"unknown outbox email {outbox_id}")
    return row


def mark_sent(
    session: Session,
    outbox_id: int,
    *,
    message_id: str,
    sent_at: datetime,
    subject: str | None = None,
    note: str | None = None,
) -> None:
    """Record a successful delivery.

    Args:
        session: the caller's session; the caller commits.
        outbox_id: the outbox row.
        message_id: the ``Message-ID`` header of what was sent.
        sent_at: when it was handed to the mail server (aware).
        subject: the subject line that was sent, kept for audit.
        note: kept in ``last_error`` (e.g. that this was a resend after an interruption).

    Raises:
        KeyError: no such outbox row.
    """
    row = _item(session, outbox_id)
    row.status = "sent"
    row.attempts += 1
    row.message_id = message_id
    row.sent_at = sent_at
    row.last_error = note
    row.next_attempt_at = None
    if subject is not None:
        row.subject = subject
    session.flush()


def mark_failed(
    session: Session,
    outbox_id: int,
    *,
    error: str,
    code: str | None = None,
    permanent: bool = False,
    retry_at: datetime | None = None,
) -> None:
    """Record a failed delivery attempt; `pending_emails` retries it unless it is permanent.

    Args:
        session: the caller's session; the caller commits.
        outbox_id: the outbox row.
        error: what went wrong (truncated to 2000 characters; never include secrets).
        code: the SMTP reply code, if the server gave one.
        permanent: never retry (a 5xx refusal, or the last attempt allowed).
        retry_at: do not retry before this time; None for the next run.

    Raises:
        KeyError: no such outbox row.
    """
    row = _item(session, outbox_id)
    row.status = "failed"
    row.attempts += 1
    row.last_error = error[:_MAX_ERROR_CHARS]
    row.last_code = code
    row.permanent = permanent
    row.next_attempt_at = None if permanent else retry_at
    session.flush()
